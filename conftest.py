"""Shared test fixtures: owner / other-user accounts, clients, images, the real face photos."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

BASE_DIR = Path(__file__).resolve().parent
# Debian's Chromium for the browser tests (never Playwright's own download).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def faces_root() -> Path:
    """The real face photos (`<person>/<file>.jpg`); MEMORY_STUDIO_FACES_DIR overrides the default."""
    return Path(os.environ.get("MEMORY_STUDIO_FACES_DIR", BASE_DIR.parent / "shared" / "faces")).resolve()


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    root = faces_root()
    if not root.is_dir():
        # Never skip: CI must run the tests that need the real photos.
        pytest.fail(f"Face photos not found at {root}; set MEMORY_STUDIO_FACES_DIR.")
    return root


def make_image_bytes(
    *, size: tuple[int, int] = (64, 48), mode: str = "RGB", fmt: str = "JPEG", color: Any = None, **save: Any
) -> bytes:
    """Build an image in memory with Pillow (no files on disk)."""
    if color is None:
        color = {"RGB": (200, 120, 40), "RGBA": (200, 120, 40, 128), "L": 128, "CMYK": (0, 50, 100, 0)}.get(
            mode, 0
        )
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def log_in_page(page: Any, base: str, username: str, password: str) -> None:
    """Log in through the login page in a browser test (Playwright) and wait until it lets us in
    (the gallery), so the next navigation cannot race the login."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")  # the header has a form too (the language switch)
    page.wait_for_url(f"{base}/")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Every test starts with no throttle counts (they live in the cache)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A request leaves its language active in the thread (the next request chooses again);
    code a test runs after one, outside any request, starts from the default again."""
    yield
    from django.utils import timezone, translation

    translation.deactivate()
    timezone.deactivate()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """S3: moto's standalone server on 127.0.0.1 (a real HTTP server, never an in-process mock)."""
    from moto.server import ThreadedMotoServer

    from memory_studio.tests.servers import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def image_bytes() -> Callable[..., bytes]:
    return make_image_bytes


@pytest.fixture
def password() -> str:
    return "correct-horse-battery-42"


@pytest.fixture
def user(django_user_model: Any, password: str) -> Any:
    return django_user_model.objects.create_user(
        username="alice", email="alice@example.com", password=password
    )


@pytest.fixture
def other_user(django_user_model: Any, password: str) -> Any:
    return django_user_model.objects.create_user(username="mallory", email="m@example.com", password=password)


@pytest.fixture
def user_client(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


@pytest.fixture
def other_client(other_user: Any) -> Any:
    from django.test import Client

    c = Client()
    c.force_login(other_user)
    return c


@pytest.fixture
def api_client(user: Any) -> Any:
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def other_api_client(other_user: Any) -> Any:
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_authenticate(other_user)
    return c


def _database_is_postgresql() -> bool:
    from django.conf import settings

    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgresql` exercise PostgreSQL itself (a real server behind a proxy): the
    PostgreSQL pass runs them; the SQLite pass leaves them out (reported as deselected)."""
    if _database_is_postgresql():
        return
    kept = [item for item in items if item.get_closest_marker("postgresql") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; database connections the live server's threads
    opened are closed before the test database is dropped."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            connections.close_all()
            chromium.close()
