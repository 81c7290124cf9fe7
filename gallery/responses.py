"""HTTP answers for stored files, shared by the owner's media URLs, face crops and the admin.

A missing file is a 404, an unreachable storage a StorageUnavailable (503, mapped by the API's
exception handler or by memory_studio.middleware for pages); S3 answers with a redirect to a
short-lived pre-signed URL, other storages stream the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import Storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gallery.storage import (
    STORAGE_ERRORS,
    StorageUnavailable,
    is_missing_file,
    signed_file_url,
    uses_signed_urls,
)
from gallery.zips import ZipStream, photo_entries, safe_file_name

if TYPE_CHECKING:
    from gallery.models import Album, Photo

# Media never changes under a name (new uploads get new random names): the owner's browser may
# keep it for an hour, no shared cache may.
MEDIA_CACHE_CONTROL = "private, max-age=3600"


@contextmanager
def storage_errors_as_http() -> Iterator[None]:
    """Inside: a missing file raises Http404, an unreachable storage StorageUnavailable."""
    try:
        yield
    except STORAGE_ERRORS as exc:
        if is_missing_file(exc):
            raise Http404(_("The file is missing from storage.")) from exc
        raise StorageUnavailable(_("Photo storage is unavailable right now.")) from exc


def storage_file_response(
    *, storage: Storage, name: str, content_type: str, filename: str = "", download: bool = False
) -> HttpResponseBase:
    """The stored file `name`: a redirect to a pre-signed URL (S3) or the file itself; with
    `download`, as an attachment named `filename` (the browser saves it)."""
    if not name:
        raise Http404(_("No such file."))
    with storage_errors_as_http():
        if uses_signed_urls(storage):
            # Not cacheable like the file: the pre-signed URL expires (AWS_QUERYSTRING_EXPIRE).
            attachment = (filename or None) if download else None
            return HttpResponseRedirect(signed_file_url(storage, name, attachment_name=attachment))
        # Django writes Content-Disposition (inline, or attachment), non-ASCII names as filename*.
        response = FileResponse(
            storage.open(name, "rb"), content_type=content_type, filename=filename, as_attachment=download
        )
    response["Cache-Control"] = MEDIA_CACHE_CONTROL
    return response


def login_redirect_for_browser(request: HttpRequest) -> HttpResponseBase | None:
    """A browser asking for a page (not an image or an API client) goes to the login page."""
    accept = request.META.get("HTTP_ACCEPT", "")
    if "text/html" not in accept:
        return None
    return redirect_to_login(request.get_full_path())


def zip_download_refusal(count: int) -> str | None:
    """Why `count` photos cannot be downloaded as one zip (none, or more than
    DOWNLOAD_MAX_PHOTOS), or None when they can."""
    if count == 0:
        return _("There are no photos to download.")
    limit = settings.DOWNLOAD_MAX_PHOTOS
    if count > limit:
        return ngettext(
            "A download holds at most %(limit)d photo; choose fewer.",
            "A download holds at most %(limit)d photos; choose fewer.",
            limit,
        ) % {"limit": limit}
    return None


def selection_zip_name() -> str:
    return f"memory-studio-{timezone.localdate():%Y-%m-%d}.zip"


def album_zip_name(album: Album) -> str:
    return f"{safe_file_name(album.name, fallback=f'album-{album.pk}')}.zip"


def photos_zip_response(*, photos: Sequence[Photo], filename: str) -> StreamingHttpResponse:
    """The photos' originals as a zip attachment named `filename`, streamed as it is written
    (no Content-Length: the size is known only at the end).

    Photos must be the requesting user's (from gallery.selectors). The first original is opened
    before the answer starts, so a storage outage is a 503 and a missing file a 404, not a
    broken download; a failure later ends the stream without the zip's directory (ZipStream).
    """
    with storage_errors_as_http():
        stream = ZipStream(photo_entries(photos))
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # A proxy (nginx) must pass the bytes on as they come, not buffer the archive.
    response["X-Accel-Buffering"] = "no"
    return response
