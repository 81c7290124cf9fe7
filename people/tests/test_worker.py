"""Grouping on a real Celery worker: one debounced run per burst of uploads, not one per photo."""

from __future__ import annotations

import pytest

from gallery.models import Photo
from people.models import Person
from recognition.models import Face
from recognition.tests.conftest import person_photos
from recognition.tests.test_worker_e2e import _read, _wait_for, worker  # noqa: F401 (fixture)


@pytest.fixture
def slow_grouping_worker(monkeypatch, request):
    monkeypatch.setenv("PEOPLE_REFRESH_DELAY", "6")
    return request.getfixturevalue("worker")


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_uploads_is_grouped_once_by_the_worker(slow_grouping_worker, api_client, user, faces_dir):
    process, log = slow_grouping_worker
    ids = []
    for path in person_photos(faces_dir, "fr_obama")[:3]:
        with path.open("rb") as fh:
            response = api_client.post("/api/photos/", {"image": fh}, format="multipart")
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])

    def grouped():
        assert process.poll() is None, _read(log)
        return Face.objects.filter(photo_id__in=ids, person__isnull=False).count() == 3

    assert _wait_for(grouped, timeout=240), _read(log)
    assert Photo.objects.filter(pk__in=ids, index_status="indexed").count() == 3
    (person,) = Person.objects.filter(owner=user)
    assert person.cover_face_id is not None
    output = _read(log)
    runs = output.count("People of user")
    assert 1 <= runs < 3, output  # three indexing jobs asked for grouping; the requests were merged
    assert "people.tasks.refresh_people" in output
