"""Select many in real headless Chromium: select photos with the keyboard and add them to an
album; delete some from the bar and undo; remove from an album; the bar on a phone."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conftest import log_in_page
from gallery import selectors, services
from gallery.models import Photo

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_page(browser: Any, live_server: Any, user: Any, password: str) -> Iterator[Callable[..., Any]]:
    """A logged-in page (English) of the given viewport; script errors fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make(width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in_page(page, live_server.url, user.username, password)
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == []


def grid_order(user: Any) -> list[int]:
    return list(selectors.photo_list_for_user(user=user).values_list("pk", flat=True))


def trashed() -> set[int]:
    return set(Photo.objects.trashed().values_list("pk", flat=True))


def selected_ids(page: Any) -> list[int]:
    return [
        int(v)
        for v in page.eval_on_selector_all(".tile-item.selected .tile-check", "els => els.map(e => e.value)")
    ]


def test_select_five_with_the_keyboard_and_add_them_to_an_album(open_page, live_server, user, photo_factory):
    for _ in range(8):
        photo_factory()
    trip = services.album_create(owner=user, name="Trip")
    services.album_create(owner=user, name="Another")
    order = grid_order(user)
    page = open_page()
    page.goto(f"{live_server.url}/")
    assert page.locator("#selection-bar").is_hidden()

    page.locator("#photo-grid .tile").first.focus()
    page.keyboard.press("Space")
    for _ in range(4):
        page.keyboard.press("Shift+ArrowRight")

    assert selected_ids(page) == order[:5]
    assert page.locator("#selection-count").inner_text() == "5 photos selected"
    page.locator("#selection-add").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#album-dialog[open] .album-choice-existing >> nth=1")
    page.get_by_label("Trip").check()
    page.locator("#album-dialog-submit").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#selection-toast:not([hidden])")

    assert "Added 5 photos to “Trip”." in page.locator("#selection-toast").inner_text()
    assert set(trip.photos.values_list("pk", flat=True)) == set(order[:5])
    assert page.locator(".tile-item.selected").count() == 0
    assert page.locator("#selection-bar").is_hidden()

    # Esc clears a selection; a new album is created with the photos in it.
    page.locator("#photo-grid .tile").nth(6).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Shift+ArrowRight")
    assert selected_ids(page) == order[6:8]
    page.keyboard.press("Escape")
    assert selected_ids(page) == []
    page.keyboard.press("Space")  # the focus stayed on the last tile
    page.keyboard.press("Shift+ArrowLeft")
    assert selected_ids(page) == order[6:8]
    page.click("#selection-add")
    page.wait_for_selector("#album-dialog[open] .album-choice-existing")
    page.fill("#album-new-name", "  New  one ")
    page.click("#album-dialog-submit")
    # The first toast may still show: wait for this action's own.
    page.wait_for_selector("#selection-toast:not([hidden]):has-text('New one')")
    new = user.albums.get(name="New one")
    assert set(new.photos.values_list("pk", flat=True)) == set(order[6:8])
    assert set(trip.photos.values_list("pk", flat=True)) == set(order[:5])

    # Down and up move by a row of the grid.
    per_row = page.evaluate(
        "() => { const tops = [...document.querySelectorAll('#photo-grid .tile-item')]"
        ".map(e => e.getBoundingClientRect().top);"
        " return tops.filter(t => Math.abs(t - tops[0]) < 2).length; }"
    )
    assert 1 < per_row < 8
    page.locator("#photo-grid .tile").nth(1).focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => Number(document.activeElement.dataset.photoId)") == order[1 + per_row]
    page.keyboard.press("ArrowUp")
    assert page.evaluate("() => Number(document.activeElement.dataset.photoId)") == order[1]


def test_delete_three_then_undo_and_without_undo_they_stay_in_the_trash(
    open_page, live_server, user, photo_factory
):
    for _ in range(6):
        photo_factory()
    order = grid_order(user)
    page = open_page()
    page.goto(f"{live_server.url}/")
    tiles = page.locator("#photo-grid .tile-item")

    tiles.nth(0).hover()
    tiles.nth(0).locator(".tile-check").click()
    page.locator("#photo-grid .tile").nth(2).click(modifiers=["Shift"])  # selects, does not open
    assert page.url == f"{live_server.url}/"
    assert selected_ids(page) == order[:3]
    page.click("#selection-delete")
    page.wait_for_selector("#selection-toast:not([hidden])")

    assert "3 photos moved to the trash." in page.locator("#selection-toast").inner_text()
    assert trashed() == set(order[:3])
    assert page.locator("#photo-grid .tile-item:visible").count() == 3
    assert page.locator("h1 .count").inner_text() == "3"

    page.click("#selection-undo")
    page.wait_for_function("() => document.getElementById('selection-toast').innerText.includes('restored')")
    assert trashed() == set()
    assert Photo.objects.filter(trashed_at__isnull=True).count() == 6
    assert page.locator("#photo-grid .tile-item:visible").count() == 6

    # Once selecting, a click toggles; this time no Undo.
    page.locator("#photo-grid .tile").nth(3).focus()
    page.keyboard.press("Space")
    page.locator("#photo-grid .tile").nth(4).click()
    page.locator("#photo-grid .tile").nth(5).click()
    assert selected_ids(page) == order[3:6]
    page.click("#selection-delete")
    # The Undo's toast may still show: wait for this deletion's own.
    page.wait_for_function(
        "() => document.getElementById('selection-toast').innerText.includes('moved to the trash')"
    )
    page.reload()

    assert trashed() == set(order[3:6])
    ids_shown = page.eval_on_selector_all("#photo-grid .tile-check", "els => els.map(e => Number(e.value))")
    assert ids_shown == order[:3]
    # Ctrl+A selects every tile of the page.
    page.locator("#photo-grid .tile").first.focus()
    page.keyboard.press("Control+a")
    assert selected_ids(page) == order[:3]
    assert page.locator("#selection-count").inner_text() == "3 photos selected"


def test_remove_from_an_album_and_undo(open_page, live_server, user, photo_factory):
    photos = [photo_factory() for _ in range(4)]
    album = services.album_create(owner=user, name="Trip")
    services.album_add_photos(album=album, photos=photos)
    order = list(selectors.album_photo_list(album=album).values_list("pk", flat=True))
    page = open_page()
    page.goto(f"{live_server.url}/albums/{album.pk}/")

    page.locator("#album-grid .tile").nth(1).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Shift+ArrowRight")
    page.click("#selection-remove")
    page.wait_for_selector("#selection-toast:not([hidden])")

    assert set(album.photos.values_list("pk", flat=True)) == {order[0], order[3]}
    assert Photo.objects.count() == 4
    assert not trashed()
    assert page.locator("#album-grid .tile-item:visible").count() == 2
    page.click("#selection-undo")
    page.wait_for_function(
        "() => document.querySelectorAll('#album-grid .tile-item').length === 4 && "
        "[...document.querySelectorAll('#album-grid > *')].every(e => !e.hidden)"
    )
    assert set(album.photos.values_list("pk", flat=True)) == set(order)


def test_the_bar_fits_a_phone(open_page, live_server, user, photo_factory):
    for _ in range(3):
        photo_factory()
    page = open_page(390, 844)
    page.goto(f"{live_server.url}/")
    third = page.locator("#photo-grid .tile-check").nth(2)
    assert third.evaluate("e => getComputedStyle(e).opacity") == "0"  # until selecting starts
    page.locator("#photo-grid .tile").first.focus()
    page.keyboard.press("Space")

    bar = page.locator("#selection-bar")
    assert bar.is_visible()
    box = bar.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
    for button in ("#selection-add", "#selection-delete"):
        button_box = page.locator(button).bounding_box()
        assert button_box is not None
        assert button_box["x"] + button_box["width"] <= 390
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # The checkboxes show once selecting has started (after their fade-in).
    page.wait_for_function(
        "() => getComputedStyle(document.querySelectorAll('#photo-grid .tile-check')[2]).opacity === '1'"
    )


def _same_face(photo: Photo) -> int:
    """Give a photo one indexed face, the same synthetic one on every photo (no model needed)."""
    import numpy as np

    from recognition.ml.types import DetectedFace, FaceEmbedding
    from recognition.models import Face
    from recognition.services import photo_faces_replace

    marks = ((10.0, 10.0), (20.0, 10.0), (15.0, 15.0), (11.0, 20.0), (19.0, 20.0))
    vector = np.full(128, 128**-0.5, dtype=np.float32)
    face = FaceEmbedding(
        face=DetectedFace(box=(5.0, 5.0, 25.0, 25.0), score=0.99, landmarks=marks), vector=vector
    )
    photo_faces_replace(photo_id=photo.pk, model_key="dlib-resnet", faces=[face])
    return int(Face.objects.get(photo=photo).pk)


def test_search_results_can_be_selected_and_added_to_an_album(open_page, live_server, user, photo_factory):
    photos = [photo_factory() for _ in range(3)]
    faces = [_same_face(p) for p in photos]
    album = services.album_create(owner=user, name="Found")
    page = open_page()
    page.goto(f"{live_server.url}/search/?face_id={faces[0]}")
    tiles = page.locator("#search-results .result-tile")
    tiles.nth(2).wait_for(timeout=60_000)
    shown = [int(t.get_attribute("data-photo-id") or 0) for t in tiles.all()]
    assert sorted(shown) == sorted(p.pk for p in photos)

    tiles.nth(0).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Shift+ArrowRight")
    assert selected_ids(page) == shown[:2]
    page.click("#selection-add")
    page.wait_for_selector("#album-dialog[open] .album-choice-existing")
    page.click("#album-dialog-submit")  # the first album is chosen
    page.wait_for_selector("#selection-toast:not([hidden])")

    assert set(album.photos.values_list("pk", flat=True)) == set(shown[:2])


def _centre(locator: Any) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_drag_across_tiles_and_a_long_press_select(open_page, live_server, user, photo_factory):
    for _ in range(6):
        photo_factory()
    order = grid_order(user)
    page = open_page()
    home = f"{live_server.url}/"
    page.goto(home)
    tiles = page.locator("#photo-grid .tile")

    # Dragging from a checkbox across tiles selects them all, and opens nothing.
    page.locator("#photo-grid .tile-item").nth(0).hover()
    page.mouse.move(*_centre(page.locator("#photo-grid .tile-check").nth(0)))
    page.mouse.down()
    page.mouse.move(*_centre(tiles.nth(2)), steps=8)
    page.mouse.up()
    assert selected_ids(page) == order[:3]
    assert page.url == home

    # While selecting, a drag that starts on a selected tile deselects what it crosses.
    page.mouse.move(*_centre(tiles.nth(1)))
    page.mouse.down()
    page.mouse.move(*_centre(tiles.nth(3)), steps=8)
    page.mouse.up()
    assert selected_ids(page) == order[:1]
    assert page.url == home
    page.keyboard.press("Escape")
    assert selected_ids(page) == []

    # A long press (touch) starts selecting; the click that ends it opens nothing; a tap then toggles.
    press = """(tile) => {
        const r = tile.getBoundingClientRect();
        const at = {pointerType: "touch", bubbles: true, clientX: r.x + 10, clientY: r.y + 10};
        tile.dispatchEvent(new PointerEvent("pointerdown", at));
        return new Promise((done) => setTimeout(() => {
          tile.dispatchEvent(new PointerEvent("pointerup", at));
          tile.click();
          done();
        }, 800));
    }"""
    tiles.nth(4).evaluate(press)
    assert selected_ids(page) == [order[4]]
    assert page.url == home
    tiles.nth(5).click()
    assert selected_ids(page) == order[4:6]
    assert page.url == home
