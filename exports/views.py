"""Export pages: the list with the "Export my library" button, the download, the delete."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.requests import signed_in_user
from exports import selectors, services
from exports.services import ExportInProgress
from gallery.responses import storage_file_response
from gallery.storage import photo_storage


@login_required
@require_http_methods(["GET", "POST"])
def export_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        try:
            services.export_create(owner=user)
        except ExportInProgress as exc:
            messages.info(request, str(exc))
        else:
            messages.success(request, _("Your export has started. It stays on this page once it is ready."))
        return redirect("exports:export_list")
    exports = list(selectors.export_list_for_user(user=user)[:50])
    photo_count, trashed_count = selectors.library_counts_for_user(user=user)
    return render(
        request,
        "exports/export_list.html",
        {
            "exports": exports,
            "busy": any(export.is_active for export in exports),
            "photo_count": photo_count,
            "trashed_count": trashed_count,
            "export_days": settings.EXPORT_DAYS,
        },
    )


@login_required
@require_GET
def export_download(request: HttpRequest, export_id: int) -> HttpResponseBase:
    export = selectors.export_get_downloadable_for_user(user=request.user, export_id=export_id)
    return storage_file_response(
        storage=photo_storage(),
        name=export.file_name,
        content_type="application/zip",
        filename=export.download_name,
        download=True,
    )


@login_required
@require_POST
def export_delete(request: HttpRequest, export_id: int) -> HttpResponse:
    export = selectors.export_get_for_user(user=request.user, export_id=export_id)
    try:
        services.export_delete(export=export)
    except ExportInProgress as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The export was deleted."))
    return redirect("exports:export_list")
