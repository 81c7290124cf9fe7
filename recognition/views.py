from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from gallery.images import InvalidImage, open_upright
from recognition.models import Face
from recognition.selectors import face_get_for_user

CROP_SIZE = 160


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    face_id = request.GET.get("face_id", "")
    return render(request, "recognition/search.html", {"face_id": face_id if face_id.isdigit() else ""})


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def face_crop(request: HttpRequest, face_id: int) -> HttpResponse:
    """A square JPEG crop of one face (owner only; staff too, for the admin's previews)."""
    if request.user.is_staff:
        face = Face.objects.select_related("photo").filter(pk=face_id).first()
        if face is None:
            raise Http404("No such face.")
    else:
        face = face_get_for_user(user=request.user, face_id=face_id)
    try:
        image = open_upright(face.photo)
    except (InvalidImage, FileNotFoundError) as exc:
        raise Http404("The photo of this face cannot be read.") from exc
    x1, y1, x2, y2 = face.box
    side = max(x2 - x1, y2 - y1) * 1.3
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    box = (int(cx - side / 2), int(cy - side / 2), int(cx + side / 2), int(cy + side / 2))
    crop = image.crop(box).resize((CROP_SIZE, CROP_SIZE))
    buffer = io.BytesIO()
    crop.save(buffer, format="JPEG", quality=88)
    return HttpResponse(buffer.getvalue(), content_type="image/jpeg")
