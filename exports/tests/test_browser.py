"""The export page in headless Chromium on a phone: started from the keyboard, a running export's
progress follows the API, the download link appears when it is ready."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from conftest import log_in_page
from exports.models import Export

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_export_from_the_keyboard_follow_progress_and_download_on_a_phone(
    live_server, user, password, photo_factory, browser
):
    photo = photo_factory(title="바다")
    base = live_server.url
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in_page(page, base, user.username, password)

        # From the account page, by its link.
        page.goto(f"{base}/accounts/settings/")
        page.click("#export-link")
        page.wait_for_url(f"{base}/exports/")
        # Nothing overflows sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # Started from the keyboard: the job runs inline, the page comes back with the link.
        page.focus("#export-form button")
        page.keyboard.press("Enter")
        link = page.locator(".export-item a.button")
        link.wait_for()
        export = Export.objects.get()
        assert export.status == Export.Status.DONE
        with page.expect_download() as download:
            link.click()
        data = Path(download.value.path()).read_bytes()
        with photo.original.open("rb") as stored:
            original = stored.read()
        archive = zipfile.ZipFile(io.BytesIO(data))
        assert original in [
            archive.read(name) for name in archive.namelist() if not name.endswith((".xmp", ".json"))
        ]

        # A running export (a worker's): the bar follows the API, then the page shows the result.
        export.delete()
        running = Export.objects.create(owner=user, status=Export.Status.RUNNING, photos_total=4)
        page.goto(f"{base}/exports/")
        assert page.locator("#export-form button").is_disabled()
        Export.objects.filter(pk=running.pk).update(photos_done=3)
        page.wait_for_function(
            "() => document.querySelector('.export-item .progress').getAttribute('aria-valuenow') === '3'"
        )
        assert "3 of 4 photos" in page.locator(".export-count").inner_text()
        Export.objects.filter(pk=running.pk).update(status=Export.Status.FAILED, error="disk full")
        page.locator("text=disk full").wait_for()
        assert not page.locator("#export-form button").is_disabled()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
    assert errors == []
