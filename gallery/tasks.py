"""Periodic storage clean-up and trash purge (scheduled by Celery beat when a broker is configured)."""

from __future__ import annotations

from celery import shared_task

from gallery.cleanup import pending_deletions_retry
from gallery.services import trash_purge


@shared_task(acks_late=True, ignore_result=True)
def retry_pending_deletions() -> dict[str, int]:
    """Delete the stored files whose deletion failed earlier (the storage was down)."""
    counts = pending_deletions_retry()
    return {"deleted": counts.deleted, "failed": counts.failed}


@shared_task(acks_late=True, ignore_result=True)
def purge_trash() -> dict[str, int]:
    """Delete for good the photos in the trash for more than TRASH_DAYS days."""
    return {"deleted": trash_purge()}
