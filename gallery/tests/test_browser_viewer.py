"""The full-screen viewer in real headless Chromium: opened from the grid with the keyboard,
stepped with the arrow keys (the URL follows; Back and a reload come back to the same photo),
closed with Esc to the grid; on a phone, a swipe steps."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

import pytest

from conftest import log_in_page
from gallery.models import Photo

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM calls from the test body, as in test_browser

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def library(user: Any, photo_factory: Any) -> list[Photo]:
    """Four photos in the grid's order: two taken in the same second (higher id first)."""
    photos = [photo_factory(title=f"photo {n}") for n in range(4)]
    times = [T0, T0 - dt.timedelta(hours=1), T0 - dt.timedelta(hours=1), T0 - dt.timedelta(days=1)]
    for photo, when in zip(photos, times, strict=True):
        Photo.objects.filter(pk=photo.pk).update(taken_at=when)
    first, tie_low, tie_high, last = photos
    return [first, tie_high, tie_low, last]


def _shows(page: Any, base: str, photo: Photo) -> None:
    """The viewer's URL names `photo` and its display image has loaded."""
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/photos/{photo.pk}/view/$"))
    page.wait_for_function(
        "id => { const img = document.getElementById('viewer-image');"
        " return img.dataset.photoId === String(id) && img.complete && img.naturalWidth > 0"
        " && img.currentSrc.includes('/media/photos/' + id + '/display/'); }",
        arg=photo.pk,
    )
    assert page.locator("#viewer-name").inner_text() == photo.title
    assert page.title().startswith(photo.title)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_open_from_the_grid_step_with_arrows_back_reload_and_close(
    live_server, browser, user, password, library
):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in_page(page, base, user.username, password)
        tiles = page.locator("#photo-grid .tile")
        assert [int(t) for t in tiles.evaluate_all("ts => ts.map(t => t.dataset.photoId)")] == [
            p.pk for p in library
        ]
        tiles.first.focus()
        page.keyboard.press("Enter")
        _shows(page, base, library[0])
        assert page.locator("#viewer-position").inner_text() == "1 of 4"
        assert not page.locator("#viewer-prev").is_visible()  # the first photo: nothing before it
        page.evaluate("window.sameDocument = true")  # gone if a step loaded a new page

        page.keyboard.press("ArrowRight")
        _shows(page, base, library[1])
        page.keyboard.press("ArrowRight")
        _shows(page, base, library[2])  # the other photo of the same second, not skipped
        assert page.locator("#viewer-position").inner_text() == "3 of 4"
        page.keyboard.press("ArrowLeft")
        _shows(page, base, library[1])

        page.go_back()  # Back: the photo seen before this one
        _shows(page, base, library[2])
        assert page.evaluate("window.sameDocument === true")  # each step swapped the photo in place
        page.reload()  # the URL alone reopens it, in the same order
        _shows(page, base, library[2])
        page.keyboard.press("ArrowRight")
        _shows(page, base, library[3])
        assert not page.locator("#viewer-next").is_visible()  # the last photo
        page.keyboard.press("ArrowRight")  # nothing after the last: it stays
        _shows(page, base, library[3])

        # The buttons are links the keyboard reaches, with names.
        page.locator("#viewer-prev").focus()
        assert page.locator("#viewer-prev").get_attribute("aria-label") == "Previous photo"
        page.keyboard.press("Enter")
        _shows(page, base, library[2])

        page.keyboard.press("Escape")
        page.wait_for_url(f"{base}/#photo-{library[2].pk}")
        assert page.locator("#photo-grid .tile").count() == 4
        assert errors == []
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_a_swipe_steps_and_the_controls_fit(live_server, browser, user, password, library):
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        log_in_page(page, base, user.username, password)
        page.goto(f"{base}/photos/{library[1].pk}/view/")
        _shows(page, base, library[1])
        for control in ("#viewer-close", "#viewer-info", "#viewer-download", "#viewer-prev", "#viewer-next"):
            box = page.locator(control).bounding_box()
            assert box is not None, control
            assert 0 <= box["x"] <= box["x"] + box["width"] <= 390, control
            assert 0 <= box["y"] <= box["y"] + box["height"] <= 844, control
            assert min(box["width"], box["height"]) >= 44, control  # big enough to tap
        swipe = """([fromX, toX]) => {
            const stage = document.getElementById('viewer-stage');
            const touch = x => new Touch({identifier: 1, target: stage, clientX: x, clientY: 400});
            stage.dispatchEvent(new TouchEvent('touchstart', {touches: [touch(fromX)], bubbles: true}));
            stage.dispatchEvent(new TouchEvent('touchend', {changedTouches: [touch(toX)], bubbles: true}));
        }"""
        page.evaluate(swipe, [300, 80])  # right to left: the next photo
        _shows(page, base, library[2])
        page.evaluate(swipe, [80, 300])
        _shows(page, base, library[1])
    finally:
        context.close()
