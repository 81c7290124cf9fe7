from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.translation import ngettext

from gallery.models import Photo
from gallery.storage import MediaKind, media_url

register = template.Library()


@register.simple_tag
def photo_url(photo: Photo, kind: MediaKind = "thumbnail") -> str:
    """URL of one of the photo's files; templates only render photos the viewer owns."""
    return media_url(photo, kind)


@register.simple_tag
def photo_download_url(photo: Photo) -> str:
    """URL that saves the photo's original under its original name."""
    return media_url(photo, "original", download=True)


@register.filter
def filesize(value: int) -> str:
    """Bytes below 1 KB, then one decimal of KB, MB or GB (the units read the same in Korean)."""
    size = float(value)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            if unit == "bytes":
                count = int(size)
                return ngettext("%(count)d byte", "%(count)d bytes", count) % {"count": count}
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover


@register.simple_tag
def taken_months(first: datetime | None, last: datetime | None) -> str:
    """When an album's photos were taken, by month in the viewer's language and time zone:
    "March 2024 - July 2025" (2024년 3월 - 2025년 7월, with an en dash), one month when both
    are in it, nothing when there are no photos."""
    if first is None or last is None:
        return ""
    start, end = (formats.date_format(timezone.localtime(d), "YEAR_MONTH_FORMAT") for d in (first, last))
    return start if start == end else f"{start} \u2013 {end}"
