"""Site-wide middleware: outages answered with a 503, private caching, Content-Security-Policy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connections
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

from memory_studio.errors import (
    DATABASE_ERRORS,
    database_unavailable_message,
    service_unavailable_response,
    unavailable_message,
)

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class ServiceUnavailableMiddleware:
    """Answer 503 (JSON for the API, the 503 page otherwise) when the database, the photo
    storage or the face model is unavailable, instead of a 500.

    Before anything else touches the database (sessions, authentication), the request checks
    its connection: the health check Django would run on the first query anyway, done early,
    so that a database outage is a clean 503 and recovers by itself once the database is back.
    Errors raised later by a view go through `process_exception`; anything raised elsewhere
    reaches `memory_studio.errors.server_error`, which gives the same answer.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        connection = connections["default"]
        try:
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except DATABASE_ERRORS:
            return service_unavailable_response(request, database_unavailable_message())
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        message = unavailable_message(exception)
        if message is None:
            return None
        return service_unavailable_response(request, message)


class PrivateCacheControlMiddleware:
    """Answers to a logged-in user (session cookie or Authorization header) are private and not
    stored by any cache, unless the view chose its own Cache-Control (media: private, max-age)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        credentials = settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META
        if credentials or settings.SESSION_COOKIE_NAME in response.cookies:
            patch_cache_control(response, private=True, no_store=True)
        return response


# Only this site's own files, scripts and styles; images may also come from the photo storage's
# pre-signed URLs (S3) and from data:/blob: URLs (the upload and search pages preview local files).
# Inline styles stay allowed (style attributes set by templates and scripts); inline scripts do not.
_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


@functools.cache
def media_origins() -> tuple[str, ...]:
    """Where the browser fetches photos from, besides this site: the S3 endpoint's origin."""
    from gallery.storage import photo_storage, uses_signed_urls

    storage = photo_storage()
    if not uses_signed_urls(storage):
        return ()
    url = urlsplit(str(storage.url("csp-probe.jpg")))  # signed locally: no request is made
    return (f"{url.scheme}://{url.netloc}",) if url.scheme and url.netloc else ()


@receiver(setting_changed)
def _forget_media_origins(*, setting: str, **kwargs: Any) -> None:
    if setting == "STORAGES":
        media_origins.cache_clear()


def content_security_policy() -> str:
    directives = {**_CSP, "img-src": [*_CSP["img-src"], *media_origins()]}
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """A strict Content-Security-Policy on every answer (Django 5.2 has none built in)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not response.has_header("Content-Security-Policy"):
            response["Content-Security-Policy"] = content_security_policy()
        return response
