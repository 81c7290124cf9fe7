"""Server hygiene: styled error pages, no browsable API for visitors, docs and favicon served
locally, HSTS on for the README's production settings, a Content-Security-Policy and private
caching on every answer that needs them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import Client
from rest_framework.authtoken.models import Token

from conftest import make_image_bytes
from gallery import services
from gallery.models import Photo
from gallery.tests.conftest import as_upload, s3_client, s3_options, storages_for
from memory_studio import errors
from memory_studio.middleware import content_security_policy

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def photo(user: Any) -> Photo:
    return services.photo_create(owner=user, upload=as_upload(make_image_bytes()), title="Mine")


# --- error pages -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("logged_in", [False, True], ids=["visitor", "user"])
def test_unknown_pages_are_the_styled_404(client, user, logged_in):
    if logged_in:
        client.force_login(user)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "There is nothing here" in html
    assert 'href="/"' in html  # a way home
    assert "/static/css/app.css" in html
    assert ("alice" in html) is logged_in  # the site's own header, with the user's menu


@pytest.mark.django_db
def test_someone_elses_photo_is_the_styled_404(other_client, photo):
    response = other_client.get(f"/photos/{photo.pk}/")
    assert response.status_code == 404
    assert b"There is nothing here" in response.content
    assert b"Mine" not in response.content


@pytest.mark.django_db
def test_a_refused_form_is_the_styled_403(user, password):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/accounts/login/", {"username": "alice", "password": password})
    assert response.status_code == 403
    html = response.content.decode()
    assert "You cannot do that here" in html
    assert "Reload the page" in html
    assert "/static/css/app.css" in html


@pytest.mark.django_db
def test_permission_denied_is_the_styled_403(rf, user):
    request = rf.get("/somewhere/")
    request.user = user
    response = errors.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert b"You do not have permission" in response.content


@pytest.mark.nodb
def test_the_500_page_needs_no_database_and_no_request_context(rf):
    """Rendered with the database unreachable (any query would fail this nodb test)."""
    response = errors.server_error(rf.get("/albums/"))
    assert isinstance(response, HttpResponse)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert 'href="/"' in html
    assert "Log in" not in html  # no user menu: it would need the session and the database


@pytest.mark.django_db
def test_an_unhandled_error_in_a_view_is_the_styled_500(user_client, monkeypatch):
    from gallery import selectors

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "album_list_for_user", broken)
    user_client.raise_request_exception = False
    response = user_client.get("/albums/")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


# --- no developer pages for visitors -----------------------------------------------------------


@pytest.mark.django_db
def test_media_urls_send_a_logged_out_browser_to_the_login_page(client, photo):
    url = f"/media/photos/{photo.pk}/display/"
    page = client.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert page.status_code == 302
    assert page["Location"] == f"/accounts/login/?next={url}"
    image = client.get(url, HTTP_ACCEPT="image/avif,image/webp,*/*")
    assert image.status_code == 401
    assert image["Content-Type"] == "application/json"
    assert b"<html" not in image.content.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/photos/", "/api/albums/", "/api/search/", "/media/photos/1/original/"])
def test_the_api_never_answers_html(client, url):
    response = client.get(url, HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert b"Django REST framework" not in response.content
    assert b"<html" not in response.content.lower()


@pytest.mark.django_db
def test_the_admin_media_view_answers_404_for_a_missing_file(admin_client, photo, settings):
    settings.ADMIN_CAN_VIEW_USER_MEDIA = True
    photo.display.storage.delete(photo.display.name)
    response = admin_client.get(f"/admin/gallery/photo/{photo.pk}/media/display/")
    assert response.status_code == 404
    ok = admin_client.get(f"/admin/gallery/photo/{photo.pk}/media/thumbnail/")
    assert ok.status_code == 200


# --- API docs and favicon, served locally ------------------------------------------------------


@pytest.mark.django_db
def test_api_docs_load_nothing_from_outside(client):
    assert client.get("/api/redoc/")["Location"] == "/api/docs/"
    page = client.get("/api/docs/")
    assert page.status_code == 200
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    for body in (page.content.decode(), script.content.decode()):
        assert "<script>" not in body.replace("<script src", "")  # no inline script (CSP)
        assert "https://" not in body
        assert "http://" not in body
    assert '"validatorUrl": null' in script.content.decode()


@pytest.mark.django_db
def test_favicon(client):
    redirect = client.get("/favicon.ico")
    assert redirect.status_code == 301
    icon = client.get(redirect["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page


# --- HSTS --------------------------------------------------------------------------------------


@pytest.mark.nodb
def test_check_deploy_is_clean_with_the_readme_production_settings(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "memory_studio.settings",
        "MEMORY_STUDIO_DATA_DIR": str(tmp_path),
        # README, Production deployment:
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "photos.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://photos.example.org",
        "SECURE_HTTPS": "1",
        "DATABASE_URL": "postgres://memory:secret@db:5432/memory_studio",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    shell = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings as s; "
            "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT)",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shell.stdout.split()[-3:] == ["31536000", "True", "True"], shell.stdout + shell.stderr


# --- Content-Security-Policy and caching -------------------------------------------------------


@pytest.mark.django_db
def test_every_answer_has_a_strict_csp(client, user_client, photo):
    for response in (
        client.get("/accounts/login/"),
        user_client.get("/"),
        user_client.get(f"/photos/{photo.pk}/"),
        user_client.get("/api/photos/"),
        client.get("/no/such/page/"),
        client.get("/api/docs/"),
    ):
        policy = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["default-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-eval" not in policy
        assert "http" not in directives["img-src"]  # local storage: no other image origin


@pytest.mark.django_db
def test_csp_allows_the_s3_endpoint_for_images(settings, moto_endpoint):
    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(moto_endpoint, bucket), settings
    )
    directives = dict(d.strip().split(" ", 1) for d in content_security_policy().split(";"))
    assert directives["img-src"].split() == ["'self'", "data:", "blob:", moto_endpoint]
    assert moto_endpoint not in directives["script-src"]


@pytest.mark.django_db
def test_answers_to_logged_in_users_are_not_stored(client, user, password, photo):
    anonymous = client.get("/accounts/signup/")
    assert "Cache-Control" not in anonymous  # nothing private in it
    logged_in = client.post("/accounts/login/", {"username": "alice", "password": password})
    assert logged_in.status_code == 302
    assert "no-store" in logged_in["Cache-Control"]  # it sets the session cookie
    for url in ("/", f"/photos/{photo.pk}/", "/albums/", "/api/photos/"):
        cache = client.get(url)["Cache-Control"]
        assert "private" in cache, url
        assert "no-store" in cache, url
    media = client.get(f"/media/photos/{photo.pk}/thumbnail/")
    assert media["Cache-Control"] == "private, max-age=3600"
    token = Token.objects.create(user=user).key
    api = Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/albums/")
    assert api.status_code == 200
    assert "no-store" in api["Cache-Control"]
