"""One end-to-end run in real headless Chromium: sign up, upload two photos on the upload page,
see both thumbnails in the grid, open one, delete it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from conftest import log_in_page
from gallery import services
from gallery.models import Photo

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body (assertions on the database) are still synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            # While Playwright's loop runs, the test body's ORM calls get their own database
            # connection (asgiref.local is context-aware); close it so the test DB can be dropped.
            connections.close_all()
            context.close()
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sign_up_upload_two_browse_open_and_delete(live_server, page, faces_dir, tmp_path):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url

    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=username]", "browser-user")
    page.fill("input[name=email]", "b@example.com")
    page.fill("input[name=password1]", "a-long-passphrase-77")
    page.fill("input[name=password2]", "a-long-passphrase-77")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert "No photos yet" in page.content()

    photos = [sorted((faces_dir / "angelina_jolie").glob("*.jpg"))[0], faces_dir / "bbt_amy" / "amy1.png"]
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    page.click("nav >> text=Upload")
    page.wait_for_url(f"{base}/upload/")
    page.set_input_files("#file-input", [str(p) for p in photos] + [str(bad)])
    page.wait_for_selector(".upload-item.ok >> nth=1")
    page.wait_for_selector(".upload-item.error")
    assert page.locator(".upload-item.ok").count() == 2
    assert "not an image" in page.locator(".upload-item.error .upload-status").inner_text()
    assert Photo.objects.filter(owner__username="browser-user").count() == 2

    page.click("#upload-done a")
    page.wait_for_url(f"{base}/")
    tiles = page.locator("#photo-grid .tile img")
    assert tiles.count() == 2
    page.wait_for_function(
        "() => [...document.querySelectorAll('#photo-grid .tile img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )

    page.locator("#photo-grid .tile").first.click()  # the full-screen viewer; its ⓘ: the photo's page
    page.wait_for_function("() => document.getElementById('viewer-image').naturalWidth > 0")
    page.click("#viewer-info")
    page.wait_for_selector("#photo-stage #photo-image")
    page.wait_for_function("() => document.getElementById('photo-image').naturalWidth > 0")
    photo_url = page.url
    page.click("#photo-delete-link")
    page.click("#confirm-delete")
    page.wait_for_url(f"{base}/")
    assert "trash" in page.locator(".messages").inner_text()
    assert page.locator("#photo-grid .tile").count() == 1
    assert Photo.objects.filter(owner__username="browser-user").live().count() == 1
    # Undo (a plain form in the message) brings it back, and its page with it.
    page.click(".trash-undo-button")
    page.wait_for_url(photo_url)
    page.wait_for_selector("#photo-stage #photo-image")
    assert Photo.objects.filter(owner__username="browser-user").live().count() == 2
    # Delete again, then for good from the trash page.
    page.click("#photo-delete-link")
    page.click("#confirm-delete")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/trash/")
    assert page.locator("#trash-grid .trash-tile").count() == 1
    page.locator("#trash-grid .trash-tile button[form^='trash-delete-']").click()
    page.click("#confirm-delete-forever")
    page.wait_for_url(f"{base}/trash/")
    assert page.locator("#trash-empty-state").count() == 1
    assert Photo.objects.filter(owner__username="browser-user").count() == 1
    assert page.goto(photo_url).status == 404
    assert errors == []


def _face_photos(faces_dir: Path, count: int) -> list[Path]:
    """`count` distinct real face photos, a few of each person (every one shows a face)."""
    people = sorted(p for p in faces_dir.iterdir() if p.is_dir())
    photos = []
    for rank in range(10):
        for person in people:
            files = sorted(f for f in person.iterdir() if f.suffix.lower() in {".jpg", ".jpeg", ".png"})
            if rank < len(files):
                photos.append(files[rank])
    assert len(photos) >= count
    return photos[:count]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_32_concurrent_uploads_are_all_indexed_on_the_embedded_default(
    live_server, page, faces_dir, user, password, caplog
):
    """SQLite, jobs inline, a threaded server: every upload is indexed, none fails on a lock,
    and none even needed the inline retry (the database waits its turn instead)."""
    from django.conf import settings

    assert settings.CELERY_TASK_ALWAYS_EAGER  # indexing runs inside each upload request
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url
    log_in_page(page, base, user.username, password)

    photos = _face_photos(faces_dir, 32)
    page.goto(f"{base}/upload/")
    page.set_input_files("#file-input", [str(p) for p in photos])
    page.wait_for_function(
        "() => document.querySelectorAll('.upload-item.ok, .upload-item.error').length === 32",
        timeout=300_000,
    )
    mine = Photo.objects.filter(owner=user)
    statuses = sorted(mine.values_list("index_status", "index_error"))
    failed = [s for s in statuses if s[0] != "indexed"]
    assert mine.count() == 32
    assert failed == []
    assert page.locator(".upload-item.error").count() == 0
    # Each row tells the indexing outcome from the API's answer, with the number of faces.
    outcomes = page.locator(".upload-item .upload-status").all_inner_texts()
    assert len(outcomes) == 32
    assert all(re.fullmatch(r"Uploaded · \d+ faces? found", text) for text in outcomes), outcomes
    page.goto(f"{base}/")
    assert page.locator("#index-failed-notice").count() == 0
    assert errors == []
    assert [r.getMessage() for r in caplog.records if "locked" in r.getMessage()] == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_file_one_byte_over_the_limit_is_refused_in_the_page_with_exact_sizes(
    live_server, page, faces_dir, user, password, settings
):
    photo = sorted((faces_dir / "angelina_jolie").glob("*.jpg"))[0]
    size = photo.stat().st_size
    settings.MAX_UPLOAD_BYTES = size - 1
    base = live_server.url
    log_in_page(page, base, user.username, password)
    page.goto(f"{base}/upload/")
    page.set_input_files("#file-input", [str(photo)])
    page.wait_for_selector(".upload-item.error")
    text = page.locator(".upload-item.error .upload-status").inner_text()
    assert text == (
        f"The file is too large: {size:,} bytes is over the limit of {size - 1:,} bytes "
        f"({(size - 1) / 1024:.1f} KB)."
    )
    assert not Photo.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_photo_uploaded_again_links_to_the_one_you_have(live_server, page, faces_dir, user, password):
    photo = sorted((faces_dir / "angelina_jolie").glob("*.jpg"))[0]
    base = live_server.url
    log_in_page(page, base, user.username, password)
    page.goto(f"{base}/upload/")
    page.set_input_files("#file-input", [str(photo)])
    page.wait_for_selector(".upload-item.ok")
    kept = Photo.objects.get(owner=user)

    page.goto(f"{base}/upload/")
    page.set_input_files("#file-input", [str(photo)])
    link = page.locator(".upload-item .upload-status.warn a")
    link.wait_for()
    assert "already" in link.inner_text()
    link.click()
    page.wait_for_url(f"{base}/photos/{kept.pk}/")
    assert Photo.objects.filter(owner=user).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_photo_uploaded_again_from_the_trash_is_offered_back(live_server, page, faces_dir, user, password):
    photo = sorted((faces_dir / "angelina_jolie").glob("*.jpg"))[0]
    base = live_server.url
    log_in_page(page, base, user.username, password)
    page.goto(f"{base}/upload/")
    page.set_input_files("#file-input", [str(photo)])
    page.wait_for_selector(".upload-item.ok")
    kept = Photo.objects.get(owner=user)
    services.photos_trash(owner=user, photos=[kept])

    page.goto(f"{base}/upload/")
    page.set_input_files("#file-input", [str(photo)])
    restore = page.locator(".upload-item .upload-restore")
    restore.wait_for()
    assert "trash" in page.locator(".upload-item .upload-status.warn").inner_text()
    restore.click()
    page.locator(".upload-item .upload-status.ok a").wait_for()
    assert Photo.objects.get(owner=user).trashed_at is None
    assert Photo.objects.filter(owner=user).count() == 1
