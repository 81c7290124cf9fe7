"""The timeline in real headless Chromium, on a phone-sized screen and with the keyboard only:
search, sort, and jump to a month on another page."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

import pytest

from conftest import log_in_page
from gallery.models import Photo

# Playwright's sync API runs an event loop in this thread; the test body's ORM calls stay
# synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def headers(page: Any) -> list[str]:
    return [" ".join(text.split()) for text in page.locator(".timeline-date").all_inner_texts()]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_sort_and_jump_to_a_month_with_the_keyboard_on_a_phone(
    live_server, browser, user, password, photo_factory: Callable[..., Photo], settings, tmp_path
):
    settings.GALLERY_PAGE_SIZE = 2
    for month, day in ((11, 3), (11, 2), (11, 1), (9, 5)):
        photo = photo_factory(title="바다" if day != 2 else "산")
        moment = dt.datetime(2026, month, day, 12, tzinfo=dt.UTC)
        Photo.objects.filter(pk=photo.pk).update(taken_at=moment, uploaded_at=moment)
    september = Photo.objects.get(taken_at__month=9)
    context = browser.new_context(viewport={"width": 390, "height": 700}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[Any] = []
    page.on("pageerror", lambda exc: errors.append(exc))
    try:
        base = live_server.url
        log_in_page(page, base, user.username, password)
        # The search box, typed into and sent with Enter.
        page.focus("#photo-search")
        page.keyboard.type("바다")
        page.keyboard.press("Enter")
        page.wait_for_url("**/?q=*")
        assert page.locator("#photo-grid .tile").count() == 2
        assert headers(page) == [
            "Nov. 3, 2026 Tuesday",
            "Nov. 1, 2026 Sunday",
        ]
        # The page does not scroll sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # Jump to September (page 2 of the search) with the keyboard: open the list, pick the month.
        page.focus("#jump-to summary")
        page.keyboard.press("Enter")
        link = page.locator('#jump-to a[data-month="2026-09"]')
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**page=2#m-2026-09")
        assert "q=%EB%B0%94%EB%8B%A4" in page.url  # the search is kept
        section = page.locator("#m-2026-09")
        assert section.locator(f'[data-photo-id="{september.pk}"]').count() == 1
        assert section.is_visible()
        box = section.bounding_box()
        assert box is not None
        assert 0 <= box["y"] < 700  # scrolled to it
        page.screenshot(path=str(tmp_path / "timeline-phone.png"), full_page=True)
        # Sort oldest first with the keyboard; the headers follow.
        page.focus("#photo-ordering")
        page.select_option("#photo-ordering", "taken_at")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_url("**ordering=taken_at*")
        assert headers(page)[0] == "Sept. 5, 2026 Saturday"
        assert not errors
    finally:
        context.close()
