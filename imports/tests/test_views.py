"""The Import page: upload a zip, see the summary; only ever the caller's library."""

from __future__ import annotations

import io
import zipfile

import pytest

from gallery.models import Album, Photo
from imports.tests.conftest import face_jpeg_bytes, face_tag, size_of
from imports.tests.xmpdata import embed, lightroom_packet
from people.models import Person

pytestmark = pytest.mark.django_db


def _zip(entries: dict[str, bytes], name: str = "library.zip") -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in entries.items():
            archive.writestr(member, data)
    buffer.seek(0)
    buffer.name = name
    return buffer


@pytest.fixture
def tagged_zip(tmp_path, faces_dir):
    path = tmp_path / "o.jpg"
    path.write_bytes(face_jpeg_bytes(faces_dir, "obama"))
    embed(path, lightroom_packet(size=size_of(path), tags=[face_tag("obama", "버락 오바마")], title="연설"))
    return _zip({"Trip/o.jpg": path.read_bytes(), "Trip/notes.txt": b"not a photo"})


def test_the_page_needs_a_login(client):
    response = client.get("/import/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.post("/import/", {}).status_code == 302


def test_the_page_is_linked_from_upload_and_account(user_client):
    assert 'href="/import/"' in user_client.get("/upload/").content.decode()
    assert 'href="/import/"' in user_client.get("/accounts/settings/").content.decode()


def test_upload_a_zip_and_see_the_summary(user_client, user, other_user, tagged_zip):
    response = user_client.post("/import/", {"archive": tagged_zip, "album_per_folder": "on"})
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.imported, len(summary.failed), summary.regions_matched) == (1, 1, 1)
    body = response.content.decode()
    assert 'id="import-summary"' in body
    assert "notes.txt" in body
    photo = Photo.objects.get(owner=user)
    assert photo.title == "연설"
    assert Person.objects.get(owner=user).name == "버락 오바마"
    assert Album.objects.get(owner=user).name == "Trip"
    # Only the caller's library changed.
    assert not Photo.objects.filter(owner=other_user).exists()
    assert not Person.objects.filter(owner=other_user).exists()


def test_dry_run_from_the_page_writes_nothing(user_client, tagged_zip):
    response = user_client.post("/import/", {"archive": tagged_zip, "dry_run": "on"})
    assert response.status_code == 200
    assert response.context["summary"].imported == 1
    assert not Photo.objects.exists()
    assert not Person.objects.exists()


def test_bad_archives_are_refused_with_a_reason(user_client, settings):
    not_zip = io.BytesIO(b"hello")
    not_zip.name = "photos.zip"
    response = user_client.post("/import/", {"archive": not_zip})
    assert response.status_code == 400
    assert response.context["form"].errors["archive"]
    traversal = _zip({"../../etc/passwd.jpg": b"x"})
    response = user_client.post("/import/", {"archive": traversal})
    assert response.status_code == 400
    assert "outside" in str(response.context["form"].errors["archive"])
    settings.IMPORT_MAX_BYTES = 10
    response = user_client.post("/import/", {"archive": _zip({"a.jpg": b"x" * 100})})
    assert response.status_code == 400
    assert "too large" in str(response.context["form"].errors["archive"])
    assert not Photo.objects.exists()


def test_the_summary_is_korean(user_client, tagged_zip):
    from memory_studio.tests.test_korean_pages import english_words

    response = user_client.post(
        "/import/", {"archive": tagged_zip, "album_per_folder": "on"}, HTTP_ACCEPT_LANGUAGE="ko"
    )
    html = response.content.decode()
    assert '<html lang="ko">' in html
    assert 'id="import-summary"' in html
    # The file names and the person's name are the user's own; everything else is Korean.
    assert not english_words(html.replace("notes.txt", "").replace("Trip", ""))
