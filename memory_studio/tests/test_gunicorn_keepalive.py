"""Kept-alive connections survive early answers: gunicorn started as the README says, one
persistent HTTP/1.1 connection, 300 requests alternating between ordinary pages and requests
answered (401, 403, 404) before their body was read. None may be dropped."""

from __future__ import annotations

import http.client
import io
from typing import Any

import pytest

from memory_studio.tests.servers import gunicorn
from memory_studio.wsgi_body import DrainRequestBody

BODY = b"x" * 256 * 1024  # large enough that its tail and the next request arrive together


def early_answers() -> list[tuple[str, str, dict[str, str], int]]:
    """(method, path, headers, expected status), each answered without reading the body."""
    octets = {"Content-Type": "application/octet-stream"}
    return [
        ("POST", "/api/photos/", octets, 401),  # the API: not logged in
        ("POST", "/accounts/login/", octets, 403),  # a page: no CSRF token
        ("PATCH", "/no-such-page/", {"Content-Type": "application/json"}, 404),
    ]


@pytest.mark.nodb
def test_no_kept_alive_connection_is_dropped_after_early_answers(tmp_path: Any) -> None:
    env = {
        "DJANGO_SETTINGS_MODULE": "memory_studio.settings",
        "SECRET_KEY": "keepalive-test-" + "k" * 50,
        "MEMORY_STUDIO_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "RECOGNITION_PRELOAD": "0",
    }
    log = (tmp_path / "gunicorn.log").open("w+")
    # The README's production command: gunicorn -c gunicorn.conf.py memory_studio.wsgi
    with gunicorn(env, log, "-c", "gunicorn.conf.py") as url:
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        early = early_answers()
        dropped: list[str] = []
        statuses: dict[int, int] = {}
        for i in range(300):
            if i % 2:
                method, path, headers, expected = early[(i // 2) % len(early)]
                body: bytes | None = BODY
            else:
                method, path, headers, expected, body = "GET", "/accounts/login/", {}, 200, None
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (ConnectionError, http.client.HTTPException, TimeoutError) as exc:
                dropped.append(f"request {i} ({method} {path}): {type(exc).__name__}")
                conn.close()
                if len(dropped) == 5:
                    break  # each drop costs a keep-alive timeout: enough to tell
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                continue
            assert response.status == expected, (method, path, response.status)
            assert not response.will_close, "the server closed the kept-alive connection"
            statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()
    assert dropped == []
    assert statuses == {200: 150, 401: 50, 403: 50, 404: 50}


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.input"].read(10)  # reads a little, answers early
    start_response("403 Forbidden", [("Content-Type", "text/plain")])
    return [b"no"]


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("terminated", "size", "left"),
    [(True, 1000, 0), (True, 5000, 5000 - 10 - 4000), (False, 1000, 990)],
    ids=["drained", "bounded", "not-terminated-left-alone"],
)
def test_drain_reads_what_the_application_left(terminated: bool, size: int, left: int) -> None:
    stream = io.BytesIO(b"y" * size)
    environ = {"wsgi.input": stream, "wsgi.input_terminated": terminated}
    result = DrainRequestBody(_app, max_bytes=4000)(environ, lambda *args: None)
    assert list(result) == [b"no"]
    assert len(stream.read()) == left
