"""Indexing through a real Celery worker process on a real Redis broker (not eager mode)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import kombu.pools
import pytest
from django.conf import settings
from django.db import connection

from gallery.models import Photo
from memory_studio.celery import app as celery_app
from recognition.models import Face
from recognition.tests.conftest import person_photos

BROKER_URL = os.environ.get("MEMORY_STUDIO_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
BASE_DIR = Path(settings.BASE_DIR)


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _drop_broker_connections() -> None:
    # Earlier eager tasks built a producer pool on the in-memory transport; Celery caches it
    # on the app, so it must go before the broker URL changes (and again afterwards).
    pool = getattr(celery_app, "_pool", None)
    if pool is not None:
        pool.force_close_all()
    setattr(celery_app, "_pool", None)  # noqa: B010 - private attributes the stubs don't declare
    setattr(celery_app.amqp, "_producer_pool", None)  # noqa: B010
    # kombu keeps producer pools per connection in a global registry; a closed one would be
    # handed out again to the next (eager) task of the test session.
    kombu.pools.reset()


@contextlib.contextmanager
def celery_worker(log_path: Path, **extra_env: str) -> Iterator[tuple[subprocess.Popen[bytes], IO[str]]]:
    """A Celery worker process (solo pool, its own queue on the test broker) on the test database;
    this process sends its tasks there meanwhile. `extra_env`: more settings for the worker."""
    queue = f"memory-studio-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "memory_studio.settings_test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEMORY_STUDIO_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "RECOGNITION_PRELOAD": "1",
        "RECOGNITION_THREADS_WORKER": "1",
        "RECOGNITION_WORKER_NICE": "5",
        **extra_env,
    }
    log = log_path.open("w+")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "memory_studio",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    old = {k: celery_app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    _drop_broker_connections()
    celery_app.conf.update(broker_url=BROKER_URL, task_always_eager=False, task_default_queue=queue)
    try:
        yield process, log
    finally:
        _drop_broker_connections()
        celery_app.conf.update(old)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def worker(tmp_path):
    with celery_worker(tmp_path / "worker.log") as started:
        yield started


def _wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.mark.django_db(transaction=True)
def test_uploads_are_indexed_by_a_worker_process(worker, api_client, user, faces_dir):
    process, log = worker
    photos = person_photos(faces_dir, "fr_obama")[:2]
    ids = []
    for path in photos:
        with path.open("rb") as fh:
            response = api_client.post("/api/photos/", {"image": fh}, format="multipart")
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])

    def done():
        assert process.poll() is None, _read(log)
        return Photo.objects.filter(pk__in=ids, index_status="indexed").count() == 2

    assert _wait_for(done, timeout=180), _read(log)
    assert Face.objects.filter(photo_id__in=ids).count() >= 2
    output = _read(log)
    # Both jobs ran in the worker process (eager mode would leave no trace in its log).
    assert output.count("recognition.tasks.index_photo") >= 2
    assert output.count("succeeded") >= 2
    # The worker process ran the model with the worker role's threads, at a lower priority.
    nice = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 5)
    policy = "1 intra-op, 1 inter-op, OMP_WAIT_POLICY OpenMP default"
    log.seek(0)
    assert f"Face model threads for a worker process: {policy}, nice {nice}" in log.read()


def _read(log) -> str:
    log.flush()
    log.seek(0)
    return str(log.read())[-5000:]


@pytest.fixture
def s3_behind_proxy(settings, moto_endpoint):
    """A bucket on moto's S3 server reached through a TcpProxy (stop() is an S3 outage), used as
    the photo storage by this process; returns the proxy and the worker's settings for it."""
    from gallery.tests.conftest import s3_client, s3_options, storages_for
    from memory_studio.tests.servers import TcpProxy

    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=bucket)
    port = int(moto_endpoint.rsplit(":", 1)[1])
    proxy = TcpProxy("127.0.0.1", port).start()
    endpoint = f"http://127.0.0.1:{proxy.port}"
    settings.STORAGES = storages_for("storages.backends.s3.S3Storage", s3_options(endpoint, bucket), settings)
    worker_env = {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_CONNECT_TIMEOUT": "1",
        "AWS_S3_MAX_ATTEMPTS": "1",
        # Retries after 1 s instead of 2, 4, 8 ... s: the worker's own retry, only shorter.
        "RECOGNITION_RETRY_MAX_DELAY": "1",
    }
    try:
        yield proxy, worker_env
    finally:
        proxy.stop()


def _upload_while_storage_goes_down(user, proxy, path):
    """Store a photo, then cut the storage before its indexing job is queued (at the commit)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from gallery.services import photo_create

    with transaction.atomic():
        photo = photo_create(owner=user, upload=SimpleUploadedFile(path.name, path.read_bytes()))
        proxy.stop()
    return photo


def _retries(output: str) -> list[str]:
    """The worker's log lines of index_photo jobs sent back to the queue for a retry."""
    return [
        line for line in output.splitlines() if "recognition.tasks.index_photo" in line and "retry:" in line
    ]


@pytest.mark.django_db(transaction=True)
def test_a_worker_retries_indexing_while_the_storage_is_down_then_indexes(
    s3_behind_proxy, tmp_path, user, faces_dir
):
    proxy, worker_env = s3_behind_proxy
    # Retries after 2 s, then 4 s: time enough to bring the storage back after the first one.
    worker_env = {**worker_env, "RECOGNITION_RETRY_MAX_DELAY": "4"}
    with celery_worker(tmp_path / "worker.log", **worker_env) as (process, log):
        photo = _upload_while_storage_goes_down(user, proxy, person_photos(faces_dir, "fr_obama")[0])

        def retried():
            assert process.poll() is None, _read(log)
            return len(_retries(_read_all(log))) >= 1

        assert _wait_for(retried, timeout=180), _read(log)
        photo.refresh_from_db()
        assert photo.index_status == "pending"  # waiting for its retry, not failed
        proxy.start()  # the storage is back

        def indexed():
            assert process.poll() is None, _read(log)
            photo.refresh_from_db()
            return photo.index_status != "pending"

        assert _wait_for(indexed, timeout=180), _read(log)
        output = _read_all(log)
    assert (photo.index_status, photo.index_error) == ("indexed", ""), output[-5000:]
    assert Face.objects.filter(photo=photo).count() == photo.face_count == 1
    assert "Retry in 2s: StorageUnavailable" in _retries(output)[0]
    assert "failed after its retries" not in output


@pytest.mark.django_db(transaction=True)
def test_a_worker_gives_up_after_its_retries_and_marks_the_photo_failed(
    s3_behind_proxy, tmp_path, user, faces_dir
):
    from recognition.tasks import MAX_RETRIES

    proxy, worker_env = s3_behind_proxy
    with celery_worker(tmp_path / "worker.log", **worker_env) as (process, log):
        photo = _upload_while_storage_goes_down(user, proxy, person_photos(faces_dir, "fr_obama")[0])

        def settled():
            assert process.poll() is None, _read(log)
            photo.refresh_from_db()
            return photo.index_status != "pending"

        assert _wait_for(settled, timeout=240), _read(log)
        output = _read_all(log)
    assert photo.index_status == "failed", output[-5000:]
    assert photo.index_error.startswith("Temporarily unavailable, gave up: Photo storage is unavailable")
    retries = _retries(output)
    assert len(retries) == MAX_RETRIES, output[-5000:]
    assert all("Retry in 1s: StorageUnavailable" in line for line in retries)
    assert f"Indexing photo {photo.pk} failed after its retries" in output
    assert not Face.objects.filter(photo=photo).exists()


def _read_all(log) -> str:
    log.flush()
    log.seek(0)
    return str(log.read())
