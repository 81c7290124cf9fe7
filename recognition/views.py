from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
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
    return render(request, "recognition/search.html", {"face_id": face_id if face_id.isdigit() else ""})


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def face_crop(request: HttpRequest, face_id: int) -> HttpResponse:
    """A square JPEG crop of one of your faces (others' → 404; staff use the admin's preview)."""
    face: Face = face_get_for_user(user=request.user, face_id=face_id)
    return face_crop_response(face)
