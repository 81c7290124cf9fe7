"""The languages and time zones a user may choose."""

from __future__ import annotations

import functools
import zoneinfo

from django.conf import settings


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def is_language(code: str) -> bool:
    return code in language_codes()


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """The IANA names this machine knows (the system's tz database), sorted."""
    return tuple(sorted(zoneinfo.available_timezones()))


def is_time_zone(name: str) -> bool:
    return name in time_zone_names()


def user_time_zone(user: object) -> zoneinfo.ZoneInfo:
    """The time zone a user's dates are shown and filtered in: the one they saved, else the
    site's (settings.TIME_ZONE)."""
    name = getattr(user, "time_zone", "")
    return zoneinfo.ZoneInfo(name if is_time_zone(name) else settings.TIME_ZONE)
