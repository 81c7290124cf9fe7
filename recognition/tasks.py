"""Background indexing. Without CELERY_BROKER_URL tasks run inline (eager)."""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import shared_task
from django.db import connection, transaction

from recognition.indexing import TRANSIENT_ERRORS, photos_index
from recognition.services import face_recognition_on, photo_mark_index_failed, photo_mark_index_off

logger = logging.getLogger(__name__)


MAX_RETRIES = 5
# Inline (no broker) a transient error is retried at once a few times with a short back-off, while
# the upload request waits: about 2 s in all, instead of the worker's minutes-long back-off.
INLINE_RETRY_DELAYS: tuple[float, ...] = (0.1, 0.3, 0.6, 1.0)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def index_photo(self: Any, photo_id: int) -> str:
    """Detect and embed one photo's faces with the active model (idempotent).

    Transient errors (database or storage briefly down) are retried: with exponential back-off
    on a worker, with a few quick tries (INLINE_RETRY_DELAYS) inline. When the retries are spent
    the photo is marked failed with the reason (the photo page's Retry button, the reindex API
    and `reindex_faces --missing-only` pick it up again). Other errors mark it failed at once.
    """
    from django.conf import settings

    from recognition.runtime import get_pipeline  # torch loads in workers, not in every importer

    model_key = settings.RECOGNITION_MODEL
    inline_delays = list(INLINE_RETRY_DELAYS) if self.request.is_eager else []
    while True:
        try:
            if not _owner_consents(photo_id):
                # Queued before the owner turned face recognition off: a no-op, no model loaded.
                return "off" if photo_mark_index_off(photo_id=photo_id) is not None else "deleted"
            pipeline = get_pipeline()
            model_key = pipeline.embedder.key
            outcomes = photos_index(photo_ids=[photo_id], pipeline=pipeline)
            break
        except TRANSIENT_ERRORS as exc:
            if inline_delays:
                delay = inline_delays.pop(0)
                logger.warning("Indexing photo %s: %s; retrying in %.1f s", photo_id, exc, delay)
                time.sleep(delay)
                if not connection.in_atomic_block:
                    connection.close_if_unusable_or_obsolete()  # a broken connection reconnects
                continue
            if not self.request.is_eager and self.request.retries < self.max_retries:
                delay = min(settings.RECOGNITION_RETRY_MAX_DELAY, 2 ** (self.request.retries + 1))
                raise self.retry(exc=exc, countdown=delay) from exc
            logger.exception("Indexing photo %s failed after its retries", photo_id)
            photo_mark_index_failed(
                photo_id=photo_id, model_key=model_key, error=f"Temporarily unavailable, gave up: {exc}"
            )
            return "failed"
        except Exception as exc:
            logger.exception("Indexing photo %s failed", photo_id)
            photo_mark_index_failed(photo_id=photo_id, model_key=model_key, error=str(exc))
            return "failed"
    if outcomes and outcomes[0].faces:
        _request_people_refresh(photo_id)
    return outcomes[0].status if outcomes else "deleted"


def _owner_consents(photo_id: int) -> bool:
    from gallery.models import Photo

    owner_id = Photo.objects.filter(pk=photo_id).values_list("owner_id", flat=True).first()
    return owner_id is None or face_recognition_on(owner_id=owner_id)


def _request_people_refresh(photo_id: int) -> None:
    """New faces: ask for the owner's People to be updated once uploads settle."""
    from gallery.models import Photo
    from people.tasks import people_request_refresh

    owner_id = Photo.objects.filter(pk=photo_id).values_list("owner_id", flat=True).first()
    if owner_id is not None:
        try:
            people_request_refresh(owner_id=owner_id)
        except Exception:  # the faces are indexed; grouping them can wait for the next request
            logger.exception("Could not request grouping for photo %s", photo_id)


def enqueue_photo_indexing(photo_id: int) -> None:
    """Queue indexing once the current transaction commits (inline without a broker)."""

    def send() -> None:
        try:
            index_photo.delay(photo_id)
        except Exception:
            logger.exception("Could not queue indexing of photo %s; it stays pending", photo_id)

    transaction.on_commit(send)
