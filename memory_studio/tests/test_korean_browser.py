"""The Korean UI in real headless Chromium (a Korean browser: Accept-Language ko-KR): the upload,
grid, photo, album and search pages at a phone's width and a desktop's, with nothing wider than
its box (the page, every button); the page scripts speak Korean (Django's JavaScript catalog);
the language switch works from the keyboard. Screenshots are left in the test's tmp dir."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import log_in_page, make_image_bytes
from gallery import services
from gallery.tests.conftest import as_upload
from people.services import person_create
from recognition.ml.types import DetectedFace, FaceEmbedding
from recognition.models import Face
from recognition.services import photo_faces_replace

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}

# Everything wider than its box: the page itself, and buttons whose label does not fit.
OVERFLOWS = """() => {
  const out = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) {
    out.push(`page: ${root.scrollWidth} px wide in a ${window.innerWidth} px window`);
  }
  for (const el of document.querySelectorAll("button, .button, input[type=submit], select")) {
    const box = el.getBoundingClientRect();
    if (!box.width || getComputedStyle(el).visibility === "hidden") continue;
    const name = `${el.tagName.toLowerCase()} "${el.textContent.trim()}"`;
    if (el.scrollWidth > el.clientWidth + 1) {
      out.push(`${name}: ${el.scrollWidth} > ${el.clientWidth}`);
    }
    if (box.right > window.innerWidth + 1 && !el.closest(".nav")) {
      out.push(`${name} ends at ${box.right} px`);
    }
  }
  return out;
}"""


def _library(user: Any) -> dict[str, int]:
    marks = ((10.0, 10.0), (20.0, 10.0), (15.0, 15.0), (11.0, 20.0), (19.0, 20.0))
    vector = np.full(128, 128**-0.5, dtype=np.float32)
    faces = []
    photos = []
    for n in range(3):
        data = make_image_bytes(size=(160, 120), color=(60 * n, 120, 200 - 50 * n))
        photo = services.photo_create(owner=user, upload=as_upload(data, f"IMG_{n:04d}.jpg"))
        detected = DetectedFace(box=(5.0, 5.0, 60.0, 60.0), score=0.99, landmarks=marks)
        photo_faces_replace(
            photo_id=photo.pk, model_key="dlib-resnet", faces=[FaceEmbedding(face=detected, vector=vector)]
        )
        faces.append(Face.objects.get(photo=photo))
        photos.append(photo)
    person_create(owner=user, faces=faces, name="김민지")
    album = services.album_create(owner=user, name="2026년 여름 제주도 가족 여행")
    services.album_add_photos(album=album, photos=photos)
    return {"photo": photos[0].pk, "album": album.pk, "face": faces[0].pk}


def _check(page: Any, name: str, shots: Path, problems: list[str]) -> None:
    assert page.get_attribute("html", "lang") == "ko", name
    assert page.title().endswith("· 추억 사진관"), (name, page.title())
    problems += [f"{name}: {problem}" for problem in page.evaluate(OVERFLOWS)]
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_the_korean_pages_fit_a_phone_and_a_desktop(live_server, browser, user, password, tmp_path):
    ids = _library(user)
    base = live_server.url
    shots = tmp_path / "screenshots"
    shots.mkdir()
    problems: list[str] = []
    errors: list[str] = []
    for size, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport, locale="ko-KR")
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(60_000)
        log_in_page(page, base, user.username, password)

        page.goto(f"{base}/", wait_until="networkidle")
        assert page.inner_text(".brand") == "추억 사진관"
        _check(page, f"grid-{size}", shots, problems)

        page.goto(f"{base}/upload/", wait_until="networkidle")
        page.set_input_files(
            "#file-input", files=[{"name": "메모.txt", "mimeType": "text/plain", "buffer": b"no"}]
        )
        page.wait_for_selector(".upload-item.error")
        # The API's message, in Korean, shown by the page script.
        assert "읽을 수 있는 이미지 파일이 아니에요" in page.inner_text(".upload-item .upload-status")
        assert page.inner_text(".upload-item .upload-size") == "2바이트"  # the script's ngettext
        _check(page, f"upload-{size}", shots, problems)

        page.goto(f"{base}/photos/{ids['photo']}/", wait_until="networkidle")
        page.wait_for_selector("#photo-stage .photo-face")
        assert page.inner_text("#faces-status") == "얼굴 1개를 찾았어요. 눌러서 이름을 붙여 보세요."
        assert "2026년" in page.inner_text(".meta")
        _check(page, f"photo-{size}", shots, problems)

        page.goto(f"{base}/albums/{ids['album']}/", wait_until="networkidle")
        page.click(".album-settings summary")  # the rename / delete box, open
        _check(page, f"album-{size}", shots, problems)

        page.goto(f"{base}/albums/", wait_until="networkidle")
        _check(page, f"albums-{size}", shots, problems)

        page.goto(f"{base}/search/?face_id={ids['face']}", wait_until="networkidle")
        page.wait_for_selector("#search-results .result-tile")
        assert "이 사람이 나온 사진이 3장 있어요." in page.inner_text("#search-status")
        _check(page, f"search-{size}", shots, problems)
        context.close()

    assert problems == []
    assert errors == []
    assert len(list(shots.glob("*.png"))) == 12


def test_the_language_switch_works_from_the_keyboard(live_server, browser, user, password):
    context = browser.new_context(viewport=WIDTHS["phone"], locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(60_000)
    log_in_page(page, live_server.url, user.username, password)
    page.goto(f"{live_server.url}/albums/")
    assert page.get_attribute("html", "lang") == "ko"
    page.focus("#language-select")
    page.keyboard.press("ArrowDown")  # 한국어 → English
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('form').id") == "language-switch"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/albums/"
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text(".brand") == "Memory Studio"
    user.refresh_from_db()
    assert user.language == "en"  # saved: it wins over this Korean browser from now on
    page.goto(f"{live_server.url}/")
    assert page.get_attribute("html", "lang") == "en"
    context.close()
