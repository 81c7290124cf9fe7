"""Album share links in real headless Chromium: the owner creates a link with a password on the
album page; a fresh browser (no login, a phone's width) opens it, types the password, sees the
photos and steps through them with the arrow keys; once the owner revokes the link it is a 404."""

from __future__ import annotations

import os

import pytest

from conftest import log_in_page, make_image_bytes
from gallery import selectors, services
from gallery.models import AlbumShare
from gallery.tests.conftest import as_upload

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOADED_IMAGES = (
    "() => [...document.querySelectorAll('.grid .tile img')]"
    ".filter(i => i.complete && i.naturalWidth > 0).length"
)


def test_owner_shares_an_album_and_a_visitor_opens_it_until_revoked(live_server, browser, user, password):
    album = services.album_create(owner=user, name="Summer")
    photos = [
        services.photo_create(
            owner=user,
            upload=as_upload(make_image_bytes(size=(160, 120), color=(70 * n, 120, 40)), f"IMG_{n}.jpg"),
        )
        for n in range(3)
    ]
    services.album_add_photos(album=album, photos=photos[:2])
    errors: list[str] = []
    base = live_server.url

    owner_context = browser.new_context(viewport={"width": 1280, "height": 900})
    owner = owner_context.new_page()
    owner.set_default_timeout(20_000)
    owner.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in_page(owner, base, user.username, password)
    owner.goto(f"{base}/albums/{album.pk}/")
    owner.click("#shares summary")
    owner.fill("#id_label", "Family")
    owner.fill("#id_password", "zebra crossing")
    owner.check("#id_allow_download")
    owner.click("#share-form button[type=submit]")
    owner.wait_for_selector("#share-url")
    url = owner.input_value("#share-url")
    assert url.startswith(f"{base}/s/")
    share = AlbumShare.objects.get()
    assert (share.label, share.has_password, share.allow_download) == ("Family", True, True)

    visitor_context = browser.new_context(viewport={"width": 390, "height": 844})  # no login
    visitor = visitor_context.new_page()
    visitor.set_default_timeout(20_000)
    visitor.on("pageerror", lambda exc: errors.append(str(exc)))
    visitor.goto(url)
    assert visitor.locator(".grid .tile").count() == 0
    visitor.fill("input[name=password]", "wrong guess")
    visitor.press("input[name=password]", "Enter")
    visitor.wait_for_selector(".errorlist")
    visitor.fill("input[name=password]", "zebra crossing")
    visitor.press("input[name=password]", "Enter")
    visitor.wait_for_selector(".grid .tile")
    assert visitor.url == url
    assert "Summer" in visitor.locator("h1").inner_text()
    assert visitor.locator(".grid .tile").count() == 2
    visitor.wait_for_function(f"() => ({LOADED_IMAGES})() === 2")
    assert visitor.locator("nav, a[href^='/albums'], a[href^='/accounts']").count() == 0
    assert visitor.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    # The page's own forms pass Django's CSRF check (its Referrer-Policy leaves Origin alone).
    visitor.select_option("#language-select", "ko")
    visitor.click("#language-switch button")
    visitor.wait_for_selector("html[lang=ko]")
    assert visitor.url == url

    first, second = selectors.album_photo_ids(album=album)[:2]  # the album's own order
    visitor.locator(".grid .tile").first.click()
    visitor.wait_for_url(f"{url}photos/{first}/")
    visitor.wait_for_function("() => document.querySelector('.shared-photo img').naturalWidth > 0")
    visitor.keyboard.press("ArrowRight")
    visitor.wait_for_url(f"{url}photos/{second}/")
    visitor.keyboard.press("ArrowLeft")
    visitor.wait_for_url(f"{url}photos/{first}/")
    assert visitor.locator("a[download]").count() == 1

    owner.goto(f"{base}/albums/{album.pk}/")
    assert "Family" in owner.locator("#shares").inner_text()
    owner.click("#shares .share-item button:has-text('Revoke')")
    owner.wait_for_url(f"{base}/albums/{album.pk}/#shares")
    assert owner.locator(".share-item.share-revoked").count() == 1

    response = visitor.goto(url)
    assert response is not None
    assert response.status == 404
    assert "Summer" not in visitor.content()
    assert errors == []
    visitor_context.close()
    owner_context.close()


def test_the_share_pages_fit_a_phone_in_korean(live_server, browser, user, password):
    """The album page's Share section, a new link's page and the visitor's pages, in Korean at a
    phone's width: nothing wider than its box."""
    from memory_studio.tests.test_korean_browser import OVERFLOWS

    album = services.album_create(owner=user, name="2026년 여름 제주도 가족 여행")
    photo = services.photo_create(
        owner=user, upload=as_upload(make_image_bytes(size=(160, 120)), "IMG_0001.jpg")
    )
    services.album_add_photos(album=album, photos=[photo])
    services.album_share_create(album=album, label="할머니와 할아버지께 보내는 링크", allow_download=True)
    base = live_server.url
    problems: list[str] = []
    phone = {"viewport": {"width": 390, "height": 844}, "locale": "ko-KR"}

    owner = browser.new_context(**phone).new_page()
    owner.set_default_timeout(20_000)
    log_in_page(owner, base, user.username, password)
    owner.goto(f"{base}/albums/{album.pk}/")
    assert owner.locator("#shares").get_attribute("open") is not None  # open: it has a link
    assert "사용 중" in owner.inner_text("#shares .share-state")
    problems += [f"album: {p}" for p in owner.evaluate(OVERFLOWS)]
    owner.fill("#id_expires_in_days", "7")
    owner.check("#id_allow_download")
    owner.click("#share-form button[type=submit]")
    owner.wait_for_selector("#share-url")
    problems += [f"created: {p}" for p in owner.evaluate(OVERFLOWS)]
    url = owner.input_value("#share-url")

    visitor = browser.new_context(**phone).new_page()
    visitor.set_default_timeout(20_000)
    visitor.goto(url)
    assert visitor.get_attribute("html", "lang") == "ko"
    problems += [f"shared album: {p}" for p in visitor.evaluate(OVERFLOWS)]
    visitor.locator(".grid .tile").first.click()
    visitor.wait_for_url(f"{url}photos/{photo.pk}/")
    assert visitor.inner_text("a[download]") == "원본 내려받기"
    problems += [f"shared photo: {p}" for p in visitor.evaluate(OVERFLOWS)]
    assert problems == []
