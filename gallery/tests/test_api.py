"""The REST API: photos and albums, pagination, bad input, token auth, schema and docs."""

from __future__ import annotations

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image
from rest_framework.test import APIClient

from conftest import make_image_bytes
from gallery.models import Album, Photo
from gallery.tests.conftest import exif_jpeg

pytestmark = pytest.mark.django_db

PHOTO_KEYS = {
    "id",
    "title",
    "caption",
    "taken_at",
    "uploaded_at",
    "width",
    "height",
    "size",
    "image_url",
    "thumbnail_url",
    "index_status",
    "index_error",
    "face_count",
}


def upload(client, data: bytes, name: str = "photo.jpg", **extra):
    return client.post("/api/photos/", {"image": SimpleUploadedFile(name, data), **extra}, format="multipart")


def stored_names() -> set[str]:
    from gallery.storage import photo_storage

    storage = photo_storage()
    names: set[str] = set()
    for kind in ("originals", "display", "thumbnails"):
        try:
            dirs, _ = storage.listdir(f"photos/{kind}")
        except FileNotFoundError:
            continue
        for d in dirs:
            names.update(f"photos/{kind}/{d}/{f}" for f in storage.listdir(f"photos/{kind}/{d}")[1])
    return names


def test_upload_returns_the_photo(api_client, user):
    data = exif_jpeg(taken="2020:01:02 03:04:05")
    response = upload(api_client, data, "holiday.jpg", title="  Holiday ", caption="Sea", unknown="ignored")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= PHOTO_KEYS
    assert body["title"] == "Holiday"
    assert body["caption"] == "Sea"
    assert (body["width"], body["height"], body["size"]) == (80, 40, len(data))
    assert body["taken_at"].startswith("2020-01-02T03:04:05")
    photo = Photo.objects.get(pk=body["id"])
    assert photo.owner == user
    assert body["image_url"] == f"http://testserver/media/photos/{photo.pk}/original/"
    assert body["thumbnail_url"] == f"http://testserver/media/photos/{photo.pk}/thumbnail/"
    # The URLs work for the owner and serve the right bytes.
    got = api_client.get(body["image_url"])
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == data
    thumb = api_client.get(body["thumbnail_url"])
    assert thumb["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(thumb.streaming_content))).size == (80, 40)


def test_list_is_paginated_newest_taken_first(api_client, photo_factory, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 2}
    old = photo_factory(data=exif_jpeg(taken="2001:01:01 00:00:00"))
    mid = photo_factory(data=exif_jpeg(taken="2010:01:01 00:00:00"))
    new = photo_factory(data=exif_jpeg(taken="2020:01:01 00:00:00"))
    first = api_client.get("/api/photos/").json()
    assert first["count"] == 3
    assert first["previous"] is None
    assert [p["id"] for p in first["results"]] == [new.pk, mid.pk]
    second = api_client.get(first["next"]).json()
    assert [p["id"] for p in second["results"]] == [old.pk]
    assert second["next"] is None


def test_list_shows_only_own_photos(api_client, photo, other_photo):
    body = api_client.get("/api/photos/").json()
    assert [p["id"] for p in body["results"]] == [photo.pk]


def test_retrieve_patch_delete(api_client, photo, django_capture_on_commit_callbacks):
    url = f"/api/photos/{photo.pk}/"
    assert api_client.get(url).json()["title"] == "Beach"
    response = api_client.patch(url, {"caption": "Sunset", "owner": 999, "width": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["caption"] == "Sunset"
    assert response.json()["title"] == "Beach"
    photo.refresh_from_db()
    assert (photo.caption, photo.width) == ("Sunset", 40)
    names = photo.file_names
    storage = photo.original.storage
    # DELETE moves the photo to the trash: gone from the API, files kept until deleted for good.
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete(url).status_code == 204
    assert Photo.objects.get(pk=photo.pk).trashed_at is not None
    assert all(storage.exists(n) for n in names)
    assert api_client.get(url).status_code == 404
    assert api_client.delete(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/trash/delete/", {"photos": [photo.pk]}, format="json")
    assert response.status_code == 200
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert not any(storage.exists(n) for n in names)


def test_patch_rejects_an_overlong_title(api_client, photo):
    response = api_client.patch(f"/api/photos/{photo.pk}/", {"title": "x" * 201}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()


def test_token_auth_and_anonymous_refusal(user, password, photo):
    anonymous = APIClient()
    assert anonymous.get("/api/photos/").status_code in (401, 403)
    token = anonymous.post("/api/auth/token/", {"username": "alice", "password": password}).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = client.get("/api/photos/").json()
    assert listing["count"] == 1
    # The file URLs work with the token too (API clients have no session).
    thumb = client.get(listing["results"][0]["thumbnail_url"])
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"
    assert anonymous.get(listing["results"][0]["thumbnail_url"]).status_code in (401, 403)
    assert upload(client, make_image_bytes(color=(1, 2, 3))).status_code == 201


def test_session_upload_requires_csrf(client, user):
    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.post("/api/photos/", {"image": SimpleUploadedFile("a.jpg", make_image_bytes())})
    assert response.status_code == 403
    assert not Photo.objects.exists()


def truncated_real_jpeg(faces_dir) -> bytes:
    data = sorted((faces_dir / "angelina_jolie").glob("*.jpg"))[0].read_bytes()
    return bytes(data[: len(data) // 2])


def ico() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (1, 2, 3)).save(buffer, format="ICO")
    return buffer.getvalue()


BAD = [
    ("text", lambda f: b"Just some notes, not a picture.\n" * 10, "not an image"),
    (
        "pdf",
        lambda f: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        "not an image",
    ),
    ("random-bytes", lambda f: random.Random(7).randbytes(4096), "not an image"),
    ("truncated-jpeg", truncated_real_jpeg, "truncated or damaged"),
    ("jpeg-header-only", lambda f: make_image_bytes(size=(200, 200))[:300], "truncated or damaged"),
    ("unsupported-ico", lambda f: ico(), "Unsupported image format (ICO)"),
    ("unsupported-ppm", lambda f: make_image_bytes(fmt="PPM"), "Unsupported image format (PPM)"),
]


@pytest.mark.parametrize(("builder", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_files_get_a_clear_400_and_leave_nothing(api_client, faces_dir, builder, message):
    before = stored_names()
    response = upload(api_client, builder(faces_dir), "bad.jpg")
    assert response.status_code == 400
    assert message in response.json()["image"][0]
    assert not Photo.objects.exists()
    assert stored_names() == before


def test_empty_file_is_a_400(api_client):
    response = upload(api_client, b"", "empty.jpg")
    assert response.status_code == 400
    assert "empty" in response.json()["image"][0]
    assert not Photo.objects.exists()


def test_missing_image_field_is_a_400(api_client):
    response = api_client.post("/api/photos/", {"title": "x"}, format="multipart")
    assert response.status_code == 400
    assert "image" in response.json()


def test_body_over_max_upload_bytes_is_refused_before_parsing(api_client, settings):
    settings.MAX_UPLOAD_BYTES = 2000
    noise = Image.effect_noise((200, 200), 80).convert("RGB")  # incompressible
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 2000
    response = upload(api_client, buffer.getvalue(), "big.png")
    assert response.status_code == 400
    assert "too large" in response.json()["image"][0]
    assert not Photo.objects.exists()


def test_file_just_over_max_upload_bytes_is_a_400(api_client, settings):
    data = make_image_bytes(size=(64, 48), fmt="PNG")
    settings.MAX_UPLOAD_BYTES = len(data) - 1  # the body passes the early check; the file does not
    response = upload(api_client, data, "big.png")
    assert response.status_code == 400
    n = len(data)
    assert response.json()["image"][0] == (
        f"The file is too large: {n}\xa0bytes is over the limit of {n - 1}\xa0bytes."
    )
    assert not Photo.objects.exists()
    settings.MAX_UPLOAD_BYTES = len(data)
    assert upload(api_client, data, "fits.png").status_code == 201


@pytest.mark.parametrize("side", [120, 300], ids=["above-limit-warning", "above-twice-limit-error"])
def test_decompression_bomb_is_a_400(api_client, settings, side):
    settings.MAX_IMAGE_PIXELS = 10_000
    response = upload(api_client, make_image_bytes(size=(side, side), fmt="PNG"), "bomb.png")
    assert response.status_code == 400
    assert "too many pixels" in response.json()["image"][0]
    assert not Photo.objects.exists()


def test_real_decompression_bomb_png_is_a_400(api_client, settings):
    # 20000 x 20000 pixels in a few hundred kilobytes: refused before it is decoded.
    settings.MAX_IMAGE_PIXELS = 100_000_000
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000), 0).save(buffer, format="PNG", optimize=True)
    assert len(buffer.getvalue()) < 1_000_000
    response = upload(api_client, buffer.getvalue(), "bomb.png")
    assert response.status_code == 400
    assert "too many pixels" in response.json()["image"][0]


def test_one_bad_file_does_not_affect_the_next(api_client):
    assert upload(api_client, b"nope", "a.jpg").status_code == 400
    assert upload(api_client, make_image_bytes(), "b.jpg").status_code == 201
    assert Photo.objects.count() == 1


def test_duplicate_upload_is_a_409_naming_the_existing_photo(api_client):
    data = make_image_bytes()
    first = upload(api_client, data).json()
    response = upload(api_client, data)
    assert response.status_code == 409
    assert response.json()["existing_id"] == first["id"]
    assert "already have" in response.json()["detail"]
    # The former `allow_duplicate` option is gone: one photo per owner and content.
    assert upload(api_client, data, allow_duplicate="true").status_code == 409
    assert Photo.objects.count() == 1


def test_albums_crud_and_membership(api_client, photo_factory):
    p1, p2 = photo_factory(), photo_factory()
    created = api_client.post("/api/albums/", {"name": "  Summer   2024 "}, format="json")
    assert created.status_code == 201
    album = created.json()
    assert album["name"] == "Summer 2024"
    assert album["photo_count"] == 0
    url = f"/api/albums/{album['id']}/"
    added = api_client.post(f"{url}photos/", {"photo_ids": [p1.pk, p2.pk]}, format="json")
    assert added.status_code == 200
    assert added.json()["photo_count"] == 2
    listed = api_client.get(f"{url}photos/").json()
    assert {p["id"] for p in listed["results"]} == {p1.pk, p2.pk}
    assert api_client.delete(f"{url}photos/{p1.pk}/").status_code == 204
    assert api_client.get(url).json()["photo_count"] == 1
    renamed = api_client.patch(url, {"name": "Best of summer"}, format="json")
    assert renamed.json()["name"] == "Best of summer"
    assert api_client.get("/api/albums/").json()["count"] == 1
    assert api_client.delete(url).status_code == 204
    assert not Album.objects.exists()
    assert Photo.objects.count() == 2  # photos stay


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 121}])
def test_album_bad_names_are_400(api_client, payload):
    response = api_client.post("/api/albums/", payload, format="json")
    assert response.status_code == 400
    assert "name" in response.json()
    assert not Album.objects.exists()


@pytest.mark.parametrize("payload", [{}, {"photo_ids": []}, {"photo_ids": ["x"]}, {"photo_ids": "1"}])
def test_album_add_bad_payload_is_400(api_client, payload):
    album = api_client.post("/api/albums/", {"name": "A"}, format="json").json()
    response = api_client.post(f"/api/albums/{album['id']}/photos/", payload, format="json")
    assert response.status_code == 400


def test_album_cannot_take_another_users_photo(api_client, photo, other_photo):
    album = api_client.post("/api/albums/", {"name": "A"}, format="json").json()
    response = api_client.post(
        f"/api/albums/{album['id']}/photos/", {"photo_ids": [photo.pk, other_photo.pk]}, format="json"
    )
    assert response.status_code == 404
    assert not Album.objects.get().photos.exists()


def test_schema_and_docs_are_served_locally(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for expected in (
        "/api/photos/",
        "/api/photos/{photo_id}/",
        "/api/albums/",
        "/api/albums/{album_id}/photos/",
    ):
        assert expected in paths
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger" in html.lower()
    assert "cdn" not in html.lower()
    assert "https://" not in html


def test_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/photos/{photo_id}/" in out.read_text()
