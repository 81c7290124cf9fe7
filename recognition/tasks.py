"""Background indexing. Without CELERY_BROKER_URL tasks run inline (eager)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import transaction

from recognition.indexing import TRANSIENT_ERRORS, photos_index
from recognition.services import photo_mark_index_failed

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def index_photo(self: Any, photo_id: int) -> str:
    """Detect and embed one photo's faces with the active model (idempotent)."""
    from recognition.runtime import get_pipeline  # torch loads in workers, not in every importer

    try:
        pipeline = get_pipeline()
        outcomes = photos_index(photo_ids=[photo_id], pipeline=pipeline)
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        logger.exception("Indexing photo %s failed", photo_id)
        from django.conf import settings

        photo_mark_index_failed(photo_id=photo_id, model_key=settings.RECOGNITION_MODEL, error=str(exc))
        return "failed"
    return outcomes[0].status if outcomes else "deleted"


def enqueue_photo_indexing(photo_id: int) -> None:
    """Queue indexing once the current transaction commits (inline without a broker)."""

    def send() -> None:
        try:
            index_photo.delay(photo_id)
        except Exception:
            logger.exception("Could not queue indexing of photo %s; it stays pending", photo_id)

    transaction.on_commit(send)
