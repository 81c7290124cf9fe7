from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from gallery.models import Photo
from gallery.services import photo_create
from recognition.indexing import photos_index
from recognition.models import Face
from recognition.tests.conftest import person_photos

pytestmark = pytest.mark.django_db


def _upload_without_indexing(owner, path):
    # Outside django_capture_on_commit_callbacks the on-commit indexing never runs: photos stay pending.
    return photo_create(owner=owner, upload=SimpleUploadedFile(path.name, path.read_bytes()))


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("reindex_faces", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_reindex_indexes_pending_photos_and_resumes(user, other_user, faces_dir, runtime_pipeline):
    mine = [_upload_without_indexing(user, p) for p in person_photos(faces_dir, "fr_obama")[:3]]
    theirs = _upload_without_indexing(other_user, person_photos(faces_dir, "fr_biden")[0])
    assert {p.index_status for p in mine} == {"pending"}

    assert "3 photo(s) to index" in _run("--user", "alice", "--dry-run")
    assert Face.objects.count() == 0

    output = _run("--user", "alice", "--batch-size", "2")
    assert "Indexed 3 photo(s)" in output
    assert "photos/s" in output
    assert {p.index_status for p in Photo.objects.filter(owner=user)} == {"indexed"}
    theirs.refresh_from_db()
    assert theirs.index_status == "pending"

    assert "0 photo(s) to index" in _run("--missing-only", "--user", "alice")
    assert "1 photo(s) to index" in _run("--missing-only", "--dry-run")

    # A full re-run replaces faces instead of duplicating them.
    before = Face.objects.filter(owner=user).count()
    _run("--user", str(user.pk))
    assert Face.objects.filter(owner=user).count() == before


def test_unreadable_photo_is_marked_failed_and_deleted_photos_are_skipped(user, faces_dir, runtime_pipeline):
    good, broken, deleted = (
        _upload_without_indexing(user, p) for p in person_photos(faces_dir, "angelina_jolie")[:3]
    )
    with broken.original.storage.open(broken.original.name, "wb") as fh:
        fh.write(b"garbage, not a JPEG any more")
    deleted_id = deleted.pk
    Photo.objects.filter(pk=deleted_id).delete()

    outcomes = photos_index(photo_ids=[good.pk, broken.pk, deleted_id], pipeline=runtime_pipeline)
    by_id = {o.photo_id: o for o in outcomes}
    assert set(by_id) == {good.pk, broken.pk}
    assert by_id[good.pk].status == "indexed"
    assert by_id[broken.pk].status == "failed"
    broken.refresh_from_db()
    assert broken.index_status == "failed"
    assert broken.index_error


def test_reindex_rejects_bad_arguments(user):
    with pytest.raises(CommandError, match="No user"):
        _run("--user", "nobody")
    with pytest.raises(CommandError, match="batch-size"):
        _run("--batch-size", "0")
    with pytest.raises(CommandError):
        _run("--model", "no-such-model")


def test_switching_model_never_mixes_embeddings(
    user, faces_dir, runtime_pipeline, api_client, tmp_path, settings
):
    obama = person_photos(faces_dir, "fr_obama")
    library = [_upload_without_indexing(user, p) for p in obama[1:4]]
    _upload_without_indexing(user, person_photos(faces_dir, "fr_biden")[0])
    _run()
    old_key = runtime_pipeline.embedder.key
    assert set(Face.objects.values_list("model_key", flat=True)) == {old_key}

    def search():
        with obama[0].open("rb") as fh:
            response = api_client.post("/api/search/", {"image": fh}, format="multipart")
        assert response.status_code == 200, response.content
        return response.json()

    import torch

    from recognition import runtime
    from recognition.ml.backbones import BACKBONES, build_backbone
    from recognition.ml.checkpoint import checkpoint_metadata

    checkpoint = tmp_path / "switched.pt"
    data = checkpoint_metadata(BACKBONES["dlib-resnet"], embedding_size=128, threshold=0.925)
    data["state_dict"] = build_backbone("dlib-resnet").state_dict()
    torch.save(data, checkpoint)
    settings.RECOGNITION_MODEL = str(checkpoint)
    runtime.reset_pipeline()
    try:
        new_key = runtime.get_pipeline().embedder.key
        assert new_key.startswith("ckpt:switched:")
        # Before re-indexing nothing is found: old-model faces are never compared.
        body = search()
        assert body["model"] == new_key
        assert body["results"] == []
        assert "4 photo(s) to index" in _run("--missing-only", "--dry-run")
        _run("--missing-only")
        body = search()
        assert {r["photo"]["id"] for r in body["results"]} == {p.pk for p in library}
        returned_faces = Face.objects.filter(pk__in=[r["face"]["id"] for r in body["results"]])
        assert set(returned_faces.values_list("model_key", flat=True)) == {new_key}
        assert "0 photo(s) to index" in _run("--missing-only", "--dry-run")
    finally:
        runtime.reset_pipeline()


def test_inline_indexing_that_keeps_failing_marks_the_photo_failed_and_reindex_recovers_it(
    user, faces_dir, runtime_pipeline, monkeypatch
):
    # Inline (eager) only: a worker's retries with back-off and its giving up are tested with a
    # real worker process in test_worker_e2e.py.
    from django.db import OperationalError

    from recognition import tasks

    photo = _upload_without_indexing(user, person_photos(faces_dir, "fr_obama")[0])

    def database_down(**kwargs):
        raise OperationalError("could not connect to server")

    # Fault injection at the database boundary: the task must not leave the photo pending.
    monkeypatch.setattr(tasks, "photos_index", database_down)
    assert tasks.index_photo.apply(args=(photo.pk,)).get() == "failed"
    photo.refresh_from_db()
    assert photo.index_status == "failed"
    assert "could not connect" in photo.index_error
    assert photo.index_model == runtime_pipeline.embedder.key
    # Once the database is back, reindex_faces --missing-only recovers it.
    monkeypatch.undo()
    assert "Indexed 1 photo(s)" in _run("--missing-only")
    photo.refresh_from_db()
    assert photo.index_status == "indexed"


def test_inline_indexing_retries_a_transient_error_before_giving_up(
    user, faces_dir, runtime_pipeline, monkeypatch
):
    from django.db import OperationalError

    from recognition import indexing, tasks

    photo = _upload_without_indexing(user, person_photos(faces_dir, "fr_obama")[0])
    calls = {"n": 0}
    real = indexing.photos_index

    def locked_twice(**kwargs):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("database is locked")
        return real(**kwargs)

    monkeypatch.setattr(tasks, "INLINE_RETRY_DELAYS", (0.01, 0.01, 0.01))
    monkeypatch.setattr(tasks, "photos_index", locked_twice)
    assert tasks.index_photo.apply(args=(photo.pk,)).get() == "indexed"
    assert calls["n"] == 3
    photo.refresh_from_db()
    assert (photo.index_status, photo.index_error) == ("indexed", "")

    # A lock that never goes away: every quick retry is spent, then the photo is marked failed.
    calls["n"] = -100
    assert tasks.index_photo.apply(args=(photo.pk,)).get() == "failed"
    assert calls["n"] == -100 + 4
    photo.refresh_from_db()
    assert photo.index_status == "failed"
    assert "database is locked" in photo.index_error


def test_an_interrupted_run_resumes_with_missing_only(user, faces_dir, runtime_pipeline, monkeypatch):
    from recognition import indexing
    from recognition.management.commands import reindex_faces

    photos = [_upload_without_indexing(user, p) for p in person_photos(faces_dir, "angelina_jolie")[:3]]
    calls = {"n": 0}
    real = indexing.photos_index

    def interrupted_after_first_batch(**kwargs):
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt  # Ctrl-C during the second batch
        return real(**kwargs)

    monkeypatch.setattr(reindex_faces, "photos_index", interrupted_after_first_batch)
    with pytest.raises(KeyboardInterrupt):
        _run("--batch-size", "1")
    monkeypatch.undo()
    statuses = sorted(
        Photo.objects.filter(pk__in=[p.pk for p in photos]).values_list("index_status", flat=True)
    )
    assert statuses == ["indexed", "pending", "pending"]
    assert "2 photo(s) to index" in _run("--missing-only")
    assert set(
        Photo.objects.filter(pk__in=[p.pk for p in photos]).values_list("index_status", flat=True)
    ) == {"indexed"}
