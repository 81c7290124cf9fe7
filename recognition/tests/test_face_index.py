"""The face index: writes through services, per-process snapshots kept fresh, isolation."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import make_image_bytes
from gallery.models import Photo
from gallery.services import photo_create, photo_delete
from recognition import index
from recognition.ml.knn import l2_normalise
from recognition.ml.types import DetectedFace, FaceEmbedding
from recognition.models import Face, FaceIndexVersion
from recognition.selectors import face_search
from recognition.services import photo_faces_replace, photo_mark_index_failed

pytestmark = pytest.mark.django_db

MODEL = "test-model"


def _photo(owner, name="p.jpg"):
    shade = (sum(name.encode()) * 37) % 200
    data = make_image_bytes(size=(80, 60), color=(shade, 40, 200 - shade))
    return photo_create(owner=owner, upload=SimpleUploadedFile(name, data))


def _faces(*vectors):
    out = []
    for i, v in enumerate(vectors):
        box = (10.0 * i, 5.0, 10.0 * i + 20.0, 30.0)
        marks = ((1.0, 1.0), (2.0, 1.0), (1.5, 2.0), (1.0, 3.0), (2.0, 3.0))
        out.append(
            FaceEmbedding(face=DetectedFace(box=box, score=0.99, landmarks=marks), vector=l2_normalise(v))
        )
    return out


@pytest.fixture(autouse=True)
def _fresh_cache():
    index.clear_cache()
    yield
    index.clear_cache()


def test_replace_stores_faces_and_is_idempotent(user):
    photo = _photo(user)
    outcome = photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=_faces([1, 0, 0], [0, 1, 0]))
    assert outcome is not None
    assert (outcome.status, outcome.faces) == ("indexed", 2)
    photo.refresh_from_db()
    assert photo.index_status == Photo.IndexStatus.INDEXED
    assert photo.index_model == MODEL
    assert photo.indexed_at is not None
    stored = list(Face.objects.filter(photo=photo).order_by("x1"))
    assert [f.dim for f in stored] == [3, 3]
    assert stored[0].owner_id == user.pk
    np.testing.assert_allclose(stored[0].vector(), [1, 0, 0])
    assert stored[0].box == (0.0, 5.0, 20.0, 30.0)
    assert len(stored[0].landmarks) == 5

    photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=_faces([0, 0, 1]))
    assert Face.objects.filter(photo=photo).count() == 1
    version = FaceIndexVersion.objects.get(owner=user, model_key=MODEL)
    assert (version.version, version.deletions) == (2, 1)


def test_no_faces_and_failed_statuses(user):
    photo = _photo(user)
    outcome = photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=[])
    assert outcome is not None
    assert outcome.status == "no_faces"
    failed = photo_mark_index_failed(photo_id=photo.pk, model_key=MODEL, error="boom " * 200)
    assert failed is not None
    photo.refresh_from_db()
    assert photo.index_status == Photo.IndexStatus.FAILED
    assert len(photo.index_error) == 500
    assert photo_faces_replace(photo_id=10**9, model_key=MODEL, faces=[]) is None


def test_snapshot_refreshes_incrementally_then_fully_after_deletions(user):
    a, b, c = _photo(user, "a.jpg"), _photo(user, "b.jpg"), _photo(user, "c.jpg")
    photo_faces_replace(photo_id=a.pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    first = index.face_matrix(owner_id=user.pk, model_key=MODEL)
    assert first is not None
    assert len(first) == 1
    assert index.face_matrix(owner_id=user.pk, model_key=MODEL) is first  # unchanged: same snapshot

    photo_faces_replace(photo_id=b.pk, model_key=MODEL, faces=_faces([0.9, 0.1, 0]))
    second = index.face_matrix(owner_id=user.pk, model_key=MODEL)
    assert second is not None
    assert second is not first
    assert len(second) == 2
    assert len(first) == 1  # old snapshot untouched for readers still using it
    np.testing.assert_array_equal(second.face_ids[:1], first.face_ids)

    photo_faces_replace(photo_id=a.pk, model_key=MODEL, faces=_faces([0, 0, 1]))  # replacement = deletion
    photo_faces_replace(photo_id=c.pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    third = index.face_matrix(owner_id=user.pk, model_key=MODEL)
    assert third is not None
    assert sorted(third.photo_ids.tolist()) == sorted([a.pk, b.pk, c.pk])
    hits = face_search(user=user, vector=[1, 0, 0], model_key=MODEL, min_similarity=0.8, limit=10)
    assert [h.photo.pk for h in hits] == [c.pk, b.pk]


def test_deleting_a_photo_removes_it_from_search(user):
    keep, gone = _photo(user, "keep.jpg"), _photo(user, "gone.jpg")
    photo_faces_replace(photo_id=keep.pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    photo_faces_replace(photo_id=gone.pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    assert len(face_search(user=user, vector=[1, 0, 0], model_key=MODEL, min_similarity=0.5, limit=10)) == 2
    photo_delete(photo=gone)
    hits = face_search(user=user, vector=[1, 0, 0], model_key=MODEL, min_similarity=0.5, limit=10)
    assert [h.photo.pk for h in hits] == [keep.pk]
    assert not Face.objects.filter(photo_id=gone.pk).exists()


def test_search_never_crosses_owners_or_models(user, other_user):
    mine, theirs = _photo(user), _photo(other_user)
    photo_faces_replace(photo_id=mine.pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    photo_faces_replace(photo_id=theirs.pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    photo_faces_replace(photo_id=mine.pk, model_key="other-model", faces=_faces([1, 0, 0, 0]))
    hits = face_search(user=user, vector=[1, 0, 0], model_key=MODEL, min_similarity=0.5, limit=10)
    assert [h.photo.pk for h in hits] == [mine.pk]
    other_hits = face_search(user=other_user, vector=[1, 0, 0], model_key=MODEL, min_similarity=0.5, limit=10)
    assert [h.photo.pk for h in other_hits] == [theirs.pk]
    assert (
        face_search(user=other_user, vector=[1, 0, 0, 0], model_key="other-model", min_similarity=0, limit=5)
        == []
    )


def test_indexing_status_is_shown_on_pages_and_api(user, user_client, api_client):
    from django.urls import reverse

    failed, pending = _photo(user, "failed.jpg"), _photo(user, "pending.jpg")
    photo_mark_index_failed(
        photo_id=failed.pk, model_key=MODEL, error="The original file is missing from storage."
    )
    grid = user_client.get(reverse("gallery:photo_list")).content.decode()
    assert grid.count('class="index-badge failed"') == 1
    assert grid.count('class="index-badge"') == 1  # the pending one
    detail = user_client.get(reverse("gallery:photo_detail", args=[failed.pk])).content.decode()
    assert "Face detection failed: The original file is missing from storage." in detail
    body = api_client.get(f"/api/photos/{pending.pk}/").json()
    assert body["index_status"] == "pending"
    assert api_client.get(f"/api/photos/{failed.pk}/").json()["index_error"].startswith("The original file")
