"""Request bodies the parsers refuse: every JSON endpoint answers 400, never 500."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from gallery import services
from gallery.models import Album
from gallery.tests.test_isolation import _face_of

pytestmark = pytest.mark.django_db

DEEP = 1000
DEEP_DOCUMENTS = {
    "lists": "[" * DEEP + "]" * DEEP,
    "objects": '{"a":' * DEEP + "1" + "}" * DEEP,
    "in-a-field": '{"name": ' + "[" * (DEEP - 1) + "]" * (DEEP - 1) + ', "title": "x"}',
}


def json_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation whose schema accepts a JSON request body."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((method, path))
    return sorted(found)


def test_the_json_operations_are_found():
    found = json_operations()
    assert ("post", "/api/auth/token/") in found
    assert ("post", "/api/search/") in found
    assert ("patch", "/api/photos/{photo_id}/") in found
    assert len(found) >= 6


@pytest.fixture
def urls(user, photo_factory) -> dict[str, Any]:
    from people.services import person_create
    from recognition.models import Face

    photo = photo_factory(user)
    album = services.album_create(owner=user, name="A")
    face_id = _face_of(photo)
    person = person_create(owner=user, faces=[Face.objects.get(pk=face_id)], name="P")
    share, _token = services.album_share_create(album=album)
    return {
        "photo_id": photo.pk,
        "album_id": album.pk,
        "face_id": face_id,
        "person_id": person.pk,
        "share_id": share.pk,
    }


@pytest.mark.parametrize("shape", list(DEEP_DOCUMENTS))
def test_deeply_nested_json_is_a_400_on_every_json_endpoint(user, urls, shape):
    body = DEEP_DOCUMENTS[shape]
    assert len(body) <= 6001  # a few kilobytes
    client = APIClient()
    client.force_authenticate(user)
    answers = {}
    for method, path in json_operations():
        url = re.sub(r"\{(\w+)\}", lambda m: str(urls[m.group(1)]), path)
        for who in (client, APIClient()) if path == "/api/auth/token/" else (client,):
            response = getattr(who, method)(url, body, content_type="application/json")
            answers[f"{method.upper()} {url}"] = (response.status_code, response.json())
    for endpoint, (code, answer) in answers.items():
        assert code == 400, (endpoint, code, answer)
        assert "nested more than 32 levels" in answer["detail"], (endpoint, answer)


def test_moderate_nesting_within_the_bound_is_left_to_the_serializers(api_client):
    body = json.dumps({"name": [[[["deep but fine"]]]]})
    response = api_client.post("/api/albums/", body, content_type="application/json")
    assert response.status_code == 400
    assert "name" in response.json()  # a validation error, not a parse error


def test_malformed_json_is_a_400(api_client):
    response = api_client.post("/api/albums/", '{"name": ', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_a_json_body_over_the_memory_limit_is_refused_not_a_500(user, settings):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x" * 2000})
    response = client.post("/api/albums/", body, content_type="application/json")
    assert response.status_code in (400, 413)
    assert not Album.objects.exists()
