"""The "Import a folder/zip" page: upload a zip; it is imported in the background (inline without
a broker) and the import's page shows its progress, then its summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from gallery.storage import StorageUnavailable
from imports import selectors
from imports.forms import ImportForm
from imports.services import import_job_create

if TYPE_CHECKING:
    from accounts.models import User

RECENT_JOBS = 10


@login_required
@require_http_methods(["GET", "POST"])
def import_library(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                owner=cast("User", request.user),
                upload=form.cleaned_data["archive"],
                album_per_folder=form.cleaned_data["album_per_folder"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except StorageUnavailable as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("imports:import_job", job_id=job.pk)
    context = {
        "form": form,
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "jobs": selectors.import_jobs_for_user(user=request.user)[:RECENT_JOBS],
    }
    return render(request, "imports/import.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_get_for_user(user=request.user, job_id=job_id)
    return render(request, "imports/import_job.html", {"job": job, "summary": job.summary or None})


@login_required
@require_GET
def import_job_status(request: HttpRequest, job_id: int) -> JsonResponse:
    """What the import page's script polls while the import runs."""
    job = selectors.import_job_get_for_user(user=request.user, job_id=job_id)
    return JsonResponse(
        {"status": job.status, "done": job.done, "total": job.total, "finished": job.finished}
    )
