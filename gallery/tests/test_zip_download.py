"""Zip downloads of a selection or an album: the archive read back with zipfile holds exactly the
owner's originals, byte for byte, under their uploaded names; foreign or trashed ids are 404 and
nothing is sent; local disk and S3 (moto's standalone server) alike."""

from __future__ import annotations

import datetime as dt
import io
import random
import subprocess
import unicodedata
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from botocore.response import StreamingBody
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from conftest import make_image_bytes
from gallery import services, zips
from gallery.models import Photo
from gallery.storage import open_stream, photo_storage
from gallery.tests.conftest import s3_client, s3_options, storages_for
from memory_studio.tests.servers import free_port

pytestmark = pytest.mark.django_db


def _original(photo: Photo) -> bytes:
    with photo_storage().open(str(photo.original.name), "rb") as f:
        return bytes(f.read())


def _archive(response: Any) -> zipfile.ZipFile:
    assert response.status_code == 200, getattr(response, "content", b"")[:500]
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert not response.has_header("Content-Length")
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _post_selection(client: Any, photos: list[Any]) -> Any:
    return client.post("/photos/download/", {"photos": [str(getattr(p, "pk", p)) for p in photos]})


def test_a_selection_downloads_as_a_zip_of_the_originals_byte_for_byte(user, user_client, photo_factory):
    photos = [photo_factory(name=f"IMG_{n}.jpg") for n in range(3)]
    png = photo_factory(data=make_image_bytes(fmt="PNG", size=(30, 20)), name="scan.png")
    photos.append(png)
    Photo.objects.filter(pk=photos[0].pk).update(taken_at=dt.datetime(2024, 5, 1, 9, 30, 15, tzinfo=dt.UTC))
    user.time_zone = "Asia/Seoul"
    user.save(update_fields=["time_zone"])

    response = _post_selection(user_client, photos)

    today = timezone.localdate(timezone=dt.timezone(dt.timedelta(hours=9)))
    assert response["Content-Disposition"] == f'attachment; filename="memory-studio-{today:%Y-%m-%d}.zip"'
    archive = _archive(response)
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == ["IMG_0.jpg", "IMG_1.jpg", "IMG_2.jpg", "scan.png"]
    for photo in photos:
        photo.refresh_from_db()
        info = archive.getinfo(photo.original_filename)
        assert archive.read(info) == _original(photo)
        assert info.compress_type == zipfile.ZIP_STORED  # JPEG and PNG are compressed already
    # Dated by when the photo was taken, in the owner's time zone (Seoul: UTC+9).
    assert archive.getinfo("IMG_0.jpg").date_time == (2024, 5, 1, 18, 30, 14)  # DOS time: 2 s steps


def test_the_api_downloads_a_selection_too(api_client, photo_factory):
    photos = [photo_factory(name="a.jpg"), photo_factory(name="b.jpg")]
    response = api_client.post("/api/photos/download/", {"photos": [p.pk for p in photos]}, format="json")
    archive = _archive(response)
    assert {name: archive.read(name) for name in archive.namelist()} == {
        "a.jpg": _original(photos[0]),
        "b.jpg": _original(photos[1]),
    }


def test_name_clashes_are_numbered_and_case_blind(user_client, photo_factory):
    uploaded = ("a.jpg", "a.jpg", "A.jpg", "a (2).jpg", "noext", "noext")
    photos = [photo_factory(name=name) for name in uploaded]
    archive = _archive(_post_selection(user_client, photos))
    # Entries come newest taken first (the grid's order), each claiming the next free name.
    newest_first = photos[::-1]
    assert archive.namelist() == ["noext", "noext (2)", "a (2).jpg", "A.jpg", "a (3).jpg", "a (4).jpg"]
    for name, photo in zip(archive.namelist(), newest_first, strict=True):
        assert archive.read(name) == _original(photo)


def test_unique_names_in_order():
    names = zips.UniqueNames()
    claimed = [names.claim(n) for n in ("a.jpg", "a.jpg", "A.JPG", "a (2).jpg", ".jpg", ".jpg", "x")]
    assert claimed == ["a.jpg", "a (2).jpg", "A (3).JPG", "a (2) (2).jpg", ".jpg", ".jpg (2)", "x"]


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ("C:\\Users\\me\\a.jpg", "C__Users_me_a.jpg"),
        ('what?*"<>|.jpg', "what______.jpg"),
        ("  ..  ", "photo-7"),
        ("a\x00b.jpg", "a_b.jpg"),
        ("x" * 300 + ".jpeg", "x" * 175 + ".jpeg"),
        (unicodedata.normalize("NFD", "바다.jpg"), "바다.jpg"),
    ],
)
def test_entry_names_never_leave_the_folder(name, safe):
    assert zips.safe_file_name(name, fallback="photo-7") == safe


def test_korean_names_are_kept_with_the_utf8_flag(user_client, photo_factory, tmp_path):
    # A Mac uploads decomposed Hangul: the archive holds the composed form Windows shows.
    decomposed = unicodedata.normalize("NFD", "제주 바닷가.jpg")
    photos = [photo_factory(name="서울 야경.jpg"), photo_factory(name=decomposed)]
    response = _post_selection(user_client, photos)
    body = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert sorted(archive.namelist()) == ["서울 야경.jpg", "제주 바닷가.jpg"]
    for info in archive.infolist():
        assert info.flag_bits & 0x800  # names are UTF-8
    # Info-ZIP's unzip reads it too (not only Python's zipfile).
    (tmp_path / "a.zip").write_bytes(body)
    checked = subprocess.run(["unzip", "-tq", str(tmp_path / "a.zip")], capture_output=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_album_downloads_only_its_own_live_photos(user, user_client, api_client, photo_factory):
    inside = [photo_factory(name="in-1.jpg"), photo_factory(name="in-2.jpg")]
    trashed = photo_factory(name="trashed.jpg")
    photo_factory(name="outside.jpg")
    album = services.album_create(owner=user, name="가족 여행/2024")
    services.album_add_photos(album=album, photos=[*inside, trashed])
    services.photos_trash(owner=user, photos=[trashed])

    page = user_client.get(f"/albums/{album.pk}/download/")
    expected = quote("가족 여행_2024.zip")
    assert page["Content-Disposition"] == f"attachment; filename*=utf-8''{expected}"
    api = api_client.get(f"/api/albums/{album.pk}/download/")
    for response in (page, api):
        archive = _archive(response)
        assert sorted(archive.namelist()) == ["in-1.jpg", "in-2.jpg"]
        assert archive.read("in-1.jpg") == _original(inside[0])


def test_the_album_page_links_to_the_download(user, user_client, photo_factory):
    album = services.album_create(owner=user, name="Trip")
    assert "/download/" not in user_client.get(f"/albums/{album.pk}/").content.decode()  # empty
    services.album_add_photos(album=album, photos=[photo_factory()])
    page = user_client.get(f"/albums/{album.pk}/").content.decode()
    assert f'href="/albums/{album.pk}/download/"' in page
    assert "Download album" in page
    user.language = "ko"
    user.save(update_fields=["language"])
    assert "앨범 내려받기" in user_client.get(f"/albums/{album.pk}/").content.decode()


def test_an_empty_album_is_a_clear_error_not_an_empty_zip(user, user_client, api_client):
    album = services.album_create(owner=user, name="Empty")
    page = user_client.get(f"/albums/{album.pk}/download/", follow=True)
    assert page.redirect_chain == [(f"/albums/{album.pk}/", 302)]
    assert "There are no photos to download." in page.content.decode()
    response = api_client.get(f"/api/albums/{album.pk}/download/")
    assert response.status_code == 400
    assert response.json() == {"detail": "There are no photos to download."}


def test_a_foreign_or_trashed_id_is_404_and_nothing_is_sent(
    user, user_client, api_client, photo_factory, other_photo
):
    mine = photo_factory()
    trashed = photo_factory()
    services.photos_trash(owner=user, photos=[trashed])
    for ids in ([mine, other_photo], [other_photo], [mine, trashed], [mine, 99_999_999], [mine, "x"]):
        page = _post_selection(user_client, ids)
        assert page.status_code == 404
        assert not page.streaming
        assert "Secret" not in page.content.decode()
    for ids in ([mine.pk, other_photo.pk], [mine.pk, trashed.pk], [mine.pk, 99_999_999]):
        api = api_client.post("/api/photos/download/", {"photos": ids}, format="json")
        assert api.status_code == 404
        assert not api.streaming


def test_bad_input_is_a_clear_error(user_client, api_client, photo_factory, settings):
    photos = [photo_factory() for _ in range(3)]
    settings.DOWNLOAD_MAX_PHOTOS = 2
    response = _post_selection(user_client, photos)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "at most 2 photos" in user_client.get("/").content.decode()
    # Back where the form was, if it said so (and only on this site).
    back = user_client.post("/photos/download/", {"photos": [], "next": "/albums/"})
    assert back["Location"] == "/albums/"
    away = user_client.post("/photos/download/", {"next": "https://evil.example/"})
    assert away["Location"] == "/"

    cases = [
        ({"photos": [p.pk for p in photos]}, "at most 2 photos"),
        ({"photos": []}, "There are no photos to download."),
        ({"photos": ["abc"]}, "valid integer"),
        ({"photos": [0]}, "greater than or equal to 1"),
        ({}, "required"),
    ]
    for data, message in cases:
        api = api_client.post("/api/photos/download/", data, format="json")
        assert api.status_code == 400
        assert message in str(api.json()["photos"])


def test_a_selection_larger_than_djangos_default_field_limit_is_read(user_client, photo_factory, settings):
    """One field per photo: 1,500 fields reach the view (Django alone refuses over 1,000)."""
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS > settings.DOWNLOAD_MAX_PHOTOS >= 1500
    mine = photo_factory()
    response = _post_selection(user_client, [mine, *range(10**9, 10**9 + 1499)])
    assert response.status_code == 404  # read, and the unknown ids refused: not a bare 400


def test_anonymous_users_get_nothing(client, user, photo_factory):
    photo = photo_factory()
    album = services.album_create(owner=user, name="A")
    services.album_add_photos(album=album, photos=[photo])
    assert client.post("/photos/download/", {"photos": [photo.pk]})["Location"].startswith("/accounts/login/")
    assert client.get(f"/albums/{album.pk}/download/")["Location"].startswith("/accounts/login/")
    from rest_framework.test import APIClient

    api = APIClient()
    assert api.post("/api/photos/download/", {"photos": [photo.pk]}, format="json").status_code in (401, 403)
    assert api.get(f"/api/albums/{album.pk}/download/").status_code in (401, 403)


class OutageStorage(FileSystemStorage):
    """Fault injection over a real local storage: opening a name in `broken` fails like a disk
    that went away (EIO)."""

    broken: set[str] = set()

    def open(self, name: str, mode: str = "rb") -> Any:
        if name in self.broken:
            raise OSError(5, "Input/output error")
        return super().open(name, mode)


@pytest.fixture
def outage_storage(settings: Any, tmp_path: Any) -> Iterator[type[OutageStorage]]:
    settings.STORAGES = storages_for(
        f"{__name__}.OutageStorage", {"location": str(tmp_path), "base_url": None}, settings
    )
    OutageStorage.broken = set()
    yield OutageStorage
    OutageStorage.broken = set()


def test_storage_trouble_before_the_first_byte_is_a_clean_error(user_client, photo_factory, outage_storage):
    first, second = photo_factory(name="first.jpg"), photo_factory(name="second.jpg")
    ordered = list(Photo.objects.filter(pk__in=[first.pk, second.pk]).order_by("-taken_at", "-id"))
    outage_storage.broken = {ordered[0].original.name}
    response = _post_selection(user_client, [first, second])
    assert response.status_code == 503
    assert not response.streaming

    outage_storage.broken = set()
    photo_storage().delete(str(ordered[0].original.name))
    response = _post_selection(user_client, [first, second])
    assert response.status_code == 404
    assert not response.streaming


def test_storage_trouble_mid_stream_ends_the_stream_without_a_valid_zip(
    user_client, photo_factory, outage_storage, caplog
):
    photos = [photo_factory(name=f"{n}.jpg") for n in range(3)]
    ordered = list(Photo.objects.filter(pk__in=[p.pk for p in photos]).order_by("-taken_at", "-id"))
    outage_storage.broken = {ordered[1].original.name}
    response = _post_selection(user_client, photos)
    assert response.status_code == 200  # the first original opened: the answer began
    chunks = iter(response.streaming_content)
    received = next(chunks)  # the first entry, sent as soon as it is complete
    with pytest.raises(zips.ZipStreamInterrupted):
        next(chunks)
    response.close()
    assert received.startswith(b"PK\x03\x04")  # the first entry went out ...
    with pytest.raises(zipfile.BadZipFile):  # ... but no directory: the download reads as broken
        zipfile.ZipFile(io.BytesIO(bytes(received)))
    assert any("Zip download stopped" in r.getMessage() for r in caplog.records)


def test_big_archives_get_zip64_records(monkeypatch):
    """ZIP64 past 4 GiB per entry and per archive, and past 65,535 entries: the limits are made
    small here so that a few KiB exercise the same records."""
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 3000)
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 3)
    when = dt.datetime(2025, 1, 2, 3, 4, 6, tzinfo=dt.UTC)
    data = [bytes([n]) * 5000 for n in range(5)]
    entries = [
        zips.bytes_entry(name=f"{n}.bin", data=d, modified=when, compress=False) for n, d in enumerate(data)
    ]
    body = b"".join(zips.ZipStream(entries))
    monkeypatch.undo()
    assert b"PK\x06\x06" in body  # the ZIP64 end of central directory record
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert [archive.read(f"{n}.bin") for n in range(5)] == data
    assert archive.getinfo("0.bin").date_time == (2025, 1, 2, 3, 4, 6)


def test_generated_entries_are_deflated():
    when = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # before DOS dates begin: clamped to 1980
    text = ("사진 목록\n" * 200_000).encode()
    body = b"".join(zips.ZipStream([zips.bytes_entry(name="index.txt", data=text, modified=when)]))
    archive = zipfile.ZipFile(io.BytesIO(body))
    info = archive.getinfo("index.txt")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    assert info.compress_size < len(text) / 10
    assert info.date_time == (1980, 1, 1, 0, 0, 0)
    assert archive.read("index.txt") == text


def test_the_stream_comes_in_chunks_of_bounded_size():
    data = random.Random(0).randbytes(3 * 1024 * 1024)  # incompressible, like a JPEG
    entries = [
        zips.bytes_entry(name=f"{n}.jpg", data=data, modified=timezone.now(), compress=False)
        for n in range(2)
    ]
    chunks = list(zips.ZipStream(entries))
    assert len(chunks) >= 2 * len(data) // zips.CHUNK_SIZE
    assert max(len(c) for c in chunks) <= 2 * zips.CHUNK_SIZE
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.read("1.jpg") == data


def test_closing_an_unread_stream_closes_the_first_file():
    closed: list[str] = []

    class Source(io.BytesIO):
        def close(self) -> None:
            closed.append("x")
            super().close()

    entry = zips.ZipEntry(name="a", size=1, modified=timezone.now(), open=lambda: Source(b"a"))
    stream = zips.ZipStream([entry])
    stream.close()
    assert closed == ["x"]


@pytest.fixture
def s3_bucket(settings: Any, request: Any) -> str:
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = storages_for("storages.backends.s3.S3Storage", s3_options(endpoint, bucket), settings)
    return bucket


def test_on_s3_originals_stream_from_the_bucket(user, user_client, photo_factory, s3_bucket):
    photos = [photo_factory(name="바다.jpg"), photo_factory(name="바다.jpg")]
    album = services.album_create(owner=user, name="S3")
    services.album_add_photos(album=album, photos=photos)
    # Read as it arrives (an HTTP body), never downloaded whole into a temporary file first.
    assert isinstance(open_stream(photo_storage(), photos[0].original.name), StreamingBody)
    archive = _archive(user_client.get(f"/albums/{album.pk}/download/"))
    assert sorted(archive.namelist()) == ["바다 (2).jpg", "바다.jpg"]
    assert sorted(archive.read(n) for n in archive.namelist()) == sorted(_original(p) for p in photos)


def test_an_unreachable_s3_is_a_503_before_any_byte(user_client, photo_factory, s3_bucket, settings):
    photo = photo_factory()
    options = s3_options(f"http://127.0.0.1:{free_port()}", s3_bucket)  # nothing listens there
    settings.STORAGES = storages_for("storages.backends.s3.S3Storage", options, settings)
    response = _post_selection(user_client, [photo])
    assert response.status_code == 503
    assert not response.streaming
