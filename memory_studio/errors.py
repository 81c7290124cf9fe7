"""What the site answers when something it depends on is down, and its error pages.

One table (`unavailable_message`) says which exceptions mean "a service we depend on is
unavailable right now" (the database, the photo storage, the face model); pages, the API
and Django's last-resort 500 handler all answer those with a 503 and `Retry-After`, built
here, so that an outage never shows up as a 500 or an HTML page to an API client.
The answers never touch the database or the request's user: they must work while it is down.
"""

from __future__ import annotations

import json
import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Seconds a client should wait before trying again after a 503.
RETRY_AFTER_SECONDS = 30

# What the database layer raises when it cannot be reached or the connection broke: a refused
# or dropped connection, a server shutting down, a timed-out or locked database.
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

# URL prefixes answered in JSON: the REST API and the media view (an API view used by clients).
JSON_PATH_PREFIXES = ("/api/", "/media/")


def database_unavailable_message() -> str:
    return _("The database is unavailable right now; nothing was changed. Try again in a moment.")


def unavailable_message(exc: BaseException) -> str | None:
    """The message for a 503 if `exc` means a service we depend on is down, else None."""
    # Imported here: these modules pull in the ORM models and the face pipeline.
    from gallery.storage import StorageUnavailable
    from recognition.runtime import RecognitionUnavailableError

    if isinstance(exc, DATABASE_ERRORS):
        return database_unavailable_message()
    if isinstance(exc, StorageUnavailable):
        return exc.message
    if isinstance(exc, RecognitionUnavailableError):
        # The reason is technical (a missing weights file, say): kept as it is, after a sentence
        # in the reader's language.
        return _("Face recognition is unavailable right now. Try again in a moment. (%(reason)s)") % {
            "reason": exc
        }
    return None


def wants_json(request: HttpRequest) -> bool:
    """API clients get JSON; browsers asking for a page get HTML."""
    if request.path.startswith(JSON_PATH_PREFIXES):
        return True
    accept = request.META.get("HTTP_ACCEPT", "")
    return "application/json" in accept and "text/html" not in accept


def _no_store(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "no-store"
    return response


def service_unavailable_response(request: HttpRequest, message: str) -> HttpResponseBase:
    """A 503 with `Retry-After`: `{"detail": ...}` for API clients, the 503 page for browsers."""
    response: HttpResponseBase
    if wants_json(request):
        response = JsonResponse({"detail": message}, status=503)
    else:
        html = loader.get_template("503.html").render({"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return _no_store(response)


def _json_error(detail: str, status: int) -> HttpResponse:
    return HttpResponse(json.dumps({"detail": detail}), status=status, content_type="application/json")


# Django's error handlers (memory_studio.urls handler400/403/404/500). Pages extend the site's
# base template; API URLs get `{"detail": ...}` like every other API error.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if wants_json(request):
        return _json_error(_("Bad request."), 400)
    return HttpResponse(loader.get_template("400.html").render({}, request), status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if wants_json(request):
        return _json_error(_("You do not have permission to perform this action."), 403)
    return HttpResponse(loader.get_template("403.html").render({}, request), status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if wants_json(request):
        return _json_error(_("Not found."), 404)
    return HttpResponse(loader.get_template("404.html").render({}, request), status=404)


def server_error(request: HttpRequest) -> HttpResponseBase:
    """The last resort for an exception nobody handled (DEBUG off).

    It runs while that exception is being handled: an outage that surfaced outside a view
    (in a middleware, say) still becomes a 503. The 500 page needs neither the database nor
    the request's context.
    """
    handling = sys.exc_info()[1]
    message = unavailable_message(handling) if handling is not None else None
    if message is not None:
        return service_unavailable_response(request, message)
    if wants_json(request):
        return _no_store(_json_error(_("Server error: something went wrong on our side."), 500))
    return _no_store(HttpResponse(loader.get_template("500.html").render({}), status=500))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form (stale or missing CSRF token): the styled 403 page with a hint."""
    if wants_json(request):
        return _json_error(_("CSRF check failed: reload the page and try again."), 403)
    context = {"csrf_failed": True}
    return HttpResponse(loader.get_template("403.html").render(context, request), status=403)
