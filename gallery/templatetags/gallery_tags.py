from __future__ import annotations

from django import template

from gallery.models import Photo
from gallery.storage import MediaKind, media_url

register = template.Library()


@register.simple_tag
def photo_url(photo: Photo, kind: MediaKind = "thumbnail") -> str:
    """URL of one of the photo's files; templates only render photos the viewer owns."""
    return media_url(photo, kind)


@register.filter
def filesize(value: int) -> str:
    size = float(value)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover
