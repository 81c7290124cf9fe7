"""Site-wide middleware: outages answered with a 503, private caching, Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections
from django.http import HttpRequest, HttpResponseBase

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
