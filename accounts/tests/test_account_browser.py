"""The account pages in headless Chromium: forgot-password from the keyboard through the e-mail's
link to logging in with the new password, logging out to the landing page and its message; the
Korean landing, login and reset pages fit a phone and a desktop."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.core import mail

from memory_studio.tests.test_korean_browser import OVERFLOWS, WIDTHS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW = "a-brand-new-passphrase-31"


def test_forgot_password_from_the_keyboard_then_log_out(live_server, browser, user):
    base = live_server.url
    context = browser.new_context(viewport=WIDTHS["phone"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{base}/")
    assert page.inner_text("h1") == "Memory Studio"
    page.click("main >> text=Log in")
    page.wait_for_url(f"{base}/accounts/login/")

    page.focus("#forgot-password")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/accounts/password/reset/")
    page.focus("input[name=email]")
    page.keyboard.type("alice@example.com")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/accounts/password/reset/sent/")
    assert "If an account has this e-mail address" in page.inner_text("main")

    assert len(mail.outbox) == 1
    found = re.search(r"https?://\S+", str(mail.outbox[0].body))
    assert found
    page.goto(found.group(0))
    page.wait_for_url(re.compile(r".*/set-password/$"))
    page.fill("input[name=new_password1]", NEW)
    page.fill("input[name=new_password2]", NEW)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/accounts/password/reset/complete/")
    page.click("main >> text=Log in")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", NEW)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.inner_text(".nav-user") == "alice"

    page.click("header button:has-text('Log out')")
    page.wait_for_url(f"{base}/")
    assert page.inner_text(".messages") == "You have been logged out."
    assert page.locator(".landing").is_visible()
    context.close()


def test_the_korean_visitor_pages_fit_a_phone_and_a_desktop(live_server, browser, tmp_path):
    base = live_server.url
    problems: list[str] = []
    errors: list[str] = []
    for size, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport, locale="ko-KR")
        page: Any = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(60_000)
        for name, path in (
            ("landing", "/"),
            ("login", "/accounts/login/"),
            ("reset", "/accounts/password/reset/"),
            ("reset-sent", "/accounts/password/reset/sent/"),
        ):
            page.goto(f"{base}{path}", wait_until="networkidle")
            assert page.get_attribute("html", "lang") == "ko", path
            problems += [f"{name}-{size}: {problem}" for problem in page.evaluate(OVERFLOWS)]
            page.screenshot(path=str(tmp_path / f"{name}-{size}.png"), full_page=True)
        context.close()
    assert problems == []
    assert errors == []
