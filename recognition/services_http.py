"""HTTP answers shared by the owner's page and the admin for a face crop."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from gallery.images import InvalidImage
from gallery.storage import STORAGE_ERRORS
from recognition.models import Face
from recognition.selectors import face_crop_jpeg


def face_crop_response(face: Face) -> HttpResponse:
    try:
        data = face_crop_jpeg(face=face)
    except (InvalidImage, FileNotFoundError) as exc:
        raise Http404("The photo of this face cannot be read.") from exc
    except STORAGE_ERRORS:
        return HttpResponse("Photo storage is unavailable right now.", status=503, content_type="text/plain")
    return HttpResponse(data, content_type="image/jpeg")
