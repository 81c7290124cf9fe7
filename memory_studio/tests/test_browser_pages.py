"""Every page in real headless Chromium: nothing is fetched from another host (no fonts, no
scripts, no badges), nothing breaks the Content-Security-Policy, no script error; with S3 storage
the pre-signed image URLs load under the policy."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest

from conftest import log_in_page
from gallery import services
from gallery.models import Photo
from gallery.tests.conftest import as_upload, s3_client, s3_options, storages_for
from recognition.ml.types import DetectedFace, FaceEmbedding
from recognition.models import Face
from recognition.services import photo_faces_replace

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Reported by the page itself too (console messages are Chromium's wording).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI);
});
"""


class Watch:
    """Collects what the pages did wrong: requests to other hosts, CSP violations, errors."""

    def __init__(self) -> None:
        self.external: list[str] = []
        self.violations: list[str] = []
        self.errors: list[str] = []

    def attach(self, context: Any) -> None:
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("request", self._request)
        context.on("page", self._page)

    def _page(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))

    def _request(self, request: Any) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("data", "blob"):
            return
        if url.hostname not in LOOPBACK:
            self.external.append(request.url)

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "CSP violation" in text:
            self.violations.append(text)


def log_in(browser: Any, base: str, username: str, password: str, watch: Watch) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch.attach(context)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log_in_page(page, base, username, password)
    return page


def visit(page: Any, url: str, expected: int = 200) -> None:
    response = page.goto(url, wait_until="networkidle")
    assert response is not None
    assert response.status == expected, (url, response.status)


def library(user: Any, faces_dir: Any) -> dict[str, int]:
    photo = services.photo_create(
        owner=user, upload=as_upload((faces_dir / "fr_obama").glob("*.jpg").__next__().read_bytes())
    )
    album = services.album_create(owner=user, name="Holidays")
    services.album_add_photos(album=album, photos=[photo])
    marks = ((10.0, 10.0), (20.0, 10.0), (15.0, 15.0), (11.0, 20.0), (19.0, 20.0))
    vector = np.full(128, 128**-0.5, dtype=np.float32)
    detected = DetectedFace(box=(5.0, 5.0, 40.0, 40.0), score=0.99, landmarks=marks)
    photo_faces_replace(
        photo_id=photo.pk, model_key="dlib-resnet", faces=[FaceEmbedding(face=detected, vector=vector)]
    )
    return {"photo": photo.pk, "album": album.pk, "face": int(Face.objects.get(photo=photo).pk)}


def test_no_page_loads_anything_from_outside_or_breaks_the_csp(
    live_server, browser, user, password, django_user_model, faces_dir, settings
):
    settings.ADMIN_CAN_VIEW_USER_MEDIA = True  # the admin's previews load too
    ids = library(user, faces_dir)
    django_user_model.objects.create_superuser(username="root", password=password)
    base = live_server.url
    watch = Watch()

    visitor = browser.new_context()
    watch.attach(visitor)
    anonymous = visitor.new_page()
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/api/docs/"):
        visit(anonymous, f"{base}{path}")
    anonymous.wait_for_selector(".swagger-ui .opblock")  # the docs rendered the schema
    visit(anonymous, f"{base}/no/such/page/", 404)

    page = log_in(browser, base, "alice", password, watch)
    photo, album, face = ids["photo"], ids["album"], ids["face"]
    for path in (
        "/",
        "/upload/",
        f"/photos/{photo}/",
        f"/photos/{photo}/delete/",
        f"/photos/{photo}/view/",
        f"/photos/{photo}/view/?album={album}",
        "/albums/",
        f"/albums/{album}/",
        f"/albums/{album}/add/",
        f"/albums/{album}/delete/",
        "/search/",
        "/accounts/password/",
        "/api/docs/",
    ):
        visit(page, f"{base}{path}")
    page.wait_for_selector(".swagger-ui .opblock")
    visit(page, f"{base}/photos/{photo}/")
    page.wait_for_selector("#photo-stage .photo-face")  # the faces overlay (a fetch) is drawn
    visit(page, f"{base}/search/?face_id={face}")
    page.wait_for_selector("#search-results .result-tile")  # a search by face (JSON) ran
    visit(page, f"{base}/photos/999999/", 404)

    admin = log_in(browser, base, "root", password, watch)
    for path in (
        "/admin/",
        "/admin/gallery/photo/",
        f"/admin/gallery/photo/{photo}/change/",
        "/admin/gallery/album/",
        "/admin/gallery/pendingdeletion/",
        "/admin/accounts/user/",
        "/admin/recognition/face/",
    ):
        visit(admin, f"{base}{path}")
    crop = "document.querySelector(\"img[src*='/crop.jpg']\")"
    admin.wait_for_function(f"() => {crop} && {crop}.naturalWidth > 0")  # the admin's face crops

    assert watch.external == []
    assert watch.violations == []
    assert watch.errors == []


def test_s3_images_load_under_the_csp(
    live_server, browser, user, password, settings, moto_endpoint, faces_dir
):
    bucket = f"photos-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=bucket)
    settings.STORAGES = storages_for(
        "storages.backends.s3.S3Storage", s3_options(moto_endpoint, bucket), settings
    )
    ids = library(user, faces_dir)
    watch = Watch()
    page = log_in(browser, live_server.url, "alice", password, watch)
    visit(page, f"{live_server.url}/")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#photo-grid .tile img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    visit(page, f"{live_server.url}/photos/{ids['photo']}/")
    page.wait_for_function("() => document.getElementById('photo-image').naturalWidth > 0")
    assert page.get_attribute("#photo-image", "src").startswith(moto_endpoint)
    # The viewer: its image, and the next one (preloaded, then shown by the script) from S3.
    older = services.photo_create(
        owner=user, upload=as_upload(sorted((faces_dir / "bbt_amy").glob("*.png"))[0].read_bytes())
    )
    Photo.objects.filter(pk=older.pk).update(
        taken_at=Photo.objects.get(pk=ids["photo"]).taken_at - timedelta(days=1)
    )
    visit(page, f"{live_server.url}/photos/{ids['photo']}/view/")
    page.wait_for_function("() => document.getElementById('viewer-image').naturalWidth > 0")
    assert page.get_attribute("#viewer-image", "src").startswith(moto_endpoint)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "id => { const img = document.getElementById('viewer-image');"
        " return img.dataset.photoId === String(id) && img.complete && img.naturalWidth > 0; }",
        arg=older.pk,
    )
    assert page.get_attribute("#viewer-image", "src").startswith(moto_endpoint)
    assert watch.violations == []
    assert watch.errors == []
