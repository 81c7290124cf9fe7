"""The exports API and pages: start, follow, download, delete; expiry; S3."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
import requests
from django.utils import timezone
from PIL import Image

from exports.models import Export
from exports.tests.conftest import export_zip, stored_names
from gallery.storage import photo_storage
from gallery.tests.conftest import s3_client, s3_options, storages_for

pytestmark = pytest.mark.django_db


def _post(client: Any, url: str, capture: Any, **kwargs: Any) -> Any:
    with capture(execute=True):
        return client.post(url, **kwargs)


@pytest.mark.django_db(transaction=True)
def test_the_api_starts_an_export_and_serves_its_zip(api_client, user, photo_factory, local_storage):
    photo = photo_factory(title="Beach")
    response = api_client.post("/api/exports/")

    assert response.status_code == 201, response.content
    body = response.json()
    export = Export.objects.get()
    assert body["id"] == export.pk
    # Without a broker the job ran inline: the answer is already the finished export.
    assert (body["status"], body["photos_done"], body["photos_total"]) == ("done", 1, 1)
    assert body["download_url"] == f"/api/exports/{export.pk}/download/"
    assert body["size"] == photo_storage().size(export.file_name)

    listed = api_client.get("/api/exports/").json()
    assert [item["id"] for item in listed["results"]] == [export.pk]
    assert api_client.get(f"/api/exports/{export.pk}/").json()["status"] == "done"

    download = api_client.get(body["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    data = b"".join(download.streaming_content)
    with photo_storage().open(photo.original.name, "rb") as stored:
        original = stored.read()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert (
        archive.read("originals/" + timezone.localtime(photo.taken_at).strftime("%Y/%m") + "/photo.jpg")
        == original
    )


def test_a_second_export_while_one_is_made_is_a_409_naming_it(api_client, user, local_storage):
    running = Export.objects.create(owner=user, status=Export.Status.RUNNING, photos_total=10, photos_done=3)
    response = api_client.post("/api/exports/")
    assert response.status_code == 409
    assert response.json()["export"]["id"] == running.pk
    assert response.json()["export"]["photos_done"] == 3
    assert Export.objects.count() == 1
    # Nor can it be deleted while its job writes the zip.
    assert api_client.delete(f"/api/exports/{running.pk}/").status_code == 409
    assert Export.objects.filter(pk=running.pk).exists()


def test_deleting_an_export_removes_its_zip(
    api_client, user, photo_factory, local_storage, django_capture_on_commit_callbacks
):
    photo_factory()
    _post(api_client, "/api/exports/", django_capture_on_commit_callbacks)
    export = Export.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete(f"/api/exports/{export.pk}/").status_code == 204
    assert not Export.objects.exists()
    assert stored_names(local_storage, "exports") == set()


def test_an_expired_export_is_no_longer_downloadable(
    api_client, user_client, user, photo_factory, local_storage, django_capture_on_commit_callbacks
):
    photo_factory()
    _post(api_client, "/api/exports/", django_capture_on_commit_callbacks)
    export = Export.objects.get()
    assert user_client.get(f"/exports/{export.pk}/download/").status_code == 200
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert user_client.get(f"/exports/{export.pk}/download/").status_code == 404
    assert api_client.get(f"/api/exports/{export.pk}/download/").status_code == 404
    assert api_client.get(f"/api/exports/{export.pk}/").json()["download_url"] is None


def test_the_page_starts_an_export_and_lists_it(
    user_client, user, photo_factory, local_storage, django_capture_on_commit_callbacks
):
    from gallery import services as gallery_services

    photo_factory()
    gallery_services.photos_trash(owner=user, photos=[photo_factory()])
    page = user_client.get("/exports/").content.decode()
    assert "1 photo in the trash is not exported" in page
    assert 'id="export-form"' in page

    response = _post(user_client, "/exports/", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    export = Export.objects.get()
    assert export.status == Export.Status.DONE
    page = user_client.get("/exports/").content.decode()
    assert f"/exports/{export.pk}/download/" in page
    assert "Ready" in page

    with django_capture_on_commit_callbacks(execute=True):
        assert user_client.post(f"/exports/{export.pk}/delete/").status_code == 302
    assert not Export.objects.exists()
    assert stored_names(local_storage, "exports") == set()


def test_the_page_shows_progress_of_a_running_export_and_no_second_start(user_client, user, local_storage):
    Export.objects.create(owner=user, status=Export.Status.RUNNING, photos_total=8, photos_done=2)
    page = user_client.get("/exports/").content.decode()
    assert 'aria-valuenow="2"' in page
    assert "2 of 8 photos" in page
    assert "js/exports.js" in page
    response = user_client.post("/exports/", follow=True)
    assert "already being made" in response.content.decode()
    assert Export.objects.count() == 1


def test_the_account_page_links_to_the_export_page(user_client):
    assert 'href="/exports/"' in user_client.get("/accounts/settings/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_export_on_s3_is_written_in_parts_and_downloaded_through_a_signed_url(
    api_client, user, photo_factory, settings, moto_endpoint, monkeypatch
):
    from exports import services

    monkeypatch.setattr(services, "S3_PART_SIZE", 5 * 1024 * 1024)  # S3's smallest part
    bucket = f"exports-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(moto_endpoint, bucket), settings
    )
    noise = np.random.default_rng(1).integers(0, 256, size=(1500, 2000, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="JPEG", quality=100)
    assert buffer.tell() > 5 * 1024 * 1024  # over one part: a multipart upload
    photo = photo_factory(name="바다.jpg", data=buffer.getvalue())

    response = api_client.post("/api/exports/")

    assert response.json()["status"] == "done", response.content
    export = Export.objects.get()
    assert export.file_name.startswith("exports/")
    archive = export_zip(export)
    with photo_storage().open(photo.original.name, "rb") as stored:
        assert archive.read(f"originals/{timezone.localtime(photo.taken_at):%Y/%m}/바다.jpg") == stored.read()
    head = s3_client(moto_endpoint).head_object(Bucket=bucket, Key=export.file_name)
    assert head["ETag"].strip('"').endswith("-2")  # S3 marks a multipart object's ETag with its parts
    assert head["ContentType"] == "application/zip"
    download = api_client.get(f"/api/exports/{export.pk}/download/")
    assert download.status_code == 302
    query = parse_qs(urlparse(download["Location"]).query)
    assert "attachment" in query["response-content-disposition"][0]
    fetched = requests.get(download["Location"], timeout=10)
    assert fetched.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(fetched.content)).namelist() == archive.namelist()


@pytest.mark.django_db(transaction=True)
def test_a_failure_mid_upload_on_s3_leaves_no_object_and_no_open_multipart_upload(
    api_client, user, photo_factory, settings, moto_endpoint, monkeypatch
):
    from datetime import UTC, datetime

    from exports import services
    from exports.tests.conftest import set_taken_at

    monkeypatch.setattr(services, "S3_PART_SIZE", 5 * 1024 * 1024)
    bucket = f"exports-{uuid.uuid4().hex[:12]}"
    client = s3_client(moto_endpoint)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(moto_endpoint, bucket), settings
    )
    noise = np.random.default_rng(2).integers(0, 256, size=(1500, 2000, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="JPEG", quality=100)
    big = photo_factory(name="big.jpg", data=buffer.getvalue())  # a first part is sent
    lost = photo_factory(name="lost.jpg")
    set_taken_at(big, datetime(2024, 1, 1, tzinfo=UTC))
    set_taken_at(lost, datetime(2024, 1, 2, tzinfo=UTC))
    client.delete_object(Bucket=bucket, Key=lost.original.name)

    response = api_client.post("/api/exports/")

    body = response.json()
    assert body["status"] == "failed"
    assert "lost.jpg" in body["error"]
    keys = {item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert not any(key.startswith("exports/") for key in keys)
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
