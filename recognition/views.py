from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from gallery.selectors import photo_list_for_user
from memory_studio.ids import db_id
from recognition.models import Face
from recognition.selectors import face_get_for_user, search_query_get_for_user
from recognition.services_http import face_crop_response


def _is_number(text: str) -> bool:
    """Plain ASCII digits (str.isdigit also takes "²", which int() refuses)."""
    return text.isascii() and text.isdecimal()


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The search page. `?q=` names a kept query photo (its results come back after Back or a
    reload; an expired one says so), `?face_id=` one of your faces."""
    face_id = request.GET.get("face_id", "")
    if not _is_number(face_id):
        face_id = ""
    elif db_id(face_id) is None:
        raise Http404(_("No such face."))
    else:
        face_get_for_user(user=request.user, face_id=int(face_id))  # someone else's → 404
    query_id, query_error = request.GET.get("q", ""), ""
    if query_id and not face_id:
        try:
            search_query_get_for_user(user=request.user, query_id=query_id)
        except Http404 as exc:
            query_id, query_error = "", str(exc)
    else:
        query_id = ""
    face_index = request.GET.get("face", "")
    context = {
        "face_id": face_id,
        "query_id": query_id,
        "face_index": face_index if _is_number(face_index) and len(face_index) < 4 else "",
        "strictness": request.GET.get("strictness", ""),
        "query_error": query_error,
        "has_photos": photo_list_for_user(user=request.user).exists(),
    }
    return render(request, "recognition/search.html", context)


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def search_query_preview(request: HttpRequest, query_id: str) -> HttpResponse:
    """The JPEG preview of one of your kept query photos (others' and expired ones → 404)."""
    query = search_query_get_for_user(user=request.user, query_id=query_id)
    return HttpResponse(bytes(query.preview), content_type="image/jpeg")


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def face_crop(request: HttpRequest, face_id: int) -> HttpResponse:
    """A square JPEG crop of one of your faces (others' → 404; staff use the admin's preview)."""
    face: Face = face_get_for_user(user=request.user, face_id=face_id)
    return face_crop_response(request, face)
