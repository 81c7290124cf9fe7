from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404

from imports.models import ImportJob

if TYPE_CHECKING:
    from accounts.models import User


def import_jobs_for_user(*, user: User | Any) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(owner_id=user.pk)


def import_job_get_for_user(*, user: User | Any, job_id: int) -> ImportJob:
    """The user's import job; Http404 for anyone else's or a missing one."""
    job = import_jobs_for_user(user=user).filter(pk=job_id).first()
    if job is None:
        raise Http404("No such import.")
    return job
