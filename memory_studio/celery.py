"""Celery application. Without CELERY_BROKER_URL every task runs inline (eager)."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memory_studio.settings")

app = Celery("memory_studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _start_recognition() -> None:
    """A worker process: torch's threads for indexing throughput, and the model loaded now."""
    from django.conf import settings

    from recognition.runtime import preload, set_process_role

    set_process_role("worker")
    if settings.RECOGNITION_PRELOAD:
        preload()


@worker_process_init.connect
def preload_recognition_in_child(**kwargs: Any) -> None:
    """Prefork pool: load the face model in each child process (not before forking: torch's
    thread pools do not survive fork)."""
    _start_recognition()


@worker_ready.connect
def preload_recognition_in_worker(sender: Any = None, **kwargs: Any) -> None:
    """Solo/threads pools run tasks in the main process, which gets no worker_process_init."""
    from celery.concurrency.prefork import TaskPool

    pool = getattr(sender, "pool", None)
    if pool is not None and not isinstance(pool, TaskPool):
        _start_recognition()
