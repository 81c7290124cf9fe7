"""Album share links: the owner's API and pages, and what a visitor with the link sees."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gallery import services
from gallery.models import AlbumShare, Photo

pytestmark = pytest.mark.django_db


def _read(photo: Photo, kind: str) -> bytes:
    field = getattr(photo, kind)
    with field.storage.open(field.name, "rb") as f:
        return bytes(f.read())


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


@pytest.fixture
def album(user, photo_factory):
    album = services.album_create(owner=user, name="Family trip")
    photos = [photo_factory(user, title=f"Day {n}") for n in range(3)]
    services.album_add_photos(album=album, photos=photos)
    return album


def _share(album, **kwargs: Any) -> tuple[AlbumShare, str]:
    return services.album_share_create(album=album, **kwargs)


def _album_photos(album) -> list[Photo]:
    return list(album.photos.order_by("-taken_at", "-id"))


# ---------------------------------------------------------------------------------------------
# The owner's API
# ---------------------------------------------------------------------------------------------


def test_api_creates_a_link_that_opens_the_album_and_stores_only_its_hash(api_client, album):
    response = api_client.post(
        f"/api/albums/{album.pk}/shares/", {"label": "Grandma", "allow_download": True}, format="json"
    )
    assert response.status_code == 201, response.content
    url = response.json()["url"]
    token = re.fullmatch(r"http://testserver/s/([A-Za-z0-9_-]{43})/", url)
    assert token is not None, url
    share = AlbumShare.objects.get(pk=response.json()["id"])
    assert (share.album_id, share.label, share.allow_download, share.expires_at) == (
        album.pk,
        "Grandma",
        True,
        None,
    )
    # Nothing stored is the token itself: only its SHA-256.
    assert token[1] not in str(list(AlbumShare.objects.values_list()))
    assert share.token_hash == AlbumShare.hash_token(token[1])
    visitor = Client().get(url)
    assert visitor.status_code == 200
    assert "Family trip" in visitor.content.decode()


def test_api_lists_links_with_their_state_and_never_the_link(api_client, album):
    _active, _ = _share(album, label="a")
    expired, _ = _share(album, label="e", expires_at=timezone.now() + dt.timedelta(days=1))
    AlbumShare.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    revoked, _ = _share(album, label="r")
    services.album_share_revoke(share=revoked)
    response = api_client.get(f"/api/albums/{album.pk}/shares/")
    assert response.status_code == 200
    rows = {row["label"]: row for row in response.json()["results"]}
    assert {k: rows[k]["state"] for k in "aer"} == {"a": "active", "e": "expired", "r": "revoked"}
    assert all("url" not in row and "password" not in row for row in rows.values())


def test_api_expiry_in_days_or_at_a_time_but_not_both_nor_in_the_past(api_client, album):
    days = api_client.post(f"/api/albums/{album.pk}/shares/", {"expires_in_days": 7}, format="json")
    assert days.status_code == 201
    expires = AlbumShare.objects.get(pk=days.json()["id"]).expires_at
    assert expires is not None
    assert abs((expires - timezone.now()) - dt.timedelta(days=7)) < dt.timedelta(minutes=1)
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    both = api_client.post(
        f"/api/albums/{album.pk}/shares/", {"expires_in_days": 1, "expires_at": future}, format="json"
    )
    past = api_client.post(
        f"/api/albums/{album.pk}/shares/",
        {"expires_at": (timezone.now() - dt.timedelta(hours=1)).isoformat()},
        format="json",
    )
    zero = api_client.post(f"/api/albums/{album.pk}/shares/", {"expires_in_days": 0}, format="json")
    assert (both.status_code, past.status_code, zero.status_code) == (400, 400, 400)
    assert AlbumShare.objects.count() == 1


def test_api_changes_a_link_and_revoking_closes_it_at_once(api_client, album):
    share, token = _share(album)
    photo = _album_photos(album)[0]
    original = f"/s/{token}/media/{photo.pk}/original/"
    visitor = Client()
    assert visitor.get(original).status_code == 404  # downloads not allowed yet
    patched = api_client.patch(
        f"/api/albums/{album.pk}/shares/{share.pk}/",
        {"allow_download": True, "label": "Cousins"},
        format="json",
    )
    assert patched.status_code == 200
    assert patched.json()["allow_download"] is True
    assert _body(visitor.get(original)) == _read(photo, "original")

    deleted = api_client.delete(f"/api/albums/{album.pk}/shares/{share.pk}/")
    assert deleted.status_code == 204
    assert visitor.get(f"/s/{token}/").status_code == 404
    assert visitor.get(original).status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is not None
    assert api_client.get(f"/api/albums/{album.pk}/shares/{share.pk}/").json()["state"] == "revoked"
    # A revoked link stays revoked.
    again = api_client.patch(
        f"/api/albums/{album.pk}/shares/{share.pk}/", {"expires_at": None}, format="json"
    )
    assert again.status_code == 400
    assert visitor.get(f"/s/{token}/").status_code == 404


def test_api_share_of_one_album_is_not_found_under_another(api_client, album, user):
    share, _ = _share(album)
    other_album = services.album_create(owner=user, name="Other")
    for method in ("get", "patch", "delete"):
        response = getattr(api_client, method)(f"/api/albums/{other_album.pk}/shares/{share.pk}/")
        assert response.status_code == 404, method
    share.refresh_from_db()
    assert share.revoked_at is None


def test_api_password_set_and_removed(api_client, album):
    share, token = _share(album)
    api_client.patch(f"/api/albums/{album.pk}/shares/{share.pk}/", {"password": "sesame"}, format="json")
    share.refresh_from_db()
    assert share.has_password
    assert share.password_hash != "sesame"
    assert "Day 0" not in Client().get(f"/s/{token}/").content.decode()
    api_client.patch(f"/api/albums/{album.pk}/shares/{share.pk}/", {"password": ""}, format="json")
    assert "Day 0" in Client().get(f"/s/{token}/").content.decode()


# ---------------------------------------------------------------------------------------------
# What visitors see
# ---------------------------------------------------------------------------------------------


def test_a_visitor_sees_the_album_and_nothing_of_the_owner(album, user):
    _, token = _share(album)
    response = Client().get(f"/s/{token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"  # no Referer to any other site
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in html
    for photo in _album_photos(album):
        assert f"/s/{token}/media/{photo.pk}/thumbnail/" in html
        assert f"/s/{token}/photos/{photo.pk}/" in html
    assert user.username not in html
    assert user.email not in html
    # No link into the app: only the shared pages, static files and the language switch.
    links = set(re.findall(r'(?:href|action|src)="([^"]+)"', html))
    assert links, html
    allowed = (f"/s/{token}/", "/static/", "/accounts/language/", "#content")
    assert [link for link in links if not link.startswith(allowed)] == []


def test_a_visitor_gets_the_thumbnails_and_the_photo_page(album):
    _, token = _share(album)
    client = Client()
    photos = _album_photos(album)
    for photo in photos:
        for kind in ("thumbnail", "display"):
            response = client.get(f"/s/{token}/media/{photo.pk}/{kind}/")
            assert response.status_code == 200
            assert response["Cache-Control"] == "private, max-age=300"
            assert _body(response) == _read(photo, kind)
    middle = client.get(f"/s/{token}/photos/{photos[1].pk}/")
    assert middle.status_code == 200
    html = middle.content.decode()
    assert f'href="/s/{token}/photos/{photos[0].pk}/" rel="prev"' in html
    assert f'href="/s/{token}/photos/{photos[2].pk}/" rel="next"' in html
    assert "/original/" not in html  # downloads not allowed


def test_download_only_when_allowed(album):
    photo = _album_photos(album)[0]
    _, closed = _share(album)
    _, open_ = _share(album, allow_download=True)
    client = Client()
    assert client.get(f"/s/{closed}/media/{photo.pk}/original/").status_code == 404
    assert client.get(f"/s/{closed}/media/{photo.pk}/original/?download=1").status_code == 404
    response = client.get(f"/s/{open_}/media/{photo.pk}/original/?download=1")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert _body(response) == _read(photo, "original")
    assert (
        f"/s/{open_}/media/{photo.pk}/original/?download=1"
        in client.get(f"/s/{open_}/photos/{photo.pk}/").content.decode()
    )


def test_photos_outside_the_album_or_in_the_trash_are_not_found(album, user, photo_factory, other_photo):
    _, token = _share(album, allow_download=True)
    loose = photo_factory(user, title="Not shared")
    other_album = services.album_create(owner=user, name="Secret album")
    secret = photo_factory(user, title="Secret")
    services.album_add_photos(album=other_album, photos=[secret])
    trashed = _album_photos(album)[0]
    services.photos_trash(owner=user, photos=[trashed])
    client = Client()
    for photo in (loose, secret, other_photo, trashed):
        assert client.get(f"/s/{token}/photos/{photo.pk}/").status_code == 404
        for kind in ("thumbnail", "display", "original"):
            assert client.get(f"/s/{token}/media/{photo.pk}/{kind}/").status_code == 404
    html = client.get(f"/s/{token}/").content.decode()
    assert f"/media/{trashed.pk}/" not in html
    assert "Secret" not in html
    assert client.get(f"/s/{token}/media/{_album_photos(album)[1].pk}/faces/").status_code == 404


def test_expired_revoked_and_unknown_links_are_not_found(album):
    expired, expired_token = _share(album, expires_at=timezone.now() + dt.timedelta(hours=1))
    revoked, revoked_token = _share(album)
    photo = _album_photos(album)[0]
    client = Client()
    assert client.get(f"/s/{expired_token}/").status_code == 200
    AlbumShare.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    services.album_share_revoke(share=revoked)
    for token in (expired_token, revoked_token, "x" * 43, revoked_token[:-1], "a" * 500):
        for url in (
            f"/s/{token}/",
            f"/s/{token}/photos/{photo.pk}/",
            f"/s/{token}/media/{photo.pk}/thumbnail/",
        ):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "Family trip" not in response.content.decode()


def test_password_once_per_browser_session(album):
    share, token = _share(album, password="open sesame")
    photo = _album_photos(album)[0]
    client = Client()
    locked = client.get(f"/s/{token}/")
    assert locked.status_code == 200
    assert "Day 0" not in locked.content.decode()
    assert 'type="password"' in locked.content.decode()
    assert client.get(f"/s/{token}/media/{photo.pk}/thumbnail/").status_code == 404
    assert client.get(f"/s/{token}/photos/{photo.pk}/").status_code == 302

    wrong = client.post(f"/s/{token}/", {"password": "open sesame!"})
    assert wrong.status_code == 400
    assert "That password is not right." in wrong.content.decode()
    assert client.get(f"/s/{token}/media/{photo.pk}/thumbnail/").status_code == 404

    right = client.post(f"/s/{token}/", {"password": "open sesame"})
    assert right.status_code == 302
    assert right["Location"] == f"/s/{token}/"
    assert "Day 0" in client.get(f"/s/{token}/").content.decode()  # remembered
    assert client.get(f"/s/{token}/media/{photo.pk}/thumbnail/").status_code == 200
    assert "Day 0" not in Client().get(f"/s/{token}/").content.decode()  # another browser

    # A new password locks the browsers that knew the old one.
    services.album_share_update(share=share, password="new secret")
    assert "Day 0" not in client.get(f"/s/{token}/").content.decode()


def test_wrong_passwords_are_rate_limited_per_link(album, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "share_password_link": "3/hour",
        },
    }
    _, token = _share(album, password="right")
    for n in range(3):
        assert (
            Client(REMOTE_ADDR=f"10.0.0.{n}").post(f"/s/{token}/", {"password": "wrong"}).status_code == 400
        )
    refused = Client(REMOTE_ADDR="10.0.0.9").post(f"/s/{token}/", {"password": "right"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many wrong passwords" in refused.content.decode()
    assert "Day 0" not in Client().get(f"/s/{token}/").content.decode()


def test_views_are_counted_once_per_visitor_session_and_not_for_the_owner(album, user_client):
    share, token = _share(album)
    photo = _album_photos(album)[0]
    first = Client()
    first.get(f"/s/{token}/")
    first.get(f"/s/{token}/?page=1")
    first.get(f"/s/{token}/media/{photo.pk}/thumbnail/")
    first.get(f"/s/{token}/photos/{photo.pk}/")
    share.refresh_from_db()
    assert share.view_count == 1
    assert share.last_viewed_at is not None
    Client().get(f"/s/{token}/")
    user_client.get(f"/s/{token}/")  # the owner
    share.refresh_from_db()
    assert share.view_count == 2


def test_another_user_sees_the_shared_album_but_nothing_else_of_the_owner(
    album, user, other_client, photo_factory
):
    _, token = _share(album)
    loose = photo_factory(user, title="Loose")
    shared_photo = _album_photos(album)[0]
    assert other_client.get(f"/s/{token}/").status_code == 200
    assert other_client.get(f"/s/{token}/media/{shared_photo.pk}/display/").status_code == 200
    for url in (
        f"/photos/{shared_photo.pk}/",
        f"/media/photos/{shared_photo.pk}/thumbnail/",
        f"/albums/{album.pk}/",
        f"/photos/{loose.pk}/",
        f"/api/albums/{album.pk}/shares/",
    ):
        assert other_client.get(url).status_code == 404, url
    anonymous = Client()
    anonymous.get(f"/s/{token}/")
    for url in (
        f"/photos/{shared_photo.pk}/",
        f"/media/photos/{shared_photo.pk}/thumbnail/",
        f"/albums/{album.pk}/",
    ):
        assert anonymous.get(url).status_code in (302, 401, 403, 404), url
        assert anonymous.get(url, HTTP_ACCEPT="text/html").status_code != 200, url


# ---------------------------------------------------------------------------------------------
# The owner's pages
# ---------------------------------------------------------------------------------------------


def test_the_album_page_creates_lists_and_revokes_links(user_client, album):
    page = user_client.get(f"/albums/{album.pk}/")
    assert f'action="/albums/{album.pk}/shares/"' in page.content.decode()
    created = user_client.post(
        f"/albums/{album.pk}/shares/",
        {"label": "Grandma", "expires_in_days": "30", "password": "pw", "allow_download": "on"},
    )
    assert created.status_code == 200
    assert created["Cache-Control"] == "private, no-store"
    url = re.search(r'id="share-url" value="(http://testserver/s/[^"]+/)"', created.content.decode())
    assert url is not None
    share = AlbumShare.objects.get()
    assert (share.label, share.allow_download, share.has_password) == ("Grandma", True, True)
    assert share.expires_at is not None
    listed = user_client.get(f"/albums/{album.pk}/").content.decode()
    assert "Grandma" in listed
    assert "Active" in listed
    assert url.group(1) not in listed  # shown once only

    revoked = user_client.post(f"/albums/{album.pk}/shares/{share.pk}/revoke/")
    assert revoked.status_code == 302
    assert Client().get(url.group(1)).status_code == 404
    assert "Revoked" in user_client.get(f"/albums/{album.pk}/").content.decode()


def test_the_album_page_refuses_a_bad_link_form_and_creates_nothing(user_client, album):
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    past = (timezone.localtime() - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    both = user_client.post(f"/albums/{album.pk}/shares/", {"expires_in_days": "3", "expires_at": future})
    assert both.status_code == 400
    assert "not both" in both.content.decode()
    assert user_client.post(f"/albums/{album.pk}/shares/", {"expires_at": past}).status_code == 400
    assert user_client.post(f"/albums/{album.pk}/shares/", {"expires_in_days": "-1"}).status_code == 400
    assert not AlbumShare.objects.exists()


def test_an_expiry_time_is_read_in_the_owners_time_zone(user, user_client, album):
    user.time_zone = "Asia/Seoul"
    user.save(update_fields=["time_zone"])
    when = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=9))) + dt.timedelta(days=3)
    response = user_client.post(
        f"/albums/{album.pk}/shares/", {"expires_at": when.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 200
    expires = AlbumShare.objects.get().expires_at
    assert expires is not None
    assert abs(expires - when.replace(second=0, microsecond=0)) < dt.timedelta(seconds=1)


def test_on_s3_visitors_get_short_lived_signed_urls_for_the_shared_photos_only(settings, moto_endpoint, user):
    import urllib.request
    import uuid

    from gallery.tests.conftest import as_upload, exif_jpeg, s3_client, s3_options, storages_for

    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(moto_endpoint, bucket), settings
    )
    data = exif_jpeg()
    shared = services.photo_create(owner=user, upload=as_upload(data, name="바다.jpg"))
    loose = services.photo_create(owner=user, upload=as_upload(exif_jpeg(size=(60, 40)), name="x.jpg"))
    album = services.album_create(owner=user, name="S3")
    services.album_add_photos(album=album, photos=[shared])
    share, token = _share(album, allow_download=True)
    client = Client()
    response = client.get(f"/s/{token}/media/{shared.pk}/original/?download=1")
    assert response.status_code == 302
    assert "X-Amz-Signature" in response["Location"]
    assert "max-age" not in response.get("Cache-Control", "")  # the signed URL expires
    with urllib.request.urlopen(response["Location"], timeout=10) as got:
        assert got.read() == data
        assert got.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/s/{token}/media/{loose.pk}/original/").status_code == 404
    services.album_share_revoke(share=share)
    assert client.get(f"/s/{token}/media/{shared.pk}/original/?download=1").status_code == 404


def test_deleting_the_album_closes_its_links(user_client, album):
    share, token = _share(album)
    assert Client().get(f"/s/{token}/").status_code == 200
    user_client.post(f"/albums/{album.pk}/delete/")
    assert not AlbumShare.objects.filter(pk=share.pk).exists()
    assert Client().get(f"/s/{token}/").status_code == 404


def test_staff_see_links_without_their_hash_and_can_revoke_them(admin_client, album):
    share, token = _share(album, label="Grandma")
    listed = admin_client.get("/admin/gallery/albumshare/")
    assert listed.status_code == 200
    assert "Grandma" in listed.content.decode()
    detail = admin_client.get(f"/admin/gallery/albumshare/{share.pk}/change/").content.decode()
    assert share.token_hash not in detail
    assert token not in detail
    response = admin_client.post(
        "/admin/gallery/albumshare/", {"action": "revoke", "_selected_action": [share.pk]}
    )
    assert response.status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None
    assert Client().get(f"/s/{token}/").status_code == 404


def test_api_reads_an_expiry_without_offset_in_the_owners_time_zone_for_token_clients(user, album):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    user.time_zone = "Asia/Seoul"
    user.save(update_fields=["time_zone"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = client.post(
        f"/api/albums/{album.pk}/shares/", {"expires_at": "2030-01-01T09:00"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert AlbumShare.objects.get().expires_at == dt.datetime(2030, 1, 1, 0, 0, tzinfo=dt.UTC)
    with_offset = client.post(
        f"/api/albums/{album.pk}/shares/", {"expires_at": "2030-01-01T09:00+00:00"}, format="json"
    )
    assert AlbumShare.objects.get(pk=with_offset.json()["id"]).expires_at == dt.datetime(
        2030, 1, 1, 9, 0, tzinfo=dt.UTC
    )
