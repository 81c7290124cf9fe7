"""The Import page: upload a zip, follow the import on its page, see the summary; only ever the
caller's library and the caller's imports."""

from __future__ import annotations

import io
import zipfile

import pytest

from gallery.models import Album, Photo
from gallery.storage import photo_storage
from imports.models import ImportJob
from imports.services import import_job_run
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


def _stored_zips() -> set[str]:
    storage = photo_storage()
    return set(storage.listdir("imports")[1]) if storage.exists("imports") else set()


def _post(client, data, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):  # the job runs inline (no broker)
        response = client.post("/import/", data, **extra)
    return response


def test_the_pages_need_a_login(client, user):
    job = ImportJob.objects.create(owner=user, status=ImportJob.Status.DONE)
    for url in ("/import/", f"/import/{job.pk}/", f"/import/{job.pk}/status/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert client.post("/import/", {}).status_code == 302


def test_the_page_is_linked_from_upload_and_account(user_client):
    assert 'href="/import/"' in user_client.get("/upload/").content.decode()
    assert 'href="/import/"' in user_client.get("/accounts/settings/").content.decode()


def test_upload_a_zip_and_see_the_summary(
    user_client, user, other_user, tagged_zip, django_capture_on_commit_callbacks
):
    before = _stored_zips()
    response = _post(
        user_client, {"archive": tagged_zip, "album_per_folder": "on"}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    job = ImportJob.objects.get(owner=user)
    assert response["Location"] == f"/import/{job.pk}/"
    assert job.status == ImportJob.Status.DONE
    assert (job.done, job.total) == (2, 2)
    assert job.archive == ""  # the uploaded zip is deleted once read
    assert _stored_zips() <= before  # the uploaded zip was stored, then deleted
    page = user_client.get(response["Location"])
    summary = page.context["summary"]
    assert (summary["imported"], len(summary["failed"]), summary["regions_matched"]) == (1, 1, 1)
    body = page.content.decode()
    assert 'id="import-summary"' in body
    assert "notes.txt" in body
    assert 'id="import-progress"' not in body
    assert user_client.get(f"/import/{job.pk}/status/").json() == {
        "status": "done",
        "done": 2,
        "total": 2,
        "finished": True,
    }
    assert "library.zip" in user_client.get("/import/").content.decode()  # the recent imports
    photo = Photo.objects.get(owner=user)
    assert photo.title == "연설"
    assert Person.objects.get(owner=user).name == "버락 오바마"
    assert Album.objects.get(owner=user).name == "Trip"
    # Only the caller's library changed.
    assert not Photo.objects.filter(owner=other_user).exists()
    assert not Person.objects.filter(owner=other_user).exists()


def test_a_running_import_shows_its_progress(
    user_client, user, tagged_zip, django_capture_on_commit_callbacks
):
    # Queued (as with a broker): the page shows progress and polls its status.
    response = user_client.post("/import/", {"archive": tagged_zip})
    job = ImportJob.objects.get(owner=user)
    assert job.status == ImportJob.Status.PENDING
    page = user_client.get(response["Location"])
    assert 'id="import-progress"' in page.content.decode()
    assert "import_progress.js" in page.content.decode()
    assert user_client.get(f"/import/{job.pk}/status/").json()["finished"] is False
    assert import_job_run(job_id=job.pk) == "done"
    assert import_job_run(job_id=job.pk) == "done"  # a second delivery does nothing
    assert Photo.objects.filter(owner=user).count() == 1


def test_dry_run_from_the_page_writes_nothing(
    user_client, user, tagged_zip, django_capture_on_commit_callbacks
):
    response = _post(
        user_client, {"archive": tagged_zip, "dry_run": "on"}, django_capture_on_commit_callbacks
    )
    page = user_client.get(response["Location"])
    assert page.context["summary"]["imported"] == 1
    assert page.context["summary"]["dry_run"] is True
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
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1000
    settings.MAX_UPLOAD_BYTES = 900
    response = user_client.post("/import/", {"archive": _zip({"a.jpg": b"\0" * 800, "b.jpg": b"\0" * 800})})
    assert response.status_code == 400
    assert "unpacks" in str(response.context["form"].errors["archive"])
    settings.IMPORT_MAX_BYTES = 10
    response = user_client.post("/import/", {"archive": _zip({"a.jpg": b"x" * 100})})
    assert response.status_code == 400
    assert "too large" in str(response.context["form"].errors["archive"])
    assert not Photo.objects.exists()
    assert not ImportJob.objects.exists()


def test_another_users_import_is_404(user, other_client):
    job = ImportJob.objects.create(owner=user, status=ImportJob.Status.DONE, archive_name="Private.zip")
    for url in (f"/import/{job.pk}/", f"/import/{job.pk}/status/"):
        response = other_client.get(url)
        assert response.status_code == 404
        assert "Private" not in response.content.decode()
    assert "Private" not in other_client.get("/import/").content.decode()


def test_the_summary_is_korean(user_client, tagged_zip, django_capture_on_commit_callbacks):
    from memory_studio.tests.test_korean_pages import english_words

    response = _post(
        user_client,
        {"archive": tagged_zip, "album_per_folder": "on"},
        django_capture_on_commit_callbacks,
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    html = user_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<html lang="ko">' in html
    assert 'id="import-summary"' in html
    # The file names are the user's own; everything else is Korean.
    assert not english_words(html.replace("notes.txt", "").replace("library.zip", "").replace("Trip", ""))


def test_the_import_job_on_s3(user_client, user, settings, request, django_capture_on_commit_callbacks):
    """The uploaded zip is kept in the bucket, read back from it by the job, then deleted."""
    import uuid

    from conftest import make_image_bytes
    from gallery.tests.conftest import s3_client, s3_options, storages_for

    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = storages_for("storages.backends.s3.S3Storage", s3_options(endpoint, bucket), settings)
    archive = _zip(
        {"Trip/a.jpg": make_image_bytes(color=(1, 2, 3)), "Trip/b.jpg": make_image_bytes(color=(4, 5, 6))}
    )
    response = _post(user_client, {"archive": archive}, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    job = ImportJob.objects.get(owner=user)
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.summary["imported"] == 2
    keys = {item["Key"] for item in s3_client(endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert not any(key.startswith("imports/") for key in keys)
    assert sum(key.startswith("photos/originals/") for key in keys) == 2


def test_a_job_that_cannot_be_queued_fails_and_leaves_no_zip(
    user_client, user, tagged_zip, django_capture_on_commit_callbacks, monkeypatch
):
    from imports import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.run_import_job, "delay", broker_down)
    before = _stored_zips()
    response = _post(user_client, {"archive": tagged_zip}, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get(owner=user)
    assert job.status == ImportJob.Status.FAILED
    assert job.archive == ""
    assert _stored_zips() <= before  # the uploaded zip was stored, then deleted
    page = user_client.get(response["Location"])
    assert 'id="import-error"' in page.content.decode()
    assert not Photo.objects.exists()
