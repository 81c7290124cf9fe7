"""A database outage is a 503 (JSON for the API, a page for browsers) with Retry-After, and the
site recovers by itself once the database is back.

The real thing: gunicorn serving the site, connected to PostgreSQL through a TCP proxy that the
test cuts and restores (the shared PostgreSQL server itself is never stopped).
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client

from memory_studio.tests.servers import TcpProxy, gunicorn

PAGES = ("/", "/albums/", "/search/", "/accounts/login/")
APIS = ("/api/photos/", "/api/albums/")


def _get(url: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_postgresql_down_is_a_503_and_up_again_is_a_200_without_restart(user, tmp_path):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user).key
    browser = Client()
    browser.force_login(user)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)).start()
    env = {
        "DJANGO_SETTINGS_MODULE": "memory_studio.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "600",  # persistent connections: the outage breaks a live one
        "RECOGNITION_PRELOAD": "0",
    }
    page_headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}", "Accept": "text/html"}
    api_headers = {"Authorization": f"Token {token}", "Accept": "application/json"}

    def answers() -> dict[str, tuple[int, dict[str, str], bytes]]:
        got = {path: _get(url, path, page_headers) for path in PAGES}
        got.update({path: _get(url, path, api_headers) for path in APIS})
        return got

    log = (tmp_path / "gunicorn.log").open("w+")
    try:
        with gunicorn(env, log, "--workers", "1", "--threads", "2") as url:
            for path, (status, _, body) in answers().items():
                assert status == 200, (path, body[:300])

            proxy.stop()  # the database goes away, and the open connections with it
            for path, (status, headers, body) in answers().items():
                assert status == 503, (path, body[:300])
                assert int(headers["retry-after"]) > 0
                assert "no-store" in headers["cache-control"]
                if path in APIS:
                    assert headers["content-type"] == "application/json"
                    assert "database is unavailable" in json.loads(body)["detail"]
                else:
                    assert headers["content-type"].startswith("text/html")
                    html = body.decode()
                    assert "temporarily unavailable" in html
                    assert "database is unavailable" in html
                    assert "/static/css/app.css" in html  # the site's styled page

            proxy.start()  # back, on the same address: no restart needed
            for path, (status, _, body) in answers().items():
                assert status == 200, (path, body[:300])
    finally:
        proxy.stop()
        log.seek(0)
        print(log.read()[-3000:])


@pytest.mark.django_db
def test_database_error_in_a_view_is_a_503_page(user_client, monkeypatch):
    from gallery import selectors

    def down(**kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "album_list_for_user", down)
    response = user_client.get("/albums/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"database is unavailable" in response.content


@pytest.mark.django_db
def test_database_error_in_an_api_view_is_a_503_json(api_client, monkeypatch):
    from gallery import selectors

    def down(**kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "album_list_for_user", down)
    response = api_client.get("/api/albums/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "database is unavailable" in response.json()["detail"]


@pytest.mark.django_db
def test_database_error_outside_a_view_is_a_503(user_client, monkeypatch):
    """A failure in a middleware (the session middleware saving the session, after the view)
    reaches the 500 handler, which still answers 503 for an outage."""
    from django.contrib.sessions.middleware import SessionMiddleware

    def down(self: Any, request: Any, response: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionMiddleware, "process_response", down)
    user_client.raise_request_exception = False
    for path, json_expected in (("/albums/", False), ("/api/albums/", True)):
        response = user_client.get(path)
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        if json_expected:
            assert "database is unavailable" in response.json()["detail"]
        else:
            assert b"database is unavailable" in response.content
