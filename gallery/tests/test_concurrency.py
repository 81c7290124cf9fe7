"""Concurrent writers on the real database: uploads indexed inline all succeed, and the same
bytes uploaded at the same instant are stored once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client

from conftest import make_image_bytes
from gallery.models import Photo
from gallery.tests.test_browser import _face_photos

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) in threads released at the same instant; each closes its connection."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 (reported to the test below)
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_uploads_indexed_inline_never_fail_on_a_lock(user, faces_dir, caplog):
    photos = _face_photos(faces_dir, 12)

    def upload(i: int) -> int:
        client = Client()
        client.force_login(user)
        with photos[i].open("rb") as fh:
            return client.post("/api/photos/", {"image": fh}).status_code

    statuses = run_together(len(photos), upload)
    assert statuses == [201] * len(photos)
    failed = list(Photo.objects.exclude(index_status="indexed").values_list("index_error", flat=True))
    assert failed == []
    # Not even a retried lock: writers wait for each other (WAL, immediate transactions, timeout).
    assert [r.getMessage() for r in caplog.records if "locked" in r.getMessage()] == []


def test_the_same_bytes_uploaded_at_the_same_instant_are_stored_once(user):
    from gallery.tests.test_api import stored_names

    data = make_image_bytes(size=(640, 480), color=(12, 34, 56))
    before = stored_names()

    def upload(i: int) -> tuple[int, dict[str, Any]]:
        client = Client()
        client.force_login(user)
        response = client.post("/api/photos/", {"image": SimpleUploadedFile(f"same-{i}.jpg", data)})
        return response.status_code, response.json()

    results = run_together(20, upload)
    assert not [r for r in results if isinstance(r, Exception)], results
    codes = sorted(code for code, _ in results)
    assert codes == [201] + [409] * 19, codes
    winner = Photo.objects.get(owner=user)
    assert {body["existing_id"] for code, body in results if code == 409} == {winner.pk}
    # The losers' files were removed: storage holds exactly the winner's three files more.
    assert stored_names() - before == set(winner.file_names)
