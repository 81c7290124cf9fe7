from __future__ import annotations

from datetime import datetime
from typing import Any

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


# A message about photos just moved to the trash carries their ids in its tags, so that the
# message can offer Undo as a plain form (no JavaScript, no session state).
_UNDO_TAG = "trash-undo"


def trash_undo_tags(photo_ids: list[int], *, restore: bool = False) -> str:
    """The `extra_tags` of a "moved to the trash" message that offers to undo it (or, with
    `restore`, of a message about photos found in the trash, offering to restore them)."""
    return " ".join(
        [_UNDO_TAG, *(["trash-restore"] if restore else []), *(f"{_UNDO_TAG}-{pk}" for pk in photo_ids)]
    )


@register.filter
def trash_undo_ids(message: Any) -> list[int]:
    """The photo ids a message offers to take back out of the trash (none for other messages)."""
    tags = str(getattr(message, "extra_tags", "") or "").split()
    if _UNDO_TAG not in tags:
        return []
    prefix = f"{_UNDO_TAG}-"
    return [int(t[len(prefix) :]) for t in tags if t.startswith(prefix) and t[len(prefix) :].isdigit()]
