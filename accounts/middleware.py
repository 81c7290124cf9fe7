"""A logged-in user's saved language and time zone, applied to each of their requests."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone, translation

from accounts.preferences import is_language, is_time_zone


class UserPreferencesMiddleware:
    """After LocaleMiddleware (which chose from the cookie or Accept-Language) and authentication:
    a user who saved a language gets it whatever the browser says; dates are shown in the user's
    time zone. The time zone is reset after each request: threads serve other users next."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated:
            language = getattr(user, "language", "")
            if is_language(language):
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
            zone = getattr(user, "time_zone", "")
            if is_time_zone(zone):
                timezone.activate(zoneinfo.ZoneInfo(zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
