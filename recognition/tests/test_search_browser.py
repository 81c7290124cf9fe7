"""Search by face in real headless Chromium: upload a query photo, see the right photos outlined."""

from __future__ import annotations

import os
import re

import pytest

from conftest import CHROMIUM_ARGS, log_in_page
from recognition.tests.conftest import person_photos

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
            log_in_page(page, live_server.url, user.username, password)
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


def test_heic_tiff_and_broken_queries_reload_and_the_strictness_slider(
    live_server, user, password, faces_dir, upload_photo, runtime_pipeline, tmp_path
):
    """HEIC and TIFF queries find the person and show the server's preview; a broken file shows a
    visible error; the slider filters in the page (no new request); the results survive a reload;
    the chooser and the face picker work from the keyboard."""
    from PIL import Image, ImageFilter
    from playwright.sync_api import expect, sync_playwright

    import gallery.images  # noqa: F401  (registers the HEIF codec)
    from recognition.tests.conftest import encode

    obama = person_photos(faces_dir, "fr_obama")
    jolie = person_photos(faces_dir, "angelina_jolie")
    originals = {upload_photo(user, p).pk for p in obama[1:4]}
    # A blurred copy matches less surely (similarity ~0.94): Default shows it, Strict does not.
    blurred = tmp_path / "blurred.jpg"
    Image.open(obama[1]).convert("RGB").filter(ImageFilter.GaussianBlur(5)).save(blurred, quality=92)
    soft = upload_photo(user, blurred).pk
    expected = originals | {soft}
    jolies = {upload_photo(user, p).pk for p in jolie[1:3]}
    query = Image.open(obama[0]).convert("RGB")
    heic, tiff, broken = tmp_path / "query.heic", tmp_path / "query.tiff", tmp_path / "broken.jpg"
    heic.write_bytes(encode(query, "HEIF", quality=90))
    tiff.write_bytes(encode(query, "TIFF"))
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 300)
    group = tmp_path / "group.jpg"
    parts = [Image.open(p).convert("RGB") for p in (jolie[0], obama[0])]
    parts = [im.resize((round(im.width * 400 / im.height), 400)) for im in parts]
    canvas = Image.new("RGB", (sum(im.width for im in parts) + 80, 400), "white")
    canvas.paste(parts[0], (0, 0))
    canvas.paste(parts[1], (parts[0].width + 40, 0))
    canvas.save(group, quality=92)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            # Listening from the start turns on the file chooser's interception before any key press.
            page.on("filechooser", lambda chooser: None)
            searches = []
            page.on(
                "request", lambda r: searches.append(r.method) if r.url.endswith("/api/search/") else None
            )
            log_in_page(page, live_server.url, user.username, password)
            page.goto(f"{live_server.url}/search/")
            tiles = page.locator("#search-results .result-tile")
            status = page.locator("#search-status")
            expect(status).to_have_attribute("aria-live", "polite")

            # The chooser is a real button: focused from the keyboard, Enter opens the file dialog.
            expect(page.locator("#search-app")).to_have_attribute("data-ready", "1")
            page.locator("#search-choose").focus()
            with page.expect_file_chooser() as chooser:
                page.keyboard.press("Enter")
            chooser.value.set_files(str(heic))
            expect(tiles).to_have_count(len(expected), timeout=60_000)
            assert {int(t.get_attribute("data-photo-id") or 0) for t in tiles.all()} == expected
            preview = page.locator("#query-image")
            expect(preview).to_have_attribute("src", re.compile(r"/search/queries/[^/]+/preview\.jpg$"))
            page.wait_for_function("document.getElementById('query-image').naturalWidth > 0")
            expect(page).to_have_url(re.compile(r"\?q=[\w-]+"))

            # Anywhere in the drop area opens the chooser too.
            with page.expect_file_chooser() as chooser, page.expect_response("**/api/search/") as answer:
                page.locator("#search-drop .muted").click()
                chooser.value.set_files(str(tiff))
            data = answer.value.json()
            expect(status).to_contain_text("4 photos show this person", timeout=60_000)
            assert {int(t.get_attribute("data-photo-id") or 0) for t in tiles.all()} == expected

            # The slider shows exactly the answer's results at each strictness, without asking again.
            def tile_ids() -> list[int]:
                return [int(t.get_attribute("data-photo-id") or 0) for t in tiles.all()]

            def answer_ids(word: str) -> list[int]:
                floor = data["thresholds"][word]
                return [r["photo"]["id"] for r in data["results"] if r["similarity"] >= floor]

            before = len(searches)
            slider = page.locator("#strictness")
            slider.focus()
            for key, word, name in (
                ("End", "strict", "Strict"),
                ("Home", "loose", "Loose"),
                ("ArrowRight", "default", "Default"),
            ):
                page.keyboard.press(key)
                expect(page.locator("#strictness-value")).to_contain_text(name)
                expect(slider).to_have_attribute("aria-valuetext", re.compile(name))
                expect(tiles).to_have_count(len(answer_ids(word)))
                assert tile_ids() == answer_ids(word), word
            assert set(answer_ids("default")) == expected
            assert set(answer_ids("strict")) == originals  # the words do differ here
            assert len(searches) == before
            expect(page).to_have_url(re.compile(r"\?q=[\w-]+(&face=\d+)?$"))

            # Reload (and Back from a result) bring the same results back from the kept query.
            page.reload()
            expect(tiles).to_have_count(len(expected), timeout=60_000)
            ranked = tile_ids()
            opened_id = tiles.nth(1).get_attribute("data-photo-id")
            tiles.nth(1).click()
            # The result opens in the full-screen viewer, told the query (its order is the ranking):
            # ← shows the result before it.
            expect(page).to_have_url(re.compile(rf"/photos/{opened_id}/view/\?search=[\w-]+&face=\d+"))
            page.wait_for_load_state("load")  # the viewer's keys work once its script has run
            page.keyboard.press("ArrowLeft")
            expect(page).to_have_url(re.compile(rf"/photos/{ranked[0]}/view/\?search=[\w-]+&face=\d+"))
            expect(page.locator("#viewer-image")).to_have_attribute("data-photo-id", str(ranked[0]))
            page.go_back()
            expect(page).to_have_url(re.compile(rf"/photos/{opened_id}/view/\?search="))
            page.go_back()
            expect(tiles).to_have_count(len(expected), timeout=60_000)
            expect(page.locator(f'#search-results [data-photo-id="{opened_id}"]')).to_be_focused()

            # Two faces: the picker's buttons switch the search without sending the photo again.
            page.set_input_files("#search-file", str(group))
            faces = page.locator("#query-stage button.query-face")
            expect(faces).to_have_count(2, timeout=60_000)
            expect(page.locator("#query-help")).to_be_visible()
            expect(status).to_contain_text("show this person")
            expect(page.locator("#query-stage button.query-face[aria-pressed=true]")).to_have_count(1)
            first_shown = {int(t.get_attribute("data-photo-id") or 0) for t in tiles.all()}
            other = faces.evaluate_all(
                "els => els.findIndex(e => e.getAttribute('aria-pressed') === 'false')"
            )
            # A switch that fails (here: refused as too many) keeps what was shown, with the reason.
            page.route(
                "**/api/search/",
                lambda route: route.fulfill(
                    status=429, content_type="application/json", body='{"detail": "Too many searches."}'
                ),
            )
            faces.nth(other).focus()
            page.keyboard.press("Enter")
            expect(status).to_have_text("Too many searches.")
            expect(status).to_have_class(re.compile("error-text"))
            expect(faces.nth(other)).to_have_attribute("aria-pressed", "false")
            expect(faces.nth(other)).to_be_focused()
            assert {int(t.get_attribute("data-photo-id") or 0) for t in tiles.all()} == first_shown
            page.unroute("**/api/search/")

            uploads_before = len(searches)
            page.keyboard.press("Enter")
            expect(faces.nth(other)).to_have_attribute("aria-pressed", "true", timeout=60_000)
            expect(faces.nth(other)).to_be_focused()
            expect(page).to_have_url(re.compile(rf"&face={other}$"))
            assert len(searches) == uploads_before + 1
            shown = {int(t.get_attribute("data-photo-id") or 0) for t in tiles.all()}
            obama_side, jolie_side = (shown, first_shown) if shown & originals else (first_shown, shown)
            assert originals <= obama_side <= expected
            assert jolie_side == jolies
            page.screenshot(path=str(tmp_path / "search-two-faces.png"), full_page=True)

            # A broken file: the server's message, visibly, and no stale results.
            page.set_input_files("#search-file", str(broken))
            expect(status).to_have_class(re.compile("error-text"), timeout=60_000)
            expect(status).to_contain_text("image")
            expect(status).to_be_visible()
            expect(tiles).to_have_count(0)
            expect(page.locator("#query-stage")).to_be_hidden()
            page.screenshot(path=str(tmp_path / "search-error.png"), full_page=True)
        finally:
            browser.close()


def test_on_a_phone_the_results_start_above_the_fold(
    live_server, user, password, faces_dir, upload_photo, runtime_pipeline, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    obama = person_photos(faces_dir, "fr_obama")
    for p in obama[1:4]:
        upload_photo(user, p)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            log_in_page(page, live_server.url, user.username, password)
            page.goto(f"{live_server.url}/search/")
            page.set_input_files("#search-file", str(obama[0]))
            tiles = page.locator("#search-results .result-tile")
            expect(tiles).to_have_count(3, timeout=60_000)
            first = tiles.first.bounding_box()
            assert first is not None
            assert first["y"] < 844, first  # the first result starts on the first screen
            boxes = [t.bounding_box() for t in tiles.all()]
            assert len({round(b["y"]) for b in boxes if b}) == 1  # three to a row
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
            page.screenshot(path=str(tmp_path / "search-phone.png"))
        finally:
            browser.close()
