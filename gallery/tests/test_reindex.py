"""Retrying face detection: the Retry button of a failed photo, the reindex API, the failed count
and filter on the grid."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery import services
from gallery.models import Photo
from recognition.services import photo_mark_index_failed

pytestmark = pytest.mark.django_db


def failed_photo(owner, path) -> Photo:
    """A real face photo whose indexing failed (stored, never indexed: the commit hook never ran)."""
    photo = services.photo_create(owner=owner, upload=SimpleUploadedFile(path.name, path.read_bytes()))
    photo_mark_index_failed(photo_id=photo.pk, model_key="dlib-resnet", error="database is locked")
    photo.refresh_from_db()
    return photo


@pytest.fixture
def face_path(faces_dir):
    return sorted((faces_dir / "angelina_jolie").glob("*.jpg"))[0]


def test_grid_counts_failed_photos_and_filters_them(user_client, user, photo_factory, face_path):
    ok = photo_factory(title="Fine")
    broken = failed_photo(user, face_path)
    page = user_client.get("/").content.decode()
    assert "Face detection failed on 1 photo" in page
    assert 'href="/?status=failed"' in page
    only_failed = user_client.get("/?status=failed")
    assert [p.pk for p in only_failed.context["page"].object_list] == [broken.pk]
    assert f'data-photo-id="{ok.pk}"' not in only_failed.content.decode()
    assert "Photos whose face detection failed" in only_failed.content.decode()
    # Anything else shows every photo.
    assert len(user_client.get("/?status=bogus").context["page"].object_list) == 2


def test_failed_count_is_per_owner(user, other_client, face_path):
    failed_photo(user, face_path)
    page = other_client.get("/").content.decode()
    assert "Face detection failed" not in page


def test_retry_button_on_a_failed_photo_indexes_it(
    user_client, user, face_path, django_capture_on_commit_callbacks
):
    photo = failed_photo(user, face_path)
    detail = user_client.get(f"/photos/{photo.pk}/").content.decode()
    assert 'id="photo-reindex"' in detail
    assert f'action="/photos/{photo.pk}/reindex/"' in detail
    assert user_client.get(f"/photos/{photo.pk}/reindex/").status_code == 405  # POST only
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(f"/photos/{photo.pk}/reindex/")
    assert response.status_code == 302
    assert response["Location"] == f"/photos/{photo.pk}/"
    photo.refresh_from_db()
    assert (photo.index_status, photo.index_error) == ("indexed", "")
    assert photo.face_count >= 1
    assert 'id="photo-reindex"' not in user_client.get(f"/photos/{photo.pk}/").content.decode()
    assert "Face detection failed" not in user_client.get("/").content.decode()


def test_reindex_api_queued_is_202_pending(api_client, user, face_path):
    # Inside the test's transaction the job waits for a commit: like a queue before a worker.
    photo = failed_photo(user, face_path)
    response = api_client.post(f"/api/photos/{photo.pk}/reindex/")
    assert response.status_code == 202
    assert response.json()["index_status"] == "pending"
    assert response.json()["index_error"] == ""


@pytest.mark.django_db(transaction=True)
def test_reindex_api_inline_is_200_with_the_outcome(api_client, user, face_path):
    photo = failed_photo(user, face_path)
    response = api_client.post(f"/api/photos/{photo.pk}/reindex/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["index_status"], body["index_error"]) == (photo.pk, "indexed", "")
    assert body["face_count"] == Photo.objects.get(pk=photo.pk).faces.count() >= 1


def test_reindex_api_requires_login(user, face_path):
    from rest_framework.test import APIClient

    photo = failed_photo(user, face_path)
    assert APIClient().post(f"/api/photos/{photo.pk}/reindex/").status_code in (401, 403)
    photo.refresh_from_db()
    assert photo.index_status == "failed"
