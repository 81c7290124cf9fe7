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
    # The replaced face is logged for other processes' snapshots.
    from recognition.models import FaceDeletion

    logged = FaceDeletion.objects.filter(owner=user, model_key=MODEL)
    assert sorted(logged.values_list("seq", "face_id")) == sorted((1, f.pk) for f in stored)


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


def _loads(monkeypatch):
    """The `after_id` of every database read of face rows the index makes (0: a full load)."""
    calls = []
    real = index._load

    def spy(owner_id, model_key, *, after_id, base):
        calls.append(after_id)
        return real(owner_id, model_key, after_id=after_id, base=base)

    monkeypatch.setattr(index, "_load", spy)
    return calls


def test_snapshot_refreshes_with_new_rows_and_without_deleted_ones_never_in_full(user, monkeypatch):
    loads = _loads(monkeypatch)
    a, b, c = _photo(user, "a.jpg"), _photo(user, "b.jpg"), _photo(user, "c.jpg")
    photo_faces_replace(photo_id=a.pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    first = index.face_matrix(owner_id=user.pk, model_key=MODEL)
    assert first is not None
    assert len(first) == 1
    assert index.face_matrix(owner_id=user.pk, model_key=MODEL) is first  # unchanged: same snapshot
    assert loads == [0]

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
    assert sorted(third.face_ids.tolist()) == sorted(
        Face.objects.filter(owner=user).values_list("pk", flat=True)
    )
    hits = face_search(user=user, vector=[1, 0, 0], model_key=MODEL, min_similarity=0.8, limit=10)
    assert [h.photo.pk for h in hits] == [c.pk, b.pk]

    photo_delete(photo=b)
    fourth = index.face_matrix(owner_id=user.pk, model_key=MODEL)
    assert fourth is not None
    assert sorted(fourth.photo_ids.tolist()) == sorted([a.pk, c.pk])
    # Every refresh read only the rows after the snapshot's last face.
    assert loads[0] == 0
    assert all(after > 0 for after in loads[1:])
    assert len(loads) == 4


def test_a_snapshot_older_than_the_deletion_log_loads_in_full(user, monkeypatch):
    from recognition import services
    from recognition.models import FaceDeletion

    monkeypatch.setattr(services, "DELETION_LOG_EVENTS", 1)
    loads = _loads(monkeypatch)
    photos = [_photo(user, f"{i}.jpg") for i in range(5)]
    for photo in photos:
        photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    stale = index.face_matrix(owner_id=user.pk, model_key=MODEL)
    assert stale is not None
    assert len(stale) == 5
    for photo in photos[:3]:  # three deletion events: the log keeps the last one
        photo_delete(photo=photo)
    version = FaceIndexVersion.objects.get(owner=user, model_key=MODEL)
    assert (version.deletions, version.pruned_deletions) == (3, 2)
    assert sorted(FaceDeletion.objects.filter(owner=user).values_list("seq", flat=True)) == [3]
    fresh = index.face_matrix(owner_id=user.pk, model_key=MODEL)
    assert fresh is not None
    assert sorted(fresh.photo_ids.tolist()) == sorted(p.pk for p in photos[3:])
    assert loads == [0, 0]  # the log no longer reached back to the snapshot


def test_deleting_every_face_empties_the_index(user):
    photo = _photo(user)
    photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=_faces([1, 0, 0]))
    assert index.face_matrix(owner_id=user.pk, model_key=MODEL) is not None
    photo_delete(photo=photo)
    assert index.face_matrix(owner_id=user.pk, model_key=MODEL) is None
    assert face_search(user=user, vector=[1, 0, 0], model_key=MODEL, min_similarity=0.0, limit=10) == []


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


def _queries_to_delete(owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.services import user_delete

    with CaptureQueriesContext(connection) as queries:
        user_delete(user=owner)
    return len(queries)


def test_deleting_a_user_deletes_photos_faces_and_files_in_bulk(
    django_user_model, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    counts = {}
    for n in (1, 6):
        owner = django_user_model.objects.create_user(username=f"owner{n}", password="x-password-123")
        photos = [_photo(owner, f"{n}-{i}.jpg") for i in range(n)]
        for photo in photos:
            photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=_faces([1, 0, 0], [0, 1, 0]))
        names = [name for photo in photos for name in photo.file_names]
        assert index.face_matrix(owner_id=owner.pk, model_key=MODEL) is not None  # cached
        with django_capture_on_commit_callbacks(execute=True):
            counts[n] = _queries_to_delete(owner)
        assert not Photo.objects.filter(owner_id=owner.pk).exists()
        assert not Face.objects.filter(owner_id=owner.pk).exists()
        assert not any(default_storage.exists(name) for name in names)
        assert index.face_matrix(owner_id=owner.pk, model_key=MODEL) is None  # the cached snapshot went
    # Six photos cost no more statements than one: nothing is done photo by photo.
    assert counts[6] == counts[1]


def test_the_cache_keeps_the_most_recently_used_owners_snapshots(
    user, other_user, django_user_model, settings, django_assert_num_queries
):
    settings.RECOGNITION_INDEX_CACHE_OWNERS = 2
    third = django_user_model.objects.create_user(username="carol", password="carol-pass-123")
    owners = (user, other_user, third)
    for n, owner in enumerate(owners):
        photo = _photo(owner, f"{owner.username}.jpg")
        photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=_faces([1, n, 0]))

    def snapshot(owner):
        matrix = index.face_matrix(owner_id=owner.pk, model_key=MODEL)
        assert matrix is not None
        return matrix

    first, second = snapshot(user), snapshot(other_user)
    with django_assert_num_queries(1):  # cached: only the version is read
        assert snapshot(user) is first  # alice is now the most recently used
    snapshot(third)  # a third owner: the least recently used (mallory) leaves the cache
    with django_assert_num_queries(1):
        assert snapshot(user) is first
    with django_assert_num_queries(2):  # read again: the version, then the faces
        reloaded = snapshot(other_user)
    assert reloaded is not second
    assert list(reloaded.face_ids) == list(second.face_ids)


def test_deleting_all_of_a_users_photos_logs_no_ids_and_every_snapshot_reloads_empty(user, monkeypatch):
    from gallery.services import photos_delete_for_owner
    from recognition.models import FaceDeletion

    loads = _loads(monkeypatch)
    photos = [_photo(user, f"{i}.jpg") for i in range(3)]
    for photo in photos:
        photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=_faces([1, 0, 0], [0, 1, 0]))
    assert index.face_matrix(owner_id=user.pk, model_key=MODEL) is not None  # a cached snapshot
    photos_delete_for_owner(owner=user)
    version = FaceIndexVersion.objects.get(owner=user, model_key=MODEL)
    # One event, declared pruned: no id is logged, and the stale snapshot cannot be patched.
    assert version.deletions == version.pruned_deletions
    assert not FaceDeletion.objects.filter(owner=user).exists()
    assert index.face_matrix(owner_id=user.pk, model_key=MODEL) is None
    assert loads == [0, 0]  # the refresh was a full (empty) load
    assert face_search(user=user, vector=[1, 0, 0], model_key=MODEL, min_similarity=0.0, limit=10) == []
