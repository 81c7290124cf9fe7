"""Search by face in real headless Chromium: upload a query photo, see the right photos outlined."""

from __future__ import annotations

import os

import pytest

from recognition.tests.conftest import person_photos

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def test_search_page_finds_the_person(
    live_server, user, password, faces_dir, upload_photo, runtime_pipeline, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    obama = person_photos(faces_dir, "fr_obama")
    jolie = person_photos(faces_dir, "angelina_jolie")
    expected = {upload_photo(user, p).pk for p in obama[1:4]}
    others = {upload_photo(user, p).pk for p in jolie[1:3]}

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", user.username)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.goto(f"{live_server.url}/search/")
            page.set_input_files("#search-file", str(obama[0]))
            tiles = page.locator("#search-results .result-tile")
            expect(tiles).to_have_count(len(expected), timeout=60_000)
            found = {int(t.get_attribute("data-photo-id") or 0) for t in tiles.all()}
            assert found == expected
            assert not found & others
            expect(page.locator("#search-results .result-face")).to_have_count(len(expected))
            expect(page.locator("#query-stage .query-face.used")).to_have_count(1)
            expect(page.locator("#search-status")).to_contain_text("photos show this person")
            page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

            # From a photo's page: a detected face (clicking its box goes to its row under "People in
            # this photo") leads to everyone's photos of that person through "Similar faces".
            page.goto(f"{live_server.url}/photos/{min(expected)}/")
            face = page.locator("#photo-stage .photo-face").first
            expect(face).to_be_visible(timeout=30_000)
            face.click()
            row = page.locator(".photo-person.highlight")
            expect(row).to_have_count(1)
            expect(row.locator("input[name=name]")).to_be_focused()
            row.locator("a", has_text="Similar faces").click()
            expect(page.locator("#search-results .result-tile")).to_have_count(len(expected), timeout=60_000)
        finally:
            browser.close()
