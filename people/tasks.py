"""The background grouping job: debounced per user, inline (eager) without a broker."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from people.models import PeopleState

logger = logging.getLogger(__name__)

# A scheduled run that never started (a lost message, a worker killed) stops blocking new ones after this.
STALE_SCHEDULE = timedelta(minutes=15)


def people_request_refresh(*, owner_id: int) -> None:
    """Ask for the owner's faces to be grouped once indexing settles.

    Without a broker the grouping runs at once, after the current transaction commits. With one, a
    single task per user waits until no new request came for PEOPLE_REFRESH_DELAY seconds (at most
    PEOPLE_REFRESH_MAX_WAIT in all), so a batch of uploads is grouped once."""
    from people.services import _lock_owner

    now = timezone.now()
    with transaction.atomic():
        state = _lock_owner(owner_id)
        enqueue = state.scheduled_at is None or state.scheduled_at < now - STALE_SCHEDULE
        state.requested_at = now
        if enqueue:
            state.scheduled_at = now
        state.save(update_fields=["requested_at", "scheduled_at"])
    if enqueue:
        delay = settings.PEOPLE_REFRESH_DELAY

        def send() -> None:
            try:
                refresh_people.apply_async(args=(owner_id,), countdown=delay)
            except Exception:
                logger.exception("Could not queue grouping of user %s's faces", owner_id)
                PeopleState.objects.filter(owner_id=owner_id).update(scheduled_at=None)

        transaction.on_commit(send)


@shared_task(bind=True, acks_late=True, max_retries=3)
def refresh_people(self: Any, owner_id: int) -> str:
    """Run `people_refresh` for one user, once requests have been quiet for PEOPLE_REFRESH_DELAY."""
    from people.services import people_refresh

    now = timezone.now()
    state = PeopleState.objects.filter(owner_id=owner_id).first()
    if state is None:
        return "gone"
    quiet = timedelta(seconds=settings.PEOPLE_REFRESH_DELAY)
    waited = now - (state.scheduled_at or now)
    if (
        not self.request.is_eager
        and state.requested_at is not None
        and now - state.requested_at < quiet
        and waited < timedelta(seconds=settings.PEOPLE_REFRESH_MAX_WAIT)
    ):
        remaining = (quiet - (now - state.requested_at)).total_seconds()
        raise self.retry(countdown=max(1.0, remaining), max_retries=None)
    PeopleState.objects.filter(owner_id=owner_id).update(scheduled_at=None, started_at=now)
    try:
        summary = people_refresh(owner_id=owner_id)
    except Exception:
        logger.exception("Grouping the faces of user %s failed", owner_id)
        return "failed"
    logger.info(
        "People of user %s: %d assigned, %d new persons, %d unassigned (%.1f s)",
        owner_id,
        summary.assigned,
        summary.persons_created,
        summary.unassigned,
        summary.seconds,
    )
    return "done"
