"""The import's page in Chromium, on a phone-sized screen: while the job runs the page shows its
progress, and when it finishes the page shows the summary by itself."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from conftest import log_in_page, make_image_bytes
from gallery.storage import photo_storage
from imports.models import ImportJob
from imports.services import import_job_run

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_progress_page_turns_into_the_summary(live_server, browser, user, password):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Trip/a.jpg", make_image_bytes(color=(10, 20, 30)))
        archive.writestr("Trip/b.jpg", b"broken")
    name = photo_storage().save("imports/test.zip", io.BytesIO(buffer.getvalue()))
    # Queued, as with a broker: nothing runs it until the test does.
    job = ImportJob.objects.create(owner=user, archive=name, archive_name="trip.zip")
    page = browser.new_page(viewport={"width": 390, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in_page(page, live_server.url, user.username, password)
        page.goto(f"{live_server.url}/import/{job.pk}/")
        assert page.locator("#import-progress").is_visible()
        assert import_job_run(job_id=job.pk) == "done"
        page.wait_for_selector("#import-summary", timeout=15_000)
        assert page.locator("#import-imported").inner_text() == "1"
        assert page.locator("#import-failed").inner_text() == "1"
        assert "b.jpg" in page.locator("#import-failures").inner_text()
        assert page.locator("#import-progress").count() == 0
        # Fits the phone's width.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        page.close()
    assert errors == []
