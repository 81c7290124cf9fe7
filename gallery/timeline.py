"""The timeline: one page of a photo list cut into groups under date headers.

The headers follow the date the list is sorted by (taken or uploaded), in the user's time zone.
A page gets day headers, unless its photos are spread thin: on more than MONTH_HEADERS_OVER_DAYS
different days with fewer than MONTH_HEADERS_UNDER_PER_DAY photos a day on average, where day
headers would outnumber the rows of photos; then it gets month headers. The choice is made per
page, so a busy week keeps its days even in a library of sparse years. A group that started on the
page before is marked "continued".
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from gallery.models import Photo
from gallery.selectors import MonthCount

MONTH_HEADERS_OVER_DAYS = 8
MONTH_HEADERS_UNDER_PER_DAY = 3


@dataclass
class TimelineGroup:
    """Photos of one day (`by_month` False) or one month (`date` is then its first day)."""

    date: dt.date
    by_month: bool
    photos: list[Photo] = field(default_factory=list)
    continued: bool = False
    # The month's anchor (`m-2026-11`) on the first group of each month on the page, where the
    # jump-to links land; "" on the others.
    month_anchor: str = ""

    @property
    def anchor(self) -> str:
        """The group's element id: its month's anchor if it is the month's first group here."""
        return self.month_anchor or f"d-{self.date:%Y-%m-%d}"


def local_day(photo: Photo, *, date_field: str, zone: zoneinfo.ZoneInfo) -> dt.date:
    moment: dt.datetime = getattr(photo, date_field)
    return timezone.localtime(moment, zone).date()


def months_for(days: Sequence[dt.date]) -> bool:
    """Whether a page whose photos fall on these days (one entry per photo) gets month headers."""
    distinct = len(set(days))
    return distinct > MONTH_HEADERS_OVER_DAYS and len(days) < MONTH_HEADERS_UNDER_PER_DAY * distinct


def _key(day: dt.date, *, by_month: bool) -> dt.date:
    return day.replace(day=1) if by_month else day


def timeline_groups(
    photos: Sequence[Photo], *, date_field: str, zone: zoneinfo.ZoneInfo, previous: Photo | None = None
) -> list[TimelineGroup]:
    """`photos` (one page, in the list's order) in groups; `previous` is the photo just before the
    page (the last of the page before), if any, to tell whether the first group continues."""
    days = [local_day(p, date_field=date_field, zone=zone) for p in photos]
    by_month = months_for(days)
    groups: list[TimelineGroup] = []
    months_seen: set[dt.date] = set()
    for photo, day in zip(photos, days, strict=True):
        key = _key(day, by_month=by_month)
        if not groups or groups[-1].date != key:
            month = day.replace(day=1)
            anchor = "" if month in months_seen else f"m-{month:%Y-%m}"
            months_seen.add(month)
            groups.append(TimelineGroup(date=key, by_month=by_month, month_anchor=anchor))
        groups[-1].photos.append(photo)
    if groups and previous is not None:
        before = _key(local_day(previous, date_field=date_field, zone=zone), by_month=by_month)
        groups[0].continued = before == groups[0].date
    return groups


@dataclass
class JumpYear:
    """A year of the jump-to list: its months (in the list's order), its count, and the page and
    anchor of its first month."""

    year: int
    months: list[MonthCount] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(m.count for m in self.months)

    @property
    def page(self) -> int:
        return self.months[0].page

    @property
    def anchor(self) -> str:
        return f"m-{self.months[0].month:%Y-%m}"


def jump_years(months: Sequence[MonthCount]) -> list[JumpYear]:
    """The months of a list (gallery.selectors.photo_months) under their years."""
    years: list[JumpYear] = []
    for month in months:
        if not years or years[-1].year != month.month.year:
            years.append(JumpYear(year=month.month.year))
        years[-1].months.append(month)
    return years
