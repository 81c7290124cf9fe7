"""Export jobs. Without CELERY_BROKER_URL they run inline (eager), in the request."""

from __future__ import annotations

from celery import shared_task

from exports.services import exports_purge


@shared_task(acks_late=True, ignore_result=True)
def build_export(export_id: int) -> str:
    """Make one export's zip (a queued export only: a redelivered job does nothing)."""
    from exports.services import export_build

    export = export_build(export_id=export_id)
    return export.status if export is not None else "deleted"


@shared_task(acks_late=True, ignore_result=True)
def purge_exports() -> dict[str, int]:
    """Delete expired exports and their zips (scheduled by Celery beat)."""
    counts = exports_purge()
    return {"expired": counts.expired, "stale": counts.stale}
