"""Read the rest of a request body before the response goes out.

Django answers some requests without reading their body: a 403 (not logged in, CSRF), a 404,
a refused upload. gunicorn then discards the unread body itself, but only after the response
has been sent; by then a kept-alive client may already have sent its next request, which
gunicorn reads together with the body's tail and buffers, and then waits on the socket for
data that already arrived, until the keep-alive timeout closes the connection: the client's
request is dropped. Draining the body before the response leaves nothing to race with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_CHUNK = 64 * 1024


class DrainRequestBody:
    """WSGI middleware: after the application has answered, read what it left of the request
    body (up to `max_bytes`), before the server sends the answer.

    Only where the server ends `wsgi.input` at the end of the body (`wsgi.input_terminated`,
    as gunicorn does): elsewhere reading past what the application consumed could block.
    A body larger than `max_bytes` (more than any acceptable request) is left to the server.
    """

    def __init__(self, app: WSGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        result = self.app(environ, start_response)
        if environ.get("wsgi.input_terminated"):
            self._drain(environ["wsgi.input"])
        return result

    def _drain(self, stream: Any) -> None:
        left = self.max_bytes
        try:
            while left > 0:
                chunk = stream.read(min(_CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
        except OSError:
            return  # the client went away: nothing to protect
