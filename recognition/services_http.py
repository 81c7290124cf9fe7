"""HTTP answers shared by the owner's page and the admin for a face crop."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from django.utils.translation import gettext as _

from gallery.images import InvalidImage
from gallery.responses import MEDIA_CACHE_CONTROL, storage_errors_as_http
from recognition.crops import face_crop_etag, face_crop_jpeg
from recognition.models import Face


def face_crop_response(request: HttpRequest, face: Face) -> HttpResponse:
    """The face's square JPEG crop, private to the browser and validated by an ETag (a browser
    that has it gets 304 without any image being read); 404 if its photo is missing or
    unreadable, StorageUnavailable (503) if the storage cannot be reached."""
    etag = face_crop_etag(face=face)
    response: HttpResponse
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        with storage_errors_as_http():
            try:
                data = face_crop_jpeg(face=face)
            except InvalidImage as exc:
                raise Http404(_("The photo of this face cannot be read.")) from exc
        response = HttpResponse(data, content_type="image/jpeg")
    response["ETag"] = etag
    response["Cache-Control"] = MEDIA_CACHE_CONTROL
    return response
