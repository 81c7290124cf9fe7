"""A bounded Schemathesis run: every operation of /api/schema/ called with generated input,
valid and invalid, in-process against the WSGI application, authenticated as a user with a
photo and an album. No answer may be a server error, use an undocumented status code or media
type, or break its documented schema. A fixed seed and 15 examples per operation and mode keep
it short and repeatable.

(Schemathesis' pytest plugin does not run under pytest 9.2, so the operations are driven
through its Python API: one Hypothesis run per operation.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, seed, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import make_image_bytes
from gallery import services
from gallery.tests.conftest import as_upload

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 15  # per operation and mode: 30 requests per operation


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    # Like Django's test client: the WSGI handler must not close the test's database connection
    # (and with it the test's transaction) at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], calls: list[int]) -> None:
    """One Hypothesis run over one operation; raises on the first failing (shrunk) case."""

    @seed(20261129)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        calls.append(1)
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_api_conforms_to_its_schema(wsgi_app, user):
    photo = services.photo_create(owner=user, upload=as_upload(make_image_bytes()), title="Seed")
    album = services.album_create(owner=user, name="Seed album")
    services.album_add_photos(album=album, photos=[photo])
    headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)

    failures: list[str] = []
    calls: list[int] = []
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # an operation the schema describes badly
        operations.append(result.ok())
    assert len(operations) >= 16
    for operation in operations:
        # Credentials (the security scheme's header and cookie) are not input of the operation.
        inputs = [p for p in operation.iter_parameters() if p.name not in ("Authorization", "sessionid")]
        takes_input = bool(inputs or operation.get_request_payload_content_types())
        # An operation with nothing to send has no invalid input to generate.
        modes = (
            (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes_input else (GenerationMode.POSITIVE,)
        )
        for mode in modes:
            try:
                fuzz(operation, mode, headers, calls)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every operation's failure
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
    print(f"{len(calls)} generated requests over {len(operations)} operations")
    assert failures == [], "\n\n".join(failures)
