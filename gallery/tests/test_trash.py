"""The trash end to end: deleting moves photos there (hidden everywhere, files kept), the trash
page and API restore or delete them for good, the purge deletes what is older than TRASH_DAYS,
and the storage quota counts the trash."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from conftest import make_image_bytes
from gallery import selectors, services
from gallery.models import Album, PendingDeletion, Photo
from gallery.tests.test_api import stored_names
from people import selectors as people_selectors
from people.models import Person
from people.services import person_create
from recognition.models import Face
from recognition.selectors import face_search

pytestmark = pytest.mark.django_db

MODEL = "dlib-resnet"


def _vector(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=128).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _give_face(photo: Photo, vector: np.ndarray) -> Face:
    """An indexed face on the photo (a synthetic embedding; no model needed)."""
    from recognition.ml.types import DetectedFace, FaceEmbedding
    from recognition.services import photo_faces_replace

    marks = ((10.0, 10.0), (20.0, 10.0), (15.0, 15.0), (11.0, 20.0), (19.0, 20.0))
    face = FaceEmbedding(
        face=DetectedFace(box=(5.0, 5.0, 25.0, 25.0), score=0.99, landmarks=marks), vector=vector
    )
    photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=[face])
    return Face.objects.get(photo=photo, model_key=MODEL)


def _trash(owner: Any, *photos: Photo, days_ago: float = 0) -> None:
    services.photos_trash(owner=owner, photos=list(photos))
    if days_ago:
        Photo.objects.filter(pk__in=[p.pk for p in photos]).update(
            trashed_at=timezone.now() - timedelta(days=days_ago)
        )


# --- hidden everywhere, back after restore ------------------------------------------------------


def test_a_trashed_photo_is_hidden_everywhere_and_comes_back_whole(
    user: Any, photo_factory: Any, user_client: Any, api_client: Any
) -> None:
    kept, binned = photo_factory(title="Kept"), photo_factory(title="Binned")
    album = services.album_create(owner=user, name="Trip")
    services.album_add_photos(album=album, photos=[kept, binned])
    vector = _vector(1)
    kept_face, binned_face = _give_face(kept, vector), _give_face(binned, vector)
    person = person_create(owner=user, faces=[kept_face, binned_face], name="Mina")
    Person.objects.filter(pk=person.pk).update(cover_face=binned_face, cover_pinned=False)

    tile = f'data-photo-id="{binned.pk}"'

    def visible() -> dict[str, Any]:
        grid = user_client.get("/").content.decode()
        album_page = user_client.get(f"/albums/{album.pk}/").content.decode()
        listed = people_selectors.person_get_for_user(user=user, person_id=person.pk, model_key=MODEL)
        hits = face_search(user=user, vector=vector, model_key=MODEL, min_similarity=0.5, limit=10)
        return {
            "grid": tile in grid,
            "album_page": tile in album_page,
            "album_count": api_client.get(f"/api/albums/{album.pk}/").json()["photo_count"],
            "api_list": {p["id"] for p in api_client.get("/api/photos/").json()["results"]},
            "api_detail": api_client.get(f"/api/photos/{binned.pk}/").status_code,
            "album_api": {
                p["id"] for p in api_client.get(f"/api/albums/{album.pk}/photos/").json()["results"]
            },
            "search": {h.photo.pk for h in hits},
            "person_counts": (getattr(listed, "face_count", None), getattr(listed, "photo_count", None)),
            "person_photos": {
                p["id"] for p in api_client.get(f"/api/people/{person.pk}/photos/").json()["results"]
            },
            "person_faces": {
                f["id"] for f in api_client.get(f"/api/people/{person.pk}/faces/").json()["results"]
            },
            "grid_by_person": tile in user_client.get(f"/?person={person.pk}").content.decode(),
            "cover": Person.objects.get(pk=person.pk).cover_face_id,
        }

    before = visible()
    assert before["grid"]
    assert before["album_page"]
    assert before["grid_by_person"]
    assert before["album_count"] == 2
    assert before["api_detail"] == 200
    assert before["search"] == {kept.pk, binned.pk}
    assert before["person_counts"] == (2, 2)

    assert user_client.post(f"/photos/{binned.pk}/delete/").status_code == 302

    hidden = visible()
    assert not hidden["grid"]
    assert not hidden["album_page"]
    assert not hidden["grid_by_person"]
    assert hidden["album_count"] == 1
    assert hidden["api_list"] == hidden["album_api"] == hidden["person_photos"] == {kept.pk}
    assert hidden["api_detail"] == 404
    assert hidden["search"] == {kept.pk}
    assert hidden["person_counts"] == (1, 1)
    assert hidden["person_faces"] == {kept_face.pk}
    assert hidden["cover"] == kept_face.pk  # the cover moved off the trashed photo
    # The files, the faces and the person are all kept meanwhile.
    assert Face.objects.get(pk=binned_face.pk).person_id == person.pk
    storage = binned.original.storage
    assert all(storage.exists(n) for n in binned.file_names)

    response = api_client.post("/api/trash/restore/", {"photos": [binned.pk]}, format="json")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()] == [binned.pk]

    after = visible()
    assert after["grid"]
    assert after["album_page"]
    assert after["grid_by_person"]
    assert after["album_count"] == 2
    assert after["api_detail"] == 200
    assert after["search"] == {kept.pk, binned.pk}
    assert after["person_counts"] == (2, 2)
    assert Person.objects.get(pk=person.pk).name == "Mina"


def test_album_candidates_and_search_page_leave_the_trash_out(
    user: Any, photo_factory: Any, user_client: Any
) -> None:
    kept, binned = photo_factory(title="Kept"), photo_factory(title="Binned")
    album = services.album_create(owner=user, name="Trip")
    _trash(user, binned)
    page = user_client.get(f"/albums/{album.pk}/add/").content.decode()
    assert f'value="{kept.pk}"' in page
    assert f'value="{binned.pk}"' not in page
    # Adding a trashed photo through the page is refused like a foreign one.
    assert user_client.post(f"/albums/{album.pk}/add/", {"photo_ids": [binned.pk]}).status_code == 404
    assert not album.photos.exists()


# --- the photo page and media of a trashed photo ------------------------------------------------


def test_a_trashed_photos_page_offers_restore_and_its_files_still_load(
    user: Any, photo_factory: Any, user_client: Any, other_client: Any
) -> None:
    photo = photo_factory(title="Binned")
    _trash(user, photo, days_ago=10)
    page = user_client.get(f"/photos/{photo.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="photo-in-trash"' in body
    assert "20 days" in body
    assert 'id="photo-restore"' in body
    assert 'id="photo-delete-forever"' in body
    assert 'id="photo-edit-form"' not in body
    # No edit, re-index or album change while it is in the trash.
    assert user_client.post(f"/photos/{photo.pk}/", {"title": "x", "caption": ""}).status_code == 404
    assert user_client.post(f"/photos/{photo.pk}/reindex/").status_code == 404
    assert Photo.objects.get(pk=photo.pk).title == "Binned"
    for kind in ("thumbnail", "display", "original"):
        response = user_client.get(f"/media/photos/{photo.pk}/{kind}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
        assert other_client.get(f"/media/photos/{photo.pk}/{kind}/").status_code == 404
    assert other_client.get(f"/photos/{photo.pk}/").status_code == 404


# --- the trash API ------------------------------------------------------------------------------


def test_trash_api_lists_only_my_trash_newest_trashed_first(
    user: Any, other_user: Any, photo_factory: Any, api_client: Any, settings: Any
) -> None:
    settings.TRASH_DAYS = 30
    older, newer, live = photo_factory(), photo_factory(), photo_factory()
    _trash(user, older, days_ago=5)
    _trash(user, newer, days_ago=1)
    _trash(other_user, photo_factory(other_user))
    body = api_client.get("/api/trash/").json()
    assert body["count"] == 2
    assert [p["id"] for p in body["results"]] == [newer.pk, older.pk]
    first = body["results"][0]
    assert first["trashed_at"]
    assert first["purge_at"]
    purge_at = Photo.objects.get(pk=newer.pk).purge_at
    assert purge_at is not None
    assert datetime.fromisoformat(first["purge_at"].replace("Z", "+00:00")) == purge_at
    assert live.pk not in {p["id"] for p in body["results"]}


@pytest.mark.parametrize("action", ["restore", "delete"])
def test_a_foreign_or_live_id_in_the_list_is_404_and_nothing_changes(
    action: str, user: Any, other_user: Any, photo_factory: Any, api_client: Any
) -> None:
    mine, live = photo_factory(), photo_factory()
    theirs = photo_factory(other_user)
    _trash(user, mine)
    _trash(other_user, theirs)
    for ids in ([mine.pk, theirs.pk], [mine.pk, live.pk], [mine.pk, 99_999_999], [mine.pk, 2**70]):
        response = api_client.post(f"/api/trash/{action}/", {"photos": ids}, format="json")
        assert response.status_code in (400, 404), ids
        assert Photo.objects.trashed().filter(pk__in=[mine.pk, theirs.pk]).count() == 2
        assert Photo.objects.get(pk=live.pk).trashed_at is None
    assert api_client.post(f"/api/trash/{action}/", {"photos": []}, format="json").status_code == 400
    assert api_client.post(f"/api/trash/{action}/", {"photos": "x"}, format="json").status_code == 400
    assert Photo.objects.count() == 3


def test_delete_forever_removes_rows_faces_and_files(
    user: Any, photo_factory: Any, api_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    doomed, kept = photo_factory(), photo_factory()
    face = _give_face(doomed, _vector(2))
    _trash(user, doomed, kept)
    names = doomed.file_names
    storage = doomed.original.storage
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/trash/delete/", {"photos": [doomed.pk]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"count": 1}
    assert not Photo.objects.filter(pk=doomed.pk).exists()
    assert not Face.objects.filter(pk=face.pk).exists()
    assert not any(storage.exists(n) for n in names)
    assert not PendingDeletion.objects.exists()
    assert Photo.objects.get(pk=kept.pk).trashed_at is not None


def test_empty_trash_deletes_only_my_trash(
    user: Any,
    other_user: Any,
    photo_factory: Any,
    api_client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    binned, live = photo_factory(), photo_factory()
    theirs = photo_factory(other_user)
    _trash(user, binned)
    _trash(other_user, theirs)
    before = stored_names()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/trash/empty/")
    assert response.status_code == 200
    assert response.json() == {"count": 1}
    assert set(Photo.objects.values_list("pk", flat=True)) == {live.pk, theirs.pk}
    assert before - stored_names() == set(binned.file_names)
    assert api_client.get("/api/trash/").json()["count"] == 0


def test_uploading_bytes_that_are_in_the_trash_says_so(user: Any, api_client: Any, user_client: Any) -> None:
    data = make_image_bytes(size=(40, 30), color=(1, 2, 3))
    first = api_client.post("/api/photos/", {"image": SimpleUploadedFile("a.jpg", data)}, format="multipart")
    photo_id = first.json()["id"]
    again = api_client.post("/api/photos/", {"image": SimpleUploadedFile("b.jpg", data)}, format="multipart")
    assert again.status_code == 409
    assert again.json()["in_trash"] is False
    api_client.delete(f"/api/photos/{photo_id}/")
    again = api_client.post("/api/photos/", {"image": SimpleUploadedFile("b.jpg", data)}, format="multipart")
    assert again.status_code == 409
    assert again.json()["existing_id"] == photo_id
    assert again.json()["in_trash"] is True
    assert "in your trash" in again.json()["detail"]
    page = user_client.post("/upload/", {"images": [SimpleUploadedFile("c.jpg", data)]}).content.decode()
    assert "in your trash" in page
    # Without JavaScript the message carries a Restore form for that photo.
    assert 'action="/trash/restore/"' in page
    assert f'name="photo_ids" value="{photo_id}"' in page
    assert ">Restore</button>" in page
    assert Photo.objects.count() == 1


# --- the trash pages ----------------------------------------------------------------------------


def test_trash_page_lists_days_left_and_restores_and_deletes(
    user: Any, photo_factory: Any, user_client: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.TRASH_DAYS = 30
    a, b, c = photo_factory(title="A"), photo_factory(title="B"), photo_factory(title="C")
    _trash(user, a, days_ago=29.5)
    _trash(user, b, days_ago=3)
    _trash(user, c)
    page = user_client.get("/trash/").content.decode()
    assert "1 day left" in page
    assert "27 days left" in page
    assert "30 days left" in page
    assert page.index(f'data-photo-id="{c.pk}"') < page.index(f'data-photo-id="{b.pk}"')
    assert "/trash/" in user_client.get("/").content.decode()  # in the header

    assert user_client.post("/trash/restore/", {"photo_ids": [a.pk]}).status_code == 302
    assert Photo.objects.get(pk=a.pk).trashed_at is None
    # Delete forever asks first; only the confirmed POST deletes.
    confirm = user_client.post("/trash/delete/", {"photo_ids": [b.pk]})
    assert confirm.status_code == 200
    assert 'id="confirm-delete-forever"' in confirm.content.decode()
    assert Photo.objects.filter(pk=b.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = user_client.post("/trash/delete/", {"photo_ids": [b.pk], "confirm": "1"})
    assert done.status_code == 302
    assert not Photo.objects.filter(pk=b.pk).exists()
    # Empty trash asks too (GET), then deletes on POST.
    assert user_client.get("/trash/empty/").status_code == 200
    assert Photo.objects.filter(pk=c.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert user_client.post("/trash/empty/").status_code == 302
    assert list(Photo.objects.all()) == [a]
    assert 'id="trash-empty-state"' in user_client.get("/trash/").content.decode()


def test_trash_pages_refuse_live_and_foreign_ids(
    user: Any, other_user: Any, photo_factory: Any, user_client: Any
) -> None:
    mine, live, theirs = photo_factory(), photo_factory(), photo_factory(other_user)
    _trash(user, mine)
    _trash(other_user, theirs)
    for url in ("/trash/restore/", "/trash/delete/"):
        for ids in ([mine.pk, theirs.pk], [mine.pk, live.pk]):
            assert user_client.post(url, {"photo_ids": ids, "confirm": "1"}).status_code == 404
    assert Photo.objects.trashed().count() == 2
    assert Photo.objects.count() == 3
    assert user_client.post("/trash/restore/", {"next": "https://evil.example/"}).status_code == 302
    restored = user_client.post("/trash/restore/", {"photo_ids": [mine.pk], "next": "https://evil.example/"})
    assert restored["Location"] == "/trash/"


# --- the purge ----------------------------------------------------------------------------------


def test_purge_deletes_only_what_is_older_than_trash_days(
    user: Any, other_user: Any, photo_factory: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TRASH_DAYS = 7
    old, fresh, live = photo_factory(), photo_factory(), photo_factory()
    theirs_old = photo_factory(other_user)
    _trash(user, old, days_ago=8)
    _trash(user, fresh, days_ago=6)
    _trash(other_user, theirs_old, days_ago=7.5)
    storage = old.original.storage
    names = [*old.file_names, *theirs_old.file_names]

    now = timezone.now()
    assert {p.pk for p in services.trash_purge_due(now=now)} == {old.pk, theirs_old.pk}
    # Seen from two days later, the fresh one is due too; from 2 days earlier, none is.
    assert {p.pk for p in services.trash_purge_due(now=now + timedelta(days=2))} == {
        old.pk,
        fresh.pk,
        theirs_old.pk,
    }
    assert not services.trash_purge_due(now=now - timedelta(days=2)).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.trash_purge(now=now) == 2
    assert set(Photo.objects.values_list("pk", flat=True)) == {fresh.pk, live.pk}
    assert not any(storage.exists(n) for n in names)
    assert all(storage.exists(n) for n in fresh.file_names)
    assert not PendingDeletion.objects.exists()


def test_purge_trash_command_dry_run_then_for_real(
    user: Any, photo_factory: Any, settings: Any, capsys: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TRASH_DAYS = 30
    old, fresh = photo_factory(), photo_factory()
    _trash(user, old, days_ago=31)
    _trash(user, fresh, days_ago=1)
    call_command("purge_trash", "--dry-run")
    out = capsys.readouterr().out
    assert "more than 30 days: 1" in out
    assert "Dry run" in out
    assert Photo.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_trash", verbosity=0)
    assert "Deleted 1 photo(s)" in capsys.readouterr().out
    assert list(Photo.objects.all()) == [fresh]
    assert not old.original.storage.exists(old.original.name)


def test_purge_task_is_scheduled_and_purges(
    user: Any, photo_factory: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from gallery.tasks import purge_trash

    entry = settings.CELERY_BEAT_SCHEDULE["purge-trash"]
    assert entry["task"] == "gallery.tasks.purge_trash"
    assert entry["schedule"] > 0
    settings.TRASH_DAYS = 1
    photo = photo_factory()
    _trash(user, photo, days_ago=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_trash.apply().get() == {"deleted": 1}
    assert not Photo.objects.exists()


def test_trash_days_comes_from_the_environment(monkeypatch: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from memory_studio.env import env_int

    monkeypatch.setenv("TRASH_DAYS", "0")
    with pytest.raises(ImproperlyConfigured, match="TRASH_DAYS"):
        env_int("TRASH_DAYS", 30, minimum=1)


# --- the storage quota --------------------------------------------------------------------------


def test_quota_counts_the_trash_and_refuses_an_upload_cleanly(
    user: Any, photo_factory: Any, api_client: Any, user_client: Any, settings: Any
) -> None:
    settings.STORAGE_QUOTA_MB = 1
    first = photo_factory()
    assert first.stored_size > first.size  # the renditions count too
    _trash(user, first)
    # The trashed photo takes (nearly) all of the quota.
    Photo.objects.filter(pk=first.pk).update(stored_size=1024 * 1024 - 100)
    before_files, before_rows = stored_names(), Photo.objects.count()
    data = make_image_bytes(size=(40, 30), color=(9, 9, 9))
    response = api_client.post(
        "/api/photos/", {"image": SimpleUploadedFile("n.jpg", data)}, format="multipart"
    )
    assert response.status_code == 400
    assert "Not enough storage" in response.json()["image"][0]
    page = user_client.post("/upload/", {"images": [SimpleUploadedFile("n.jpg", data)]})
    assert "Not enough storage" in page.content.decode()
    assert (stored_names(), Photo.objects.count()) == (before_files, before_rows)
    account = user_client.get("/accounts/settings/").content.decode()
    assert "1.0 MB" in account
    assert "1 photo in the trash" in account

    # Emptying the trash makes room.
    services.trash_empty(owner=user)
    created = api_client.post(
        "/api/photos/", {"image": SimpleUploadedFile("n.jpg", data)}, format="multipart"
    )
    assert created.status_code == 201, created.content


def test_no_quota_by_default_and_usage_is_shown(user: Any, photo_factory: Any, user_client: Any) -> None:
    photo = photo_factory()
    usage = selectors.storage_usage_for_user(user=user)
    assert usage.quota_bytes is None
    assert usage.used_bytes == photo.stored_size
    assert (usage.trashed_count, usage.trashed_bytes) == (0, 0)
    assert 'id="storage-usage"' in user_client.get("/accounts/settings/").content.decode()


def test_album_counts_leave_the_trash_out(user: Any, photo_factory: Any, api_client: Any) -> None:
    a, b = photo_factory(), photo_factory()
    album = services.album_create(owner=user, name="Two")
    services.album_add_photos(album=album, photos=[a, b])
    _trash(user, b)
    assert api_client.get("/api/albums/").json()["results"][0]["photo_count"] == 1
    assert Album.objects.get(pk=album.pk).photos.count() == 2  # membership kept for the restore
