"""Background indexing. Without CELERY_BROKER_URL tasks run inline (eager)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import transaction

from recognition.indexing import TRANSIENT_ERRORS, photos_index
from recognition.services import photo_mark_index_failed

logger = logging.getLogger(__name__)


MAX_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def index_photo(self: Any, photo_id: int) -> str:
    """Detect and embed one photo's faces with the active model (idempotent).

    Transient errors (database or storage briefly down) are retried with exponential back-off
    on a worker; when the retries are spent, or inline where retrying would only hold up the
    upload request, the photo is marked failed with the reason (`reindex_faces --missing-only`
    picks it up again). Other errors mark it failed at once.
    """
    from django.conf import settings

    from recognition.runtime import get_pipeline  # torch loads in workers, not in every importer

    model_key = settings.RECOGNITION_MODEL
    try:
        pipeline = get_pipeline()
        model_key = pipeline.embedder.key
        outcomes = photos_index(photo_ids=[photo_id], pipeline=pipeline)
    except TRANSIENT_ERRORS as exc:
        if not self.request.is_eager and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=min(60, 2 ** (self.request.retries + 1))) from exc
        logger.exception("Indexing photo %s failed after %d retries", photo_id, self.request.retries)
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
