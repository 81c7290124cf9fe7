"""The "Import a folder/zip" page: upload a zip, import it into the caller's library, show the
summary. The import runs within the request (photos are stored and indexed one by one); the
summary page is the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from imports.forms import ImportForm
from imports.services import library_import
from imports.sources import SourceRejected

if TYPE_CHECKING:
    from accounts.models import User


@login_required
@require_http_methods(["GET", "POST"])
def import_library(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "max_bytes": settings.IMPORT_MAX_BYTES, "summary": None}
    if request.method == "POST":
        if form.is_valid():
            archive = form.cleaned_data["archive"]
            try:
                context["summary"] = library_import(
                    owner=cast("User", request.user),
                    root=archive,
                    name=(archive.name or "").rsplit(".", 1)[0],
                    album_per_folder=form.cleaned_data["album_per_folder"],
                    dry_run=form.cleaned_data["dry_run"],
                )
            except SourceRejected as exc:
                form.add_error("archive", str(exc))
        if context["summary"] is None:
            return render(request, "imports/import.html", context, status=400)
    return render(request, "imports/import.html", context)
