"""Stored files never outlive their photo: deletions that fail while S3 is down are queued and
retried, orphan files are found and removed, and a hung S3 fails an upload within the timeouts.

S3 is moto's standalone server on 127.0.0.1; "down" is a TCP proxy in front of it that the
test cuts and restores, "hung" a socket that accepts connections and never answers.
"""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import pytest
from botocore.config import Config
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from conftest import make_image_bytes
from gallery import services
from gallery.models import PendingDeletion, Photo
from gallery.storage import photo_storage
from gallery.tasks import retry_pending_deletions
from gallery.tests.conftest import as_upload, s3_client, s3_options, storages_for
from memory_studio.tests.servers import SilentServer, TcpProxy

pytestmark = pytest.mark.django_db


def bucket_keys(endpoint: str, bucket: str) -> set[str]:
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


@pytest.fixture
def s3_behind_proxy(moto_endpoint: str, settings: Any) -> Any:
    """S3 storage reached through a proxy the test can cut; yields (proxy, bucket)."""
    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=bucket)
    host, port = moto_endpoint.removeprefix("http://").split(":")
    proxy = TcpProxy(host, int(port)).start()
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(f"http://127.0.0.1:{proxy.port}", bucket), settings
    )
    yield proxy, bucket
    proxy.stop()


def sweep(*args: str) -> str:
    out = io.StringIO()
    call_command("sweep_storage", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_delete_while_s3_is_down_is_queued_and_swept_when_it_is_back(
    s3_behind_proxy, moto_endpoint, api_client, django_capture_on_commit_callbacks
):
    proxy, bucket = s3_behind_proxy
    created = api_client.post(
        "/api/photos/", {"image": SimpleUploadedFile("a.jpg", make_image_bytes())}, format="multipart"
    )
    assert created.status_code == 201
    names = set(Photo.objects.get().file_names)
    assert bucket_keys(moto_endpoint, bucket) == names

    photo_id = created.json()["id"]
    assert api_client.delete(f"/api/photos/{photo_id}/").status_code == 204  # to the trash
    proxy.stop()  # S3 goes down
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/trash/delete/", {"photos": [photo_id]}, format="json")
    assert response.status_code == 200
    assert not Photo.objects.exists()
    pending = list(PendingDeletion.objects.all())
    assert {p.name for p in pending} == names
    assert all(p.attempts == 1 and p.last_error for p in pending)
    assert bucket_keys(moto_endpoint, bucket) == names  # still stored, but not forgotten

    # While S3 is down the sweep says so, and keeps the queue.
    with pytest.raises(CommandError, match="cannot be reached"):
        sweep("--delete")
    assert PendingDeletion.objects.count() == 3

    proxy.start()  # S3 is back
    dry = sweep()
    assert "Queued deletions: 3 waiting." in dry
    assert "Dry run" in dry
    assert bucket_keys(moto_endpoint, bucket) == names
    done = sweep("--delete")
    assert "Queued deletions: 3 deleted, 0 still failing" in done
    assert "Storage is clean." in done
    assert bucket_keys(moto_endpoint, bucket) == set()
    assert not PendingDeletion.objects.exists()


def test_the_periodic_task_retries_queued_deletions(user):
    photo = services.photo_create(owner=user, upload=as_upload(make_image_bytes()))
    names = photo.file_names
    storage = photo_storage()
    # As if the storage had refused the deletion: the row is gone, the files and the queue stay.
    Photo.objects.filter(pk=photo.pk).delete()
    PendingDeletion.objects.bulk_create([PendingDeletion(name=n, attempts=1) for n in names])
    assert all(storage.exists(n) for n in names)
    assert retry_pending_deletions.apply().get() == {"deleted": 3, "failed": 0}
    assert not any(storage.exists(n) for n in names)
    assert not PendingDeletion.objects.exists()


@pytest.fixture(params=["local", "s3"])
def any_storage(request: Any, settings: Any, tmp_path: Any) -> str:
    if request.param == "local":
        settings.STORAGES = storages_for(
            "django.core.files.storage.FileSystemStorage",
            {"location": str(tmp_path), "base_url": None},
            settings,
        )
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        bucket = f"photos-{uuid.uuid4().hex[:12]}"
        s3_client(endpoint).create_bucket(Bucket=bucket)
        settings.STORAGES = storages_for(
            "storages.backends.s3.S3Storage", s3_options(endpoint, bucket), settings
        )
    return str(request.param)


def test_orphan_files_are_found_and_removed_only_with_delete(any_storage, user):
    photo = services.photo_create(owner=user, upload=as_upload(make_image_bytes()))
    storage = photo_storage()
    orphans = {
        storage.save("photos/originals/ab/orphan.jpg", ContentFile(b"x" * 2048)),
        storage.save("photos/thumbnails/cd/orphan.jpg", ContentFile(b"y" * 1024)),
    }
    elsewhere = storage.save("exports/keep.txt", ContentFile(b"not the gallery's"))

    # Just written: inside the grace period (an upload in flight looks like this).
    fresh = sweep("--delete")
    assert "Orphan files older than 6 h: 0 (0\xa0bytes)" in fresh

    dry = sweep("--grace-hours", "0")
    assert "Orphan files older than 0 h: 2 (3.0\xa0KB)" in dry
    assert "Dry run" in dry
    assert all(storage.exists(n) for n in orphans)

    done = sweep("--delete", "--grace-hours", "0")
    assert "2 deleted, 0 failed" in done
    assert not any(storage.exists(n) for n in orphans)
    assert all(storage.exists(n) for n in photo.file_names)  # the photo's own files stay
    assert storage.exists(elsewhere)  # only the gallery's folder is swept
    assert "Orphan files older than 0 h: 0" in sweep("--delete", "--grace-hours", "0")


def test_a_hung_s3_fails_an_upload_within_the_timeouts(api_client, settings, capsys):
    """The production timeouts (settings.AWS_S3_*) against a server that never answers."""
    hung = SilentServer()
    options = s3_options(f"http://127.0.0.1:{hung.port}", "photos")
    options["client_config"] = Config(
        signature_version="s3v4",
        connect_timeout=settings.AWS_S3_CONNECT_TIMEOUT,
        read_timeout=settings.AWS_S3_READ_TIMEOUT,
        retries={"total_max_attempts": settings.AWS_S3_MAX_ATTEMPTS, "mode": "standard"},
    )
    settings.STORAGES = storages_for("storages.backends.s3.S3Storage", options, settings)
    started = time.monotonic()
    try:
        response = api_client.post(
            "/api/photos/", {"image": SimpleUploadedFile("a.jpg", make_image_bytes())}, format="multipart"
        )
    finally:
        hung.close()
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\nupload against a hung S3 failed after {elapsed:.1f} s")
    assert response.status_code == 503
    assert "unavailable" in response.json()["detail"]
    assert not Photo.objects.exists()
    worst = (settings.AWS_S3_CONNECT_TIMEOUT + settings.AWS_S3_READ_TIMEOUT) * settings.AWS_S3_MAX_ATTEMPTS
    assert elapsed < worst + 15  # generous: the bound is the timeouts, not minutes
