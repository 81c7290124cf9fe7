"""Periodic storage clean-up (scheduled by Celery beat when a broker is configured)."""

from __future__ import annotations

from celery import shared_task

from gallery.cleanup import pending_deletions_retry


@shared_task(acks_late=True, ignore_result=True)
def retry_pending_deletions() -> dict[str, int]:
    """Delete the stored files whose deletion failed earlier (the storage was down)."""
    counts = pending_deletions_retry()
    return {"deleted": counts.deleted, "failed": counts.failed}
