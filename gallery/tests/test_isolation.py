"""The isolation matrix: every page, API endpoint and media URL, used on someone else's photo or
album, answers 404 and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from gallery import services
from gallery.models import Album, AlbumShare, Photo
from imports.models import ImportJob
from people.models import FaceRejection, Person
from people.services import person_create
from recognition.models import Face, SearchQuery

pytestmark = pytest.mark.django_db

# (client kind, method, URL template, data). {photo}/{album} are the victim's ids;
# {mine_photo}/{mine_album} belong to the attacker, to show mixing ids does not help.
MATRIX = [
    ("page", "get", "/photos/{photo}/", None),
    ("page", "post", "/photos/{photo}/", {"title": "pwned", "caption": ""}),
    ("page", "get", "/photos/{photo}/delete/", None),
    ("page", "post", "/photos/{photo}/delete/", {}),
    ("page", "post", "/photos/{photo}/reindex/", {}),
    ("page", "post", "/photos/{photo}/albums/", {"album": "{mine_album}"}),
    ("page", "post", "/photos/{mine_photo}/albums/", {"album": "{album}"}),
    ("page", "get", "/media/photos/{photo}/original/", None),
    ("page", "get", "/media/photos/{photo}/original/?download=1", None),
    ("page", "get", "/media/photos/{photo}/display/", None),
    ("page", "get", "/media/photos/{photo}/thumbnail/", None),
    ("page", "get", "/albums/{album}/", None),
    ("page", "post", "/albums/{album}/", {"name": "pwned"}),
    ("page", "get", "/albums/{album}/delete/", None),
    ("page", "post", "/albums/{album}/delete/", {}),
    ("page", "get", "/albums/{album}/add/", None),
    ("page", "post", "/albums/{album}/add/", {"photo_ids": ["{mine_photo}"]}),
    ("page", "post", "/albums/{mine_album}/add/", {"photo_ids": ["{photo}"]}),
    ("page", "post", "/albums/{album}/photos/{photo}/remove/", {}),
    ("page", "post", "/albums/{mine_album}/photos/{photo}/remove/", {}),
    ("page", "post", "/albums/{album}/sort/", {"sort_order": "oldest"}),
    ("page", "post", "/albums/{album}/cover/", {"photo": "{photo}"}),
    ("page", "post", "/albums/{album}/cover/", {"photo": ""}),
    ("page", "post", "/albums/{mine_album}/cover/", {"photo": "{photo}"}),
    ("page", "post", "/albums/{album}/photos/{photo}/move/", {"direction": "later"}),
    ("page", "post", "/albums/{mine_album}/photos/{photo}/move/", {"direction": "later"}),
    ("api", "get", "/api/photos/{photo}/", None),
    ("api", "patch", "/api/photos/{photo}/", {"title": "pwned"}),
    ("api", "delete", "/api/photos/{photo}/", None),
    ("api", "post", "/api/photos/{photo}/reindex/", None),
    ("api", "get", "/api/albums/{album}/", None),
    ("api", "patch", "/api/albums/{album}/", {"name": "pwned"}),
    ("api", "delete", "/api/albums/{album}/", None),
    ("api", "get", "/api/albums/{album}/photos/", None),
    ("api", "post", "/api/albums/{album}/photos/", {"photo_ids": ["{mine_photo}"]}),
    ("api", "post", "/api/albums/{mine_album}/photos/", {"photo_ids": ["{photo}"]}),
    ("api", "delete", "/api/albums/{album}/photos/{photo}/", None),
    ("api", "delete", "/api/albums/{mine_album}/photos/{photo}/", None),
    ("api", "patch", "/api/albums/{album}/", {"cover": "{photo}"}),
    ("api", "patch", "/api/albums/{album}/", {"sort_order": "oldest"}),
    ("api", "patch", "/api/albums/{mine_album}/", {"cover": "{photo}"}),
    ("api", "put", "/api/albums/{album}/order/", {"photos": ["{photo}"]}),
    ("api", "put", "/api/albums/{mine_album}/order/", {"photos": ["{photo}"]}),
    ("api", "post", "/api/photos/bulk/", {"action": "trash", "photos": ["{photo}"]}),
    ("api", "post", "/api/photos/bulk/", {"action": "trash", "photos": ["{mine_photo}", "{photo}"]}),
    ("api", "post", "/api/photos/bulk/", {"action": "restore", "photos": ["{photo}"]}),
    (
        "api",
        "post",
        "/api/photos/bulk/",
        {"action": "add_to_album", "photos": ["{photo}"], "album": "{mine_album}"},
    ),
    (
        "api",
        "post",
        "/api/photos/bulk/",
        {"action": "add_to_album", "photos": ["{mine_photo}"], "album": "{album}"},
    ),
    ("api", "post", "/api/photos/bulk/", {"action": "add_to_album", "photos": ["{photo}"], "new_album": "x"}),
    (
        "api",
        "post",
        "/api/photos/bulk/",
        {"action": "remove_from_album", "photos": ["{photo}"], "album": "{album}"},
    ),
    (
        "api",
        "post",
        "/api/photos/bulk/",
        {"action": "remove_from_album", "photos": ["{mine_photo}"], "album": "{album}"},
    ),
    ("api", "get", "/media/photos/{photo}/original/", None),
    ("api", "get", "/media/photos/{photo}/original/?download=1", None),
    ("page", "get", "/faces/{face}/crop.jpg", None),
    ("page", "get", "/search/?face_id={face}", None),
    ("api", "get", "/api/photos/{photo}/faces/", None),
    ("api", "post", "/api/search/", {"face_id": "{face}"}),
    ("api", "post", "/api/search/", {"query_id": "{query}"}),
    ("api", "post", "/api/search/", {"query_id": "{query}", "face_index": 0, "strictness": "loose"}),
    ("page", "get", "/search/queries/{query}/preview.jpg", None),
    ("page", "get", "/people/{person}/", None),
    ("page", "post", "/people/{person}/", {"name": "pwned"}),
    ("page", "post", "/people/{person}/hide/", {"hidden": "1"}),
    ("page", "post", "/people/{person}/merge/", {"into": "{mine_person}"}),
    ("page", "post", "/people/{mine_person}/merge/", {"into": "{person}"}),
    ("page", "post", "/people/{person}/faces/", {"action": "reject", "faces": ["{face}"]}),
    (
        "page",
        "post",
        "/people/{mine_person}/faces/",
        {"action": "move", "faces": ["{face}"], "person": "{mine_person}"},
    ),
    (
        "page",
        "post",
        "/people/{mine_person}/faces/",
        {"action": "move", "faces": ["{mine_face}"], "person": "{person}"},
    ),
    ("page", "post", "/people/{mine_person}/faces/", {"action": "cover", "faces": ["{face}"]}),
    ("page", "post", "/people/review/faces/", {"action": "accept", "faces": ["{face}"]}),
    ("page", "post", "/people/review/faces/", {"action": "name", "faces": ["{face}"], "name": "pwned"}),
    ("page", "post", "/faces/{face}/name/", {"name": "pwned"}),
    ("page", "get", "/?person={person}", None),
    ("api", "get", "/api/people/{person}/", None),
    ("api", "patch", "/api/people/{person}/", {"name": "pwned"}),
    ("api", "patch", "/api/people/{mine_person}/", {"cover_face": "{face}"}),
    ("api", "get", "/api/people/{person}/faces/", None),
    ("api", "get", "/api/people/{person}/photos/", None),
    ("api", "post", "/api/people/{person}/merge/", {"into": "{mine_person}"}),
    ("api", "post", "/api/people/{mine_person}/merge/", {"into": "{person}"}),
    ("api", "post", "/api/people/{person}/reject-faces/", {"faces": ["{face}"]}),
    ("api", "post", "/api/people/{mine_person}/reject-faces/", {"faces": ["{face}"]}),
    ("api", "post", "/api/people/{person}/confirm-faces/", {"faces": ["{mine_face}"]}),
    ("api", "post", "/api/people/{mine_person}/confirm-faces/", {"faces": ["{face}"]}),
    ("api", "post", "/api/people/", {"name": "pwned", "faces": ["{face}"]}),
    ("api", "get", "/api/faces/{face}/", None),
    ("api", "patch", "/api/faces/{face}/", {"person": "{mine_person}"}),
    ("api", "patch", "/api/faces/{face}/", {"person": None}),
    ("api", "patch", "/api/faces/{mine_face}/", {"person": "{person}"}),
    ("api", "get", "/api/faces/?person={person}", None),
    ("api", "get", "/api/photos/?person={person}", None),
    # Zip downloads (issue 10): a foreign id anywhere in the list and nothing is streamed.
    ("page", "post", "/photos/download/", {"photos": ["{photo}"]}),
    ("page", "post", "/photos/download/", {"photos": ["{mine_photo}", "{photo}"]}),
    ("page", "get", "/albums/{album}/download/", None),
    ("api", "post", "/api/photos/download/", {"photos": ["{photo}"]}),
    ("api", "post", "/api/photos/download/", {"photos": ["{mine_photo}", "{photo}"]}),
    ("api", "get", "/api/albums/{album}/download/", None),
    # Album share links, the owner's side ({share} is a link to the victim's album).
    ("page", "get", "/albums/{album}/shares/", None),
    ("page", "post", "/albums/{album}/shares/", {"label": "pwned"}),
    ("page", "post", "/albums/{album}/shares/{share}/revoke/", {}),
    ("page", "post", "/albums/{mine_album}/shares/{share}/revoke/", {}),
    ("api", "get", "/api/albums/{album}/shares/", None),
    ("api", "post", "/api/albums/{album}/shares/", {"label": "pwned"}),
    ("api", "get", "/api/albums/{album}/shares/{share}/", None),
    ("api", "patch", "/api/albums/{album}/shares/{share}/", {"allow_download": True}),
    ("api", "delete", "/api/albums/{album}/shares/{share}/", None),
    ("api", "get", "/api/albums/{mine_album}/shares/{share}/", None),
    ("api", "patch", "/api/albums/{mine_album}/shares/{share}/", {"allow_download": True}),
    ("api", "delete", "/api/albums/{mine_album}/shares/{share}/", None),
    # The trash (issue 10): another user's photo, in the trash or not, is no photo of theirs.
    ("page", "post", "/trash/restore/", {"photo_ids": ["{photo}"]}),
    ("page", "post", "/trash/delete/", {"photo_ids": ["{photo}"], "confirm": "1"}),
    ("api", "post", "/api/trash/restore/", {"photos": ["{photo}"]}),
    ("api", "post", "/api/trash/delete/", {"photos": ["{photo}"]}),
    # The full-screen viewer: someone else's photo, or your own in someone else's order.
    ("page", "get", "/photos/{photo}/view/", None),
    ("page", "get", "/photos/{photo}/view/?album={mine_album}", None),
    ("page", "get", "/photos/{mine_photo}/view/?album={album}", None),
    ("page", "get", "/photos/{mine_photo}/view/?person={person}", None),
    ("page", "get", "/photos/{mine_photo}/view/?search={query}", None),
    ("page", "get", "/photos/{mine_photo}/view/?face_id={face}", None),
    ("api", "get", "/api/photos/{photo}/viewer/", None),
    ("api", "get", "/api/photos/{mine_photo}/viewer/?album={album}", None),
    ("api", "get", "/api/photos/{mine_photo}/viewer/?person={person}", None),
    ("api", "get", "/api/photos/{mine_photo}/viewer/?search={query}&face=0", None),
    ("api", "get", "/api/photos/{mine_photo}/viewer/?face_id={face}&strictness=loose", None),
    # Imports (issue 11): another user's import page and its progress.
    ("page", "get", "/import/{import_job}/", None),
    ("page", "get", "/import/{import_job}/status/", None),
]


def _face_of(photo: Photo) -> int:
    """Give the victim's photo an indexed face (a synthetic embedding; no model needed)."""
    import numpy as np

    from recognition.ml.types import DetectedFace, FaceEmbedding
    from recognition.services import photo_faces_replace

    marks = ((10.0, 10.0), (20.0, 10.0), (15.0, 15.0), (11.0, 20.0), (19.0, 20.0))
    vector = np.full(128, 128**-0.5, dtype=np.float32)
    face = FaceEmbedding(
        face=DetectedFace(box=(5.0, 5.0, 25.0, 25.0), score=0.99, landmarks=marks), vector=vector
    )
    photo_faces_replace(photo_id=photo.pk, model_key="dlib-resnet", faces=[face])
    return int(Face.objects.get(photo=photo).pk)


def _query_of(owner: Any) -> str:
    """A kept search query photo of `owner` (a synthetic face; no model needed)."""
    import numpy as np
    from PIL import Image

    from recognition.ml.types import DetectedFace, FaceEmbedding
    from recognition.services import search_query_create

    marks = ((10.0, 10.0), (20.0, 10.0), (15.0, 15.0), (11.0, 20.0), (19.0, 20.0))
    face = FaceEmbedding(
        face=DetectedFace(box=(5.0, 5.0, 25.0, 25.0), score=0.99, landmarks=marks),
        vector=np.full(128, 128**-0.5, dtype=np.float32),
    )
    image = Image.new("RGB", (40, 30), (200, 120, 40))
    return search_query_create(owner=owner, image=image, faces=[face], model_key="dlib-resnet").pk


def test_undo_never_reaches_another_users_merge(user, other_user, photo_factory, other_api_client):
    persons = [
        person_create(owner=user, faces=[Face.objects.get(pk=_face_of(photo_factory(user)))]) for _ in "ab"
    ]
    merge_into = persons[1]
    from people.services import person_merge

    person_merge(source=persons[0], target=merge_into)
    response = other_api_client.post("/api/people/merges/undo/")
    assert response.status_code == 400
    persons[0].refresh_from_db()
    assert persons[0].merged_into_id == merge_into.pk


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("kind", "method", "url", "data"), MATRIX, ids=[f"{m.upper()} {u}" for _, m, u, _ in MATRIX]
)
def test_other_users_objects_are_404_and_unchanged(
    kind, method, url, data, user, other_user, photo_factory, other_client, other_api_client
):
    victim_photo = photo_factory(user, title="Private")
    victim_album = services.album_create(owner=user, name="Private album")
    services.album_add_photos(album=victim_album, photos=[victim_photo])
    mine_photo = photo_factory(other_user)
    mine_album = services.album_create(owner=other_user, name="Mine")
    victim_face = _face_of(victim_photo)
    mine_face = _face_of(mine_photo)
    victim_person = person_create(owner=user, faces=[Face.objects.get(pk=victim_face)], name="Private person")
    mine_person = person_create(owner=other_user, faces=[Face.objects.get(pk=mine_face)], name="Mine")
    victim_photo.refresh_from_db()
    indexed = (victim_photo.index_status, victim_photo.indexed_at)
    victim_share, _token = services.album_share_create(album=victim_album, label="Private link")
    ids = {
        "share": victim_share.pk,
        "person": victim_person.pk,
        "mine_person": mine_person.pk,
        "mine_face": mine_face,
        "face": victim_face,
        "photo": victim_photo.pk,
        "album": victim_album.pk,
        "mine_photo": mine_photo.pk,
        "mine_album": mine_album.pk,
        "query": _query_of(user),
        "import_job": ImportJob.objects.create(owner=user, archive_name="Private.zip").pk,
    }

    client = other_client if kind == "page" else other_api_client
    kwargs = {"format": "json"} if kind == "api" and data is not None else {}
    response = getattr(client, method)(url.format(**ids), _fill(data, ids), **kwargs)

    assert response.status_code == 404, response.content
    body = response.content.decode(errors="replace")
    assert "Private" not in body
    victim_photo.refresh_from_db()
    victim_album.refresh_from_db()
    assert victim_photo.title == "Private"
    assert (victim_photo.index_status, victim_photo.indexed_at) == indexed
    assert victim_photo.trashed_at is None
    assert victim_album.name == "Private album"
    assert (victim_album.sort_order, victim_album.cover_id) == ("manual", None)
    assert list(victim_album.memberships.values_list("position", flat=True)) == [0]
    assert list(victim_album.photos.all()) == [victim_photo]
    assert not mine_album.photos.exists()
    mine_album.refresh_from_db()
    assert mine_album.cover_id is None
    assert Photo.objects.count() == 2
    assert Album.objects.count() == 2
    victim_person.refresh_from_db()
    assert (victim_person.name, victim_person.merged_into_id) == ("Private person", None)
    assert Face.objects.get(pk=victim_face).person_id == victim_person.pk
    assert Face.objects.get(pk=mine_face).person_id == mine_person.pk
    assert Person.objects.count() == 2
    assert not FaceRejection.objects.exists()
    assert SearchQuery.objects.get(pk=ids["query"]).owner_id == user.pk
    victim_share.refresh_from_db()
    assert (victim_share.label, victim_share.allow_download, victim_share.revoked_at) == (
        "Private link",
        False,
        None,
    )
    assert AlbumShare.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "/photos/999999/",
        "/api/photos/999999/",
        "/api/albums/999999/",
        "/albums/999999/",
        "/photos/999999/view/",
        "/api/photos/999999/viewer/",
    ],
)
def test_missing_ids_are_404_too(user_client, url):
    assert user_client.get(url).status_code == 404


def test_lists_never_mention_other_users_objects(
    user, other_user, photo_factory, other_client, other_api_client
):
    photo_factory(user, title="Private")
    services.album_create(owner=user, name="Private album")
    victim = photo_factory(user, title="Private face")
    person_create(owner=user, faces=[Face.objects.get(pk=_face_of(victim))], name="Private person")
    for url in ("/", "/albums/", "/upload/", "/people/", "/people/?hidden=1", "/people/review/"):
        assert "Private" not in other_client.get(url).content.decode()
    assert other_api_client.get("/api/photos/").json()["count"] == 0
    assert other_api_client.get("/api/albums/").json()["count"] == 0
    assert other_api_client.get("/api/people/").json()["count"] == 0
    assert other_api_client.get("/api/people/?hidden=all").json()["count"] == 0
    assert other_api_client.get("/api/faces/").json()["count"] == 0
    assert other_api_client.get("/api/faces/?person=none").json()["count"] == 0


def test_revoking_a_token_revokes_only_the_callers(user, other_user, other_api_client):
    """POST /api/auth/token/revoke/ names no object: it can only ever reach the caller's token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    victim = Token.objects.create(user=user)
    attacker = Token.objects.create(user=other_user)
    assert (
        other_api_client.post("/api/auth/token/revoke/", {"user": user.pk}, format="json").status_code == 204
    )
    assert list(Token.objects.values_list("key", flat=True)) == [victim.key]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {victim.key}")
    assert client.get("/api/photos/").status_code == 200
    assert not Token.objects.filter(key=attacker.key).exists()


def test_a_merged_persons_old_address_leads_nowhere_for_another_user(
    user, photo_factory, other_client, user_client
):
    from people.services import person_merge

    source, target = (
        person_create(owner=user, faces=[Face.objects.get(pk=_face_of(photo_factory(user)))], name=name)
        for name in ("Private one", "Private two")
    )
    person_merge(source=source, target=target)
    assert user_client.get(f"/people/{source.pk}/").url == f"/people/{target.pk}/"
    response = other_client.get(f"/people/{source.pk}/")
    assert response.status_code == 404
    assert "Private" not in response.content.decode()


def test_the_javascript_catalog_is_public_text_with_no_user_data(client, user, photo_factory, other_client):
    """/jsi18n/ is the same static text for everyone (no login needed), per language."""
    photo_factory(user, title="Private")
    anonymous = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="ko")
    assert anonymous.status_code == 200
    logged_in = other_client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="ko")
    assert logged_in.content == anonymous.content
    assert "Private" not in anonymous.content.decode()
    assert user.username not in anonymous.content.decode()


def test_the_account_page_needs_a_login_and_shows_only_the_callers_settings(
    client, user, other_user, other_client
):
    for method in ("get", "post"):
        response = getattr(client, method)(
            "/accounts/settings/", {"language": "ko", "time_zone": "Asia/Seoul"}
        )
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    user.time_zone = "Asia/Seoul"
    user.save(update_fields=["time_zone"])
    page = other_client.get("/accounts/settings/").content.decode()
    assert other_user.username in page
    assert user.username not in page
    assert '<option value="Asia/Seoul" selected>' not in page
    # No user id is taken: a POST can only ever change the caller's own settings.
    other_client.post(
        "/accounts/settings/", {"language": "ko", "time_zone": "Europe/Paris", "user": user.pk, "id": user.pk}
    )
    user.refresh_from_db()
    other_user.refresh_from_db()
    assert (user.language, user.time_zone) == ("", "Asia/Seoul")
    assert (other_user.language, other_user.time_zone) == ("ko", "Europe/Paris")


def test_the_language_switch_changes_only_the_callers_language(client, user, other_user, other_client):
    client.post("/accounts/language/", {"language": "ko", "user": user.pk})
    user.refresh_from_db()
    assert user.language == ""  # a visitor's choice is a cookie, never someone's account
    other_client.post("/accounts/language/", {"language": "ko", "user": user.pk})
    user.refresh_from_db()
    other_user.refresh_from_db()
    assert (user.language, other_user.language) == ("", "ko")


def test_another_user_cannot_restore_a_photo_from_the_trash(user, photo_factory, other_api_client):
    """The bulk restore (undo of a delete) reaches only the caller's trash."""
    victim = photo_factory(user, title="Private")
    services.photos_trash(owner=user, photos=[victim])

    response = other_api_client.post(
        "/api/photos/bulk/", {"action": "restore", "photos": [victim.pk]}, format="json"
    )

    assert response.status_code == 404
    assert "Private" not in response.content.decode()
    assert Photo.objects.trashed().get() == victim


def test_the_album_service_refuses_another_users_photo_as_a_permission_error_not_an_outage(
    user, photo_factory, other_photo
):
    from django.core.exceptions import PermissionDenied

    from gallery.storage import STORAGE_ERRORS

    album = services.album_create(owner=user, name="Mine")
    mine = photo_factory()
    services.album_add_photos(album=album, photos=[mine])
    for change in (services.album_add_photos, services.album_remove_photos):
        with pytest.raises(PermissionDenied) as refused:
            change(album=album, photos=[mine, other_photo])
        # An OSError (PermissionError) would be caught as a storage outage by `except STORAGE_ERRORS`.
        assert not isinstance(refused.value, STORAGE_ERRORS)
    assert list(album.photos.all()) == [mine]


# Account (issue 10): the account's e-mail address and the password reset pages.


def test_the_account_email_changes_only_the_callers_address(client, user, other_user, other_client, password):
    refused = client.post(
        "/accounts/settings/email/", {"email": "evil@example.com", "current_password": password}
    )
    assert refused.status_code == 302
    assert refused["Location"].startswith("/accounts/login/")
    # No user id is taken: the other user's own password changes only their own address.
    saved = other_client.post(
        "/accounts/settings/email/",
        {"email": "evil@example.com", "current_password": password, "user": user.pk, "id": user.pk},
    )
    assert saved.status_code == 302
    user.refresh_from_db()
    other_user.refresh_from_db()
    assert (user.email, other_user.email) == ("alice@example.com", "evil@example.com")
    assert "alice@example.com" not in other_client.get("/accounts/settings/").content.decode()


def test_the_password_reset_pages_do_not_reveal_whether_an_account_exists(
    client, user, other_user, other_client
):
    from django.contrib.auth.tokens import default_token_generator
    from django.core import mail
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    answers = []
    for n, (browser, address) in enumerate(
        [(client, "alice@example.com"), (client, "nobody@example.com"), (other_client, "alice@example.com")]
    ):
        response = browser.post("/accounts/password/reset/", {"email": address}, REMOTE_ADDR=f"10.9.0.{n}")
        answers.append((response.status_code, response["Location"]))
    assert answers == [(302, "/accounts/password/reset/sent/")] * 3
    # The e-mails go to the account's own address only, never to whoever asked.
    assert [m.to for m in mail.outbox] == [["alice@example.com"], ["alice@example.com"]]
    page = client.get("/accounts/password/reset/sent/").content.decode()
    assert "alice" not in page
    # A link for alice with mallory's token, with a made-up token, or for an unknown id: one answer.
    alice = urlsafe_base64_encode(force_bytes(user.pk))
    nobody = urlsafe_base64_encode(force_bytes(999999))
    for browser in (client, other_client):
        for uid, token in (
            (alice, default_token_generator.make_token(other_user)),
            (alice, "made-up-token"),
            (nobody, "made-up-token"),
        ):
            response = browser.get(f"/accounts/password/reset/{uid}/{token}/")
            assert response.status_code == 200
            assert response.context["validlink"] is False
            posted = browser.post(
                f"/accounts/password/reset/{uid}/{token}/",
                {"new_password1": "taken-over-pass-99", "new_password2": "taken-over-pass-99"},
            )
            assert posted.status_code == 200
    user.refresh_from_db()
    assert not user.check_password("taken-over-pass-99")


def test_the_import_page_needs_a_login_and_imports_only_into_the_callers_library(
    client, user, other_user, other_client, photo_factory, django_capture_on_commit_callbacks
):
    """/import/ (issue 11) has no ids: it must write only to the caller, and the duplicate check
    must not see anyone else's photos (the victim's bytes import as new for the caller)."""
    import io
    import zipfile

    from conftest import make_image_bytes

    data = make_image_bytes(size=(40, 30), color=(1, 2, 3))
    photo_factory(user, data=data, title="Private")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Private/same.jpg", data)
    buffer.seek(0)
    buffer.name = "mine.zip"
    anonymous = client.post("/import/", {"archive": buffer, "album_per_folder": "on"})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    buffer.seek(0)
    with django_capture_on_commit_callbacks(execute=True):  # the import job runs inline
        response = other_client.post("/import/", {"archive": buffer, "album_per_folder": "on"})
    assert response.status_code == 302
    summary = other_client.get(response["Location"]).context["summary"]
    assert (summary["imported"], summary["duplicates"]) == (1, 0)
    assert not ImportJob.objects.filter(owner=user).exists()
    assert Photo.objects.filter(owner=user).count() == 1
    assert Photo.objects.filter(
        owner=other_user, content_hash=Photo.objects.get(owner=user).content_hash
    ).exists()
    assert not Album.objects.filter(owner=user).exists()


# Album share links, the visitor's side: a link to album X, opened by someone without an account
# and by another logged-in user, reaches X's live photos and nothing else of its owner.
# {token} opens the victim's shared album; {other_album_photo} is in another album of the same
# owner, {loose_photo} in none, {trashed} in the shared album but in the trash, {mine_photo} is
# the visitor's own; {revoked}/{expired} are tokens of closed links to the same album.
SHARE_MATRIX = [
    "/s/{token}/photos/{other_album_photo}/",
    "/s/{token}/photos/{loose_photo}/",
    "/s/{token}/photos/{trashed}/",
    "/s/{token}/photos/{mine_photo}/",
    *(
        f"/s/{{token}}/media/{{{photo}}}/{kind}/"
        for photo in ("other_album_photo", "loose_photo", "trashed", "mine_photo")
        for kind in ("thumbnail", "display", "original")
    ),
    "/s/{token}/media/{shared_photo}/original/",  # downloads not allowed on this link
    "/s/{token}/download/",  # nor the album's zip
    "/s/{token}/media/{shared_photo}/faces/",
    *(
        url
        for closed in ("revoked", "expired")
        for url in (
            f"/s/{{{closed}}}/",
            f"/s/{{{closed}}}/photos/{{shared_photo}}/",
            f"/s/{{{closed}}}/media/{{shared_photo}}/thumbnail/",
            f"/s/{{{closed}}}/download/",
        )
    ),
    "/s/{token}x/",
    "/s/{token}x/media/{shared_photo}/thumbnail/",
]


@pytest.mark.parametrize("visitor", ["anonymous", "other_user"])
@pytest.mark.parametrize("url", SHARE_MATRIX)
def test_a_share_link_reaches_only_its_albums_live_photos(
    visitor, url, user, other_user, photo_factory, other_client
):
    import datetime as dt

    from django.test import Client
    from django.utils import timezone

    shared_album = services.album_create(owner=user, name="Shared album")
    shared_photo, trashed = photo_factory(user, title="Shared"), photo_factory(user, title="Private trashed")
    services.album_add_photos(album=shared_album, photos=[shared_photo, trashed])
    services.photos_trash(owner=user, photos=[trashed])
    other_album = services.album_create(owner=user, name="Private album")
    other_album_photo = photo_factory(user, title="Private in another album")
    services.album_add_photos(album=other_album, photos=[other_album_photo])
    loose_photo = photo_factory(user, title="Private loose")
    _share, token = services.album_share_create(album=shared_album)
    revoked, revoked_token = services.album_share_create(album=shared_album)
    services.album_share_revoke(share=revoked)
    expired, expired_token = services.album_share_create(album=shared_album)
    AlbumShare.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    ids = {
        "token": token,
        "revoked": revoked_token,
        "expired": expired_token,
        "shared_photo": shared_photo.pk,
        "trashed": trashed.pk,
        "other_album_photo": other_album_photo.pk,
        "loose_photo": loose_photo.pk,
        "mine_photo": photo_factory(other_user, title="Mine").pk,
    }
    client = Client() if visitor == "anonymous" else other_client
    # The link itself works for this visitor: what follows is refused for what it names.
    assert client.get(f"/s/{token}/media/{shared_photo.pk}/thumbnail/").status_code == 200

    response = client.get(url.format(**ids))

    assert response.status_code == 404, response.content
    assert "Private" not in response.content.decode(errors="replace")
    assert user.username not in response.content.decode(errors="replace")


# The trash (issue 10): the victim's photo is in their trash; every trash URL, used by another
# user, is 404 (or lists nothing) and changes nothing; anonymous visitors are sent to log in.
TRASH_MATRIX: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("page", "get", "/photos/{photo}/", None),
    ("page", "get", "/media/photos/{photo}/thumbnail/", None),
    ("page", "get", "/media/photos/{photo}/original/", None),
    ("page", "post", "/trash/restore/", {"photo_ids": ["{photo}"]}),
    ("page", "post", "/trash/restore/", {"photo_ids": ["{photo}", "{mine_photo}"]}),
    ("page", "post", "/trash/delete/", {"photo_ids": ["{photo}"]}),
    ("page", "post", "/trash/delete/", {"photo_ids": ["{photo}"], "confirm": "1"}),
    ("api", "get", "/api/photos/{photo}/", None),
    ("api", "post", "/api/trash/restore/", {"photos": ["{photo}"]}),
    ("api", "post", "/api/trash/restore/", {"photos": ["{photo}", "{mine_photo}"]}),
    ("api", "post", "/api/trash/delete/", {"photos": ["{photo}"]}),
    ("api", "post", "/api/trash/delete/", {"photos": ["{mine_photo}", "{photo}"]}),
]


@pytest.mark.parametrize(
    ("kind", "method", "url", "data"),
    TRASH_MATRIX,
    ids=[f"{m.upper()} {u} {d}" for _, m, u, d in TRASH_MATRIX],
)
def test_another_users_trash_is_out_of_reach(
    kind,
    method,
    url,
    data,
    user,
    other_user,
    photo_factory,
    other_client,
    other_api_client,
    django_capture_on_commit_callbacks,
):
    victim = photo_factory(user, title="Private")
    services.photos_trash(owner=user, photos=[victim])
    mine = photo_factory(other_user)
    services.photos_trash(owner=other_user, photos=[mine])
    ids = {"photo": victim.pk, "mine_photo": mine.pk}
    client = other_client if kind == "page" else other_api_client
    kwargs = {"format": "json"} if kind == "api" and data is not None else {}
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(url.format(**ids), _fill(data, ids), **kwargs)
    assert response.status_code == 404, response.content
    assert "Private" not in response.content.decode(errors="replace")
    assert set(Photo.objects.trashed().values_list("pk", flat=True)) == {victim.pk, mine.pk}
    assert all(victim.original.storage.exists(name) for name in victim.file_names)


def test_trash_lists_and_empty_touch_only_the_callers_trash(
    user, other_user, photo_factory, other_client, other_api_client, django_capture_on_commit_callbacks
):
    victim = photo_factory(user, title="Private")
    services.photos_trash(owner=user, photos=[victim])
    assert "Private" not in other_client.get("/trash/").content.decode()
    assert f'data-photo-id="{victim.pk}"' not in other_client.get("/trash/").content.decode()
    assert other_api_client.get("/api/trash/").json()["count"] == 0
    assert "Private" not in other_client.get("/trash/empty/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert other_client.post("/trash/empty/").status_code == 302
        assert other_api_client.post("/api/trash/empty/").json() == {"count": 0}
    assert Photo.objects.trashed().get() == victim
    assert all(victim.original.storage.exists(name) for name in victim.file_names)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/trash/"),
        ("get", "/trash/empty/"),
        ("post", "/trash/empty/"),
        ("post", "/trash/restore/"),
        ("post", "/trash/delete/"),
        ("get", "/api/trash/"),
        ("post", "/api/trash/restore/"),
        ("post", "/api/trash/delete/"),
        ("post", "/api/trash/empty/"),
    ],
)
def test_the_trash_needs_a_login(method, url, client, user, photo_factory):
    victim = photo_factory(user, title="Private")
    services.photos_trash(owner=user, photos=[victim])
    response = getattr(client, method)(url, {"photo_ids": [victim.pk], "photos": [victim.pk]})
    if url.startswith("/api/"):
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert Photo.objects.trashed().get() == victim


# Library exports (issue 11): another user's export, its progress, download link or deletion is a
# 404 (anonymous visitors are sent to log in); nothing about it shows, nothing changes.
EXPORT_MATRIX = [
    ("page", "get", "/exports/{export}/download/"),
    ("page", "post", "/exports/{export}/delete/"),
    ("api", "get", "/api/exports/{export}/"),
    ("api", "delete", "/api/exports/{export}/"),
    ("api", "get", "/api/exports/{export}/download/"),
]


@pytest.fixture
def victim_export(user, photo_factory, django_capture_on_commit_callbacks):
    from exports.services import export_create

    photo_factory(user, title="Private")
    with django_capture_on_commit_callbacks(execute=True):
        export = export_create(owner=user)
    export.refresh_from_db()
    assert export.is_downloadable
    return export


@pytest.mark.parametrize(
    ("kind", "method", "url"), EXPORT_MATRIX, ids=[f"{m.upper()} {u}" for _, m, u in EXPORT_MATRIX]
)
def test_other_users_exports_are_404_and_unchanged(
    kind, method, url, victim_export, other_client, other_api_client, client
):
    from exports.models import Export
    from gallery.storage import photo_storage

    target = url.format(export=victim_export.pk)
    response = getattr(other_client if kind == "page" else other_api_client, method)(target)
    assert response.status_code == 404, response.content
    assert "Private" not in response.content.decode(errors="replace")
    anonymous = getattr(client, method)(target)
    assert anonymous.status_code in (302, 401, 403)
    if anonymous.status_code == 302:
        assert anonymous["Location"].startswith("/accounts/login/")
    assert Export.objects.get(pk=victim_export.pk).is_downloadable
    assert photo_storage().exists(victim_export.file_name)


def test_export_lists_never_mention_other_users_exports(
    victim_export,
    other_user,
    photo_factory,
    other_client,
    other_api_client,
    django_capture_on_commit_callbacks,
):
    import json
    import zipfile

    from exports.models import Export
    from gallery.storage import photo_storage

    assert other_api_client.get("/api/exports/").json()["count"] == 0
    page = other_client.get("/exports/").content.decode()
    assert f"/exports/{victim_export.pk}/" not in page
    # Starting an export exports only the caller's own library.
    mine_photo = photo_factory(other_user, title="Mine")
    with django_capture_on_commit_callbacks(execute=True):
        other_client.post("/exports/")
    mine = Export.objects.exclude(pk=victim_export.pk).get()
    assert (mine.owner_id, mine.status, mine.photos_total) == (other_user.pk, "done", 1)
    with photo_storage().open(mine.file_name, "rb") as stored:
        library = json.loads(zipfile.ZipFile(stored).read("library.json"))
    assert [p["id"] for p in library["photos"]] == [mine_photo.pk]
    assert "Private" not in json.dumps(library)
