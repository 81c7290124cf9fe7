from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from recognition.models import Face
from recognition.selectors import face_get_for_user
from recognition.services_http import face_crop_response


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    face_id = request.GET.get("face_id", "")
    if not face_id.isdigit():
        face_id = ""
    elif int(face_id) >= 2**63:
        raise Http404("No such face.")
    else:
        face_get_for_user(user=request.user, face_id=int(face_id))  # someone else's → 404
    return render(request, "recognition/search.html", {"face_id": face_id})


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def face_crop(request: HttpRequest, face_id: int) -> HttpResponse:
    """A square JPEG crop of one of your faces (others' → 404; staff use the admin's preview)."""
    face: Face = face_get_for_user(user=request.user, face_id=face_id)
    return face_crop_response(face)
