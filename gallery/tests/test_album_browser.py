"""The album page in Chromium: drag a photo to a new place with the pointer, move one with the
keyboard (arrow buttons, no reload), on a desktop and on a phone-sized screen."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from conftest import log_in_page
from gallery import selectors, services
from gallery.models import Album, Photo

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _order(album: Album) -> list[int]:
    return selectors.album_photo_ids(album=Album.objects.get(pk=album.pk))


def _album_of_four(user: Any, photo_factory: Callable[..., Photo]) -> tuple[Album, list[int]]:
    album = services.album_create(owner=user, name="Trip")
    photos = [photo_factory() for _ in range(4)]
    for photo in photos:
        services.album_add_photos(album=album, photos=[photo])
    return album, [p.pk for p in photos]


def _page_ids(page: Any) -> list[int]:
    return [
        int(v)
        for v in page.eval_on_selector_all("[data-album-photo]", "els => els.map(e => e.dataset.albumPhoto)")
    ]


def test_drag_a_photo_by_its_handle_to_a_new_place(
    live_server: Any, browser: Any, user: Any, password: str, photo_factory: Callable[..., Photo]
) -> None:
    album, (a, b, c, d) = _album_of_four(user, photo_factory)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in_page(page, live_server.url, user.username, password)
        page.goto(f"{live_server.url}/albums/{album.pk}/")
        handle = page.locator(f"#album-photo-{d} .album-drag-handle").bounding_box()
        target = page.locator(f"#album-photo-{a} .tile").bounding_box()
        with page.expect_response(lambda r: r.url.endswith(f"/api/albums/{album.pk}/order/")) as saved:
            page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
            page.mouse.down()
            page.mouse.move(target["x"] + 10, target["y"] + 10, steps=8)
            page.mouse.up()
        assert saved.value.status == 200
        assert _page_ids(page) == [d, a, b, c]
        assert _order(album) == [d, a, b, c]
        page.reload()
        assert _page_ids(page) == [d, a, b, c]
        assert not errors
    finally:
        context.close()


def test_move_photos_with_the_keyboard_on_a_phone(
    live_server: Any, browser: Any, user: Any, password: str, photo_factory: Callable[..., Photo]
) -> None:
    album, (a, b, c, d) = _album_of_four(user, photo_factory)
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        log_in_page(page, live_server.url, user.username, password)
        page.goto(f"{live_server.url}/albums/{album.pk}/")
        later = page.locator(f"#album-photo-{a} button[value=later]")
        assert later.is_visible()
        page.evaluate("window.stillHere = true")
        later.focus()
        for expected in ([b, a, c, d], [b, c, a, d]):
            with page.expect_response(lambda r: r.url.endswith("/order/")) as saved:
                page.keyboard.press("Enter")
            assert saved.value.status == 200
            assert _page_ids(page) == expected
            assert _order(album) == expected
            # The focus stays on the moved photo's button: pressing again moves it on.
            assert page.evaluate(
                "document.activeElement.closest('[data-album-photo]').dataset.albumPhoto"
            ) == str(a)
        # Without a reload: the page is the same document.
        assert page.evaluate("window.stillHere === true")
        # The tile tools fit the phone's width.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def test_drag_with_a_finger_on_a_touch_screen(
    live_server: Any, browser: Any, user: Any, password: str, photo_factory: Callable[..., Photo]
) -> None:
    album, (a, b, c, d) = _album_of_four(user, photo_factory)
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        log_in_page(page, live_server.url, user.username, password)
        page.goto(f"{live_server.url}/albums/{album.pk}/")
        # The search, sort and share sections come first: bring the photos into the phone's view.
        page.evaluate(
            "window.scrollTo(0, document.querySelector('#album-grid').getBoundingClientRect().top"
            " + window.scrollY - 160)"
        )
        scrolled = page.evaluate("window.scrollY")
        handle = page.locator(f"#album-photo-{a} .album-drag-handle").bounding_box()
        target = page.locator(f"#album-photo-{c} .tile").bounding_box()
        start = (handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
        end = (target["x"] + target["width"] - 10, target["y"] + 10)
        # Real touch events, as a finger sends them (the browser turns them into pointer events).
        cdp = context.new_cdp_session(page)

        def touch(kind: str, point: tuple[float, float] | None) -> None:
            points = [] if point is None else [{"x": point[0], "y": point[1]}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        with page.expect_response(lambda r: r.url.endswith("/order/")) as saved:
            touch("touchStart", start)
            for step in range(1, 9):
                touch(
                    "touchMove",
                    (start[0] + (end[0] - start[0]) * step / 8, start[1] + (end[1] - start[1]) * step / 8),
                )
            touch("touchEnd", None)
        assert saved.value.status == 200
        assert _order(album) == [b, c, a, d]
        assert page.evaluate("window.scrollY") == scrolled  # the finger moved the photo, not the page
    finally:
        context.close()
