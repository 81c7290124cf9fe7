"""Indexing through a real Celery worker process on a real Redis broker (not eager mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

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


@pytest.fixture
def worker(tmp_path):
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
    }
    log = (tmp_path / "worker.log").open("w+")
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
    policy = "1 intra-op, 1 inter-op, OMP_WAIT_POLICY PASSIVE"
    log.seek(0)
    assert f"Face model threads for a worker process: {policy}, nice {nice}" in log.read()


def _read(log) -> str:
    log.flush()
    log.seek(0)
    return str(log.read())[-5000:]
