"""Background imports. Without CELERY_BROKER_URL the task runs inline, once the job is saved."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> str:
    from imports.services import import_job_run

    return import_job_run(job_id=job_id)
