"""HTTP answers shared by the owner's page and the admin for a face crop."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from gallery.images import InvalidImage
from gallery.responses import MEDIA_CACHE_CONTROL, storage_errors_as_http
from recognition.models import Face
from recognition.selectors import face_crop_jpeg


def face_crop_response(face: Face) -> HttpResponse:
    """The face's square JPEG crop; 404 if its photo is missing or unreadable, StorageUnavailable
    (503) if the storage cannot be reached."""
    with storage_errors_as_http():
        try:
            data = face_crop_jpeg(face=face)
        except InvalidImage as exc:
            raise Http404(_("The photo of this face cannot be read.")) from exc
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = MEDIA_CACHE_CONTROL
    return response
