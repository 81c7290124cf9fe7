"""POST /api/photos/bulk/: add to / remove from an album, trash, restore; all or nothing, owner-scoped."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from gallery import services
from gallery.models import Album, Photo

pytestmark = pytest.mark.django_db

URL = "/api/photos/bulk/"


def bulk(client: APIClient, action: str, photos: list[Any], **extra: Any) -> Any:
    return client.post(URL, {"action": action, "photos": photos, **extra}, format="json")


def ids(photos: list[Photo]) -> list[int]:
    return [p.pk for p in photos]


def trashed_ids() -> set[int]:
    return set(Photo.objects.trashed().values_list("pk", flat=True))


@pytest.fixture
def five(photo_factory: Any) -> list[Photo]:
    return [photo_factory() for _ in range(5)]


def test_add_to_album_adds_the_photos_and_counts_only_the_new_ones(api_client, user, five):
    album = services.album_create(owner=user, name="Trip")
    services.album_add_photos(album=album, photos=five[:1])

    response = bulk(api_client, "add_to_album", [*ids(five[:3]), five[0].pk], album=album.pk)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["action"], body["requested"], body["changed"]) == ("add_to_album", 3, 2)
    assert (body["album"]["id"], body["album"]["photo_count"]) == (album.pk, 3)
    assert set(album.photos.all()) == set(five[:3])


def test_add_to_a_new_album_creates_it_with_the_photos(api_client, user, five):
    response = bulk(api_client, "add_to_album", ids(five[:2]), new_album="  Summer  2026 ")

    assert response.status_code == 200, response.json()
    album = Album.objects.get()
    assert (album.owner, album.name) == (user, "Summer 2026")
    assert set(album.photos.all()) == set(five[:2])
    assert response.json()["album"] == {**response.json()["album"], "id": album.pk, "photo_count": 2}


def test_a_new_album_is_not_created_when_a_photo_is_foreign(api_client, five, other_photo):
    response = bulk(api_client, "add_to_album", [*ids(five), other_photo.pk], new_album="Trip")

    assert response.status_code == 404
    assert not Album.objects.exists()


def test_remove_from_album_removes_only_those_and_keeps_the_photos(api_client, user, five):
    album = services.album_create(owner=user, name="Trip")
    services.album_add_photos(album=album, photos=five)

    response = bulk(api_client, "remove_from_album", [*ids(five[:2]), five[4].pk], album=album.pk)

    assert response.status_code == 200
    assert (response.json()["changed"], response.json()["album"]["photo_count"]) == (3, 2)
    assert set(album.photos.all()) == set(five[2:4])
    assert Photo.objects.count() == 5


def test_remove_counts_only_photos_that_were_in_the_album(api_client, user, five):
    album = services.album_create(owner=user, name="Trip")
    services.album_add_photos(album=album, photos=five[:1])

    response = bulk(api_client, "remove_from_album", ids(five[:3]), album=album.pk)

    assert (response.status_code, response.json()["changed"]) == (200, 1)
    assert not album.photos.exists()


def test_trash_then_restore_is_an_undo(api_client, user, five):
    response = bulk(api_client, "trash", ids(five[:3]))

    assert (response.status_code, response.json()["changed"], response.json()["album"]) == (200, 3, None)
    assert trashed_ids() == set(ids(five[:3]))
    listed = api_client.get("/api/photos/").json()
    assert {p["id"] for p in listed["results"]} == set(ids(five[3:]))

    response = bulk(api_client, "restore", ids(five[:3]))

    assert (response.status_code, response.json()["changed"]) == (200, 3)
    assert not trashed_ids()
    assert api_client.get("/api/photos/").json()["count"] == 5


def test_trash_refuses_photos_already_in_the_trash_and_changes_nothing(api_client, user, five):
    services.photos_trash(owner=user, photos=five[:1])
    before = Photo.objects.get(pk=five[0].pk).trashed_at

    response = bulk(api_client, "trash", ids(five[:3]))

    assert response.status_code == 404
    assert trashed_ids() == {five[0].pk}
    assert Photo.objects.get(pk=five[0].pk).trashed_at == before


def test_restore_refuses_live_photos_mixed_in_and_restores_nothing(api_client, user, five):
    services.photos_trash(owner=user, photos=five[:2])

    response = bulk(api_client, "restore", ids(five[:3]))

    assert response.status_code == 404
    assert trashed_ids() == set(ids(five[:2]))


def test_album_actions_refuse_photos_in_the_trash(api_client, user, five):
    album = services.album_create(owner=user, name="Trip")
    services.album_add_photos(album=album, photos=five[:1])
    services.photos_trash(owner=user, photos=five[:1])

    for action in ("add_to_album", "remove_from_album"):
        response = bulk(api_client, action, ids(five[:2]), album=album.pk)
        assert response.status_code == 404, action
    assert list(album.photos.all()) == [five[0]]


@pytest.mark.parametrize("action", ["add_to_album", "remove_from_album", "trash", "restore"])
def test_one_foreign_photo_is_a_404_and_nothing_changes(api_client, user, five, other_photo, action):
    album = services.album_create(owner=user, name="Trip")
    services.album_add_photos(album=album, photos=five[3:])
    if action == "restore":
        services.photos_trash(owner=user, photos=five[:3])
        services.photos_trash(owner=other_photo.owner, photos=[other_photo])
    before = trashed_ids()

    response = bulk(api_client, action, [*ids(five[:3]), other_photo.pk], album=album.pk)

    assert response.status_code == 404
    assert "Secret" not in response.content.decode()
    assert trashed_ids() == before
    assert set(album.photos.all()) == set(five[3:])
    other_photo.refresh_from_db()
    assert not other_photo.albums.exists()


@pytest.mark.parametrize("action", ["add_to_album", "remove_from_album"])
def test_a_foreign_album_is_a_404_and_nothing_changes(api_client, five, other_user, action):
    theirs = services.album_create(owner=other_user, name="Secret album")

    response = bulk(api_client, action, ids(five), album=theirs.pk)

    assert response.status_code == 404
    assert "Secret" not in response.content.decode()
    assert not theirs.photos.exists()
    assert Album.objects.get(pk=theirs.pk).name == "Secret album"


@pytest.mark.parametrize("bad", ["abc", -1, 0, 2**70, "2" * 30, 1.5, True, {"id": 1}, [1]])
def test_a_malformed_photo_id_is_a_404_and_nothing_changes(api_client, five, bad):
    response = bulk(api_client, "trash", [*ids(five[:2]), bad])

    assert response.status_code == 404, response.content
    assert not trashed_ids()


@pytest.mark.parametrize("bad", ["abc", -1, 0, 2**70, 1.5, True, {"id": 1}])
def test_a_malformed_album_id_is_a_404(api_client, five, bad):
    response = bulk(api_client, "add_to_album", ids(five), album=bad)

    assert response.status_code == 404, response.content
    assert not Album.objects.exists() or not Album.objects.get().photos.exists()


def test_a_missing_photo_is_a_404(api_client, five):
    missing = max(ids(five)) + 1000
    assert bulk(api_client, "trash", [*ids(five), missing]).status_code == 404
    assert not trashed_ids()


def test_ids_as_strings_work_too(api_client, five):
    response = bulk(api_client, "trash", [str(pk) for pk in ids(five[:2])])
    assert (response.status_code, response.json()["changed"]) == (200, 2)


def test_a_form_post_works_too(api_client, five):
    response = api_client.post(URL, {"action": "trash", "photos": ids(five[:2])})
    assert (response.status_code, response.json()["changed"]) == (200, 2)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "action"),
        ({"action": "burn", "photos": [1]}, "action"),
        ({"action": "trash"}, "photos"),
        ({"action": "trash", "photos": []}, "photos"),
        ({"action": "trash", "photos": 1}, "photos"),
        ({"action": "trash", "photos": [1, None]}, "photos"),  # null is no id at all
        ({"action": "add_to_album", "photos": [1], "album": None}, "album"),
        ({"action": "add_to_album", "photos": [1]}, "album"),
        ({"action": "add_to_album", "photos": [1], "album": 1, "new_album": "x"}, "album"),
        ({"action": "add_to_album", "photos": [1], "new_album": "   "}, "new_album"),
        ({"action": "add_to_album", "photos": [1], "new_album": "x" * 121}, "new_album"),
        ({"action": "remove_from_album", "photos": [1]}, "album"),
        ({"action": "remove_from_album", "photos": [1], "new_album": "x"}, "new_album"),
        ({"action": "trash", "photos": [1], "new_album": "x"}, "new_album"),
    ],
)
def test_bad_requests_are_a_clear_400(api_client, five, payload, field):
    payload = {k: ([five[0].pk] if k == "photos" and v == [1] else v) for k, v in payload.items()}
    response = api_client.post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not trashed_ids()
    assert not Album.objects.exists()


def test_the_list_is_bounded(api_client, five):
    too_many = ids(five) * (services.BULK_MAX_PHOTOS // 5) + [five[0].pk]

    response = bulk(api_client, "trash", too_many)

    assert response.status_code == 400
    assert "photos" in response.json()
    assert not trashed_ids()
    # The limit itself is allowed.
    assert bulk(api_client, "trash", too_many[:-1]).status_code == 200


def test_anonymous_callers_are_refused(client, photo):
    response = client.post(URL, {"action": "trash", "photos": [photo.pk]}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not trashed_ids()


def test_a_browser_session_needs_the_csrf_token(user, photo):
    csrf_client = APIClient(enforce_csrf_checks=True)
    csrf_client.force_login(user)

    response = csrf_client.post(URL, {"action": "trash", "photos": [photo.pk]}, format="json")

    assert response.status_code == 403
    assert not trashed_ids()


def test_the_schema_documents_the_bulk_endpoint(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/photos/bulk/"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = schema["components"]["schemas"][request]["properties"]
    assert {"action", "photos", "album", "new_album"} <= set(fields)
    assert fields["photos"]["maxItems"] == services.BULK_MAX_PHOTOS
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert {"requested", "changed", "album"} <= set(
        schema["components"]["schemas"][response.rsplit("/", 1)[-1]]["properties"]
    )
