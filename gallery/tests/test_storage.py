"""Photo files on local storage and on a real S3-compatible HTTP server (moto's standalone
server on 127.0.0.1, reached through django-storages and boto3): store, serve, delete after
commit, and leave nothing behind when storage or the database fails."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from botocore.exceptions import EndpointConnectionError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from PIL import Image
from storages.backends.s3 import S3Storage

from conftest import make_image_bytes
from gallery import images, services
from gallery.models import Photo
from gallery.storage import photo_storage
from gallery.tests.conftest import as_upload, exif_jpeg, s3_client, s3_options, storages_for
from memory_studio.tests.servers import free_port

pytestmark = pytest.mark.django_db


class Backend:
    def __init__(self, name: str, endpoint: str | None = None, bucket: str | None = None) -> None:
        self.name, self.endpoint, self.bucket = name, endpoint, bucket

    def keys(self) -> set[str]:
        if self.name == "s3":
            assert self.endpoint is not None
            listing = s3_client(self.endpoint).list_objects_v2(Bucket=self.bucket)
            return {item["Key"] for item in listing.get("Contents", [])}
        storage = photo_storage()
        found: set[str] = set()
        for kind in ("originals", "display", "thumbnails"):
            if not storage.exists(f"photos/{kind}"):
                continue
            for sub in storage.listdir(f"photos/{kind}")[0]:
                found.update(f"photos/{kind}/{sub}/{f}" for f in storage.listdir(f"photos/{kind}/{sub}")[1])
        return found


@pytest.fixture(params=["local", "s3"])
def backend(request: Any, settings: Any, tmp_path: Any) -> Backend:
    if request.param == "local":
        settings.STORAGES = storages_for(
            "django.core.files.storage.FileSystemStorage",
            {"location": str(tmp_path), "base_url": None},
            settings,
        )
        return Backend("local")
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = storages_for("storages.backends.s3.S3Storage", s3_options(endpoint, bucket), settings)
    return Backend("s3", endpoint, bucket)


def test_upload_stores_three_files_in_the_configured_storage(backend, api_client, faces_dir):
    data = (
        faces_dir / "bbt_penny" / sorted(p.name for p in (faces_dir / "bbt_penny").iterdir())[0]
    ).read_bytes()
    response = api_client.post(
        "/api/photos/", {"image": SimpleUploadedFile("penny.png", data)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert backend.keys() == set(photo.file_names)
    assert isinstance(photo_storage()._wrapped, S3Storage if backend.name == "s3" else FileSystemStorage)  # type: ignore[attr-defined]
    upright = images.open_upright(photo)
    assert upright.size == (photo.width, photo.height)


def test_urls_are_private(backend, api_client, client, user):
    data = exif_jpeg(orientation=6)
    body = api_client.post(
        "/api/photos/", {"image": SimpleUploadedFile("a.jpg", data)}, format="multipart"
    ).json()
    photo = Photo.objects.get()
    if backend.name == "local":
        assert body["image_url"] == f"http://testserver/media/photos/{photo.pk}/original/"
        assert client.get(body["image_url"]).status_code in (302, 401, 403)  # anonymous: refused
        return
    # S3: short-lived pre-signed URLs that the S3 server honours, and nothing public.
    for key in ("image_url", "display_url", "thumbnail_url"):
        query = parse_qs(urlparse(body[key]).query)
        assert query["X-Amz-Expires"] == ["300"]
        assert "X-Amz-Signature" in query
    with urllib.request.urlopen(body["image_url"], timeout=10) as got:
        assert got.read() == data
    with urllib.request.urlopen(body["thumbnail_url"], timeout=10) as got:
        assert Image.open(io.BytesIO(got.read())).size == (photo.width, photo.height)
    unsigned = body["image_url"].split("?")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=10)
    assert refused.value.code == 403
    # The permission-checked view hands the owner a fresh pre-signed URL.
    media = api_client.get(f"/media/photos/{photo.pk}/display/")
    assert media.status_code == 302
    assert "X-Amz-Signature" in media["Location"]


def test_delete_removes_files_only_after_commit(backend, user, django_capture_on_commit_callbacks):
    photo = services.photo_create(owner=user, upload=as_upload(make_image_bytes()))
    names = set(photo.file_names)
    assert backend.keys() == names
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.photo_delete(photo=photo)
    assert not Photo.objects.exists()
    assert backend.keys() == names  # still there until the commit
    for callback in callbacks:
        callback()
    assert backend.keys() == set()


class FailingThirdSave:
    """Fault injection over a real storage: the third file written fails like an outage."""

    saves = 0

    def _save(self, name: str, content: Any) -> str:
        type(self).saves += 1
        if type(self).saves % 3 == 0:
            raise self.outage()
        return super()._save(name, content)  # type: ignore[misc,no-any-return]

    def outage(self) -> Exception:
        return OSError(28, "No space left on device")


class FlakyFileSystemStorage(FailingThirdSave, FileSystemStorage):
    pass


class FlakyS3Storage(FailingThirdSave, S3Storage):
    def outage(self) -> Exception:
        error: Exception = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        return error


def test_failure_mid_upload_leaves_no_row_and_no_file(backend, api_client, settings):
    default = settings.STORAGES["default"]
    flaky = FlakyS3Storage if backend.name == "s3" else FlakyFileSystemStorage
    settings.STORAGES = storages_for(f"{__name__}.{flaky.__name__}", default["OPTIONS"], settings)
    flaky.saves = 0
    response = api_client.post(
        "/api/photos/", {"image": SimpleUploadedFile("a.jpg", make_image_bytes())}, format="multipart"
    )
    assert response.status_code == 503
    assert "unavailable" in response.json()["detail"]
    assert flaky.saves == 3  # two files were written, then removed again
    assert not Photo.objects.exists()
    assert backend.keys() == set()


def test_database_failure_after_storing_leaves_no_file(backend, user, monkeypatch):
    def broken_save(self: Photo, *args: Any, **kwargs: Any) -> None:
        raise DatabaseError("database went away")

    monkeypatch.setattr(Photo, "save", broken_save)
    with pytest.raises(DatabaseError):
        services.photo_create(owner=user, upload=as_upload(make_image_bytes()))
    assert backend.keys() == set()


def test_s3_down_is_a_503_with_nothing_saved(api_client, settings):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(endpoint, "photos"), settings
    )
    response = api_client.post(
        "/api/photos/", {"image": SimpleUploadedFile("a.jpg", make_image_bytes())}, format="multipart"
    )
    assert response.status_code == 503
    assert response.json()["detail"].startswith("Photo storage is unavailable")
    assert not Photo.objects.exists()


def test_s3_down_on_the_upload_page_is_a_clear_message(user_client, settings):
    endpoint = f"http://127.0.0.1:{free_port()}"
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(endpoint, "photos"), settings
    )
    response = user_client.post("/upload/", {"images": [SimpleUploadedFile("a.jpg", make_image_bytes())]})
    assert response.status_code == 400
    assert "a.jpg: Photo storage is unavailable" in response.content.decode()
    assert not Photo.objects.exists()


def test_missing_bucket_is_a_503(api_client, settings, moto_endpoint):
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(moto_endpoint, "no-such-bucket-here"), settings
    )
    response = api_client.post(
        "/api/photos/", {"image": SimpleUploadedFile("a.jpg", make_image_bytes())}, format="multipart"
    )
    assert response.status_code == 503
    assert not Photo.objects.exists()


def test_download_original_saves_the_original_bytes_under_their_name_on_both_storages(
    backend, api_client, user_client, user
):
    """ "Download original": an attachment named after the upload (Korean kept, RFC 5987), the
    original bytes; S3 answers it itself through a pre-signed URL asking for that header."""
    data = exif_jpeg(orientation=6)
    photo = services.photo_create(owner=user, upload=as_upload(data, name="가족 여행.jpg"))
    expected = "attachment; filename*=utf-8''%EA%B0%80%EC%A1%B1%20%EC%97%AC%ED%96%89.jpg"
    page = user_client.get(f"/photos/{photo.pk}/").content.decode()
    if backend.name == "local":
        url = f"/media/photos/{photo.pk}/original/?download=1"
        assert f'href="{url}" download' in page
        response = user_client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"] == expected
        assert b"".join(response.streaming_content) == data
        shown = user_client.get(f"/media/photos/{photo.pk}/original/")
        assert shown["Content-Disposition"].startswith("inline")
        return
    # The page links straight to S3, and the permission-checked view redirects there too.
    from_view = api_client.get(f"/media/photos/{photo.pk}/original/?download=1")
    assert from_view.status_code == 302
    for url in (from_view["Location"], _download_href(page)):
        assert "X-Amz-Signature" in url
        with urllib.request.urlopen(url, timeout=10) as got:
            assert got.headers["Content-Disposition"] == expected
            assert got.read() == data


def _download_href(page: str) -> str:
    import html
    import re

    match = re.search(r'<a href="([^"]+)" download>', page)
    assert match is not None, "no download link on the photo page"
    return html.unescape(match.group(1))
