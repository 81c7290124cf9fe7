"""People end to end in headless Chromium: upload photos of three people on the upload page (indexed
and grouped inline), open People, name one, merge two, undo, open a person, remove a face."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db import connections

from conftest import CHROMIUM_ARGS, log_in_page
from people.models import FaceRejection, Person
from recognition.models import Face

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = ("deepface_g02", "deepface_g03", "deepface_g10")


def _live_persons(owner: Any) -> list[Person]:
    return [p for p in Person.objects.filter(owner=owner, merged_into__isnull=True) if p.faces.exists()]


def test_upload_group_name_merge_undo_and_remove_a_face(live_server, user, password, faces_dir):
    from playwright.sync_api import sync_playwright

    photos = [str(p) for person in PEOPLE for p in sorted((faces_dir / person).glob("*.jpg"))[:4]]
    base = live_server.url
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            log_in_page(page, base, user.username, password)

            page.goto(f"{base}/upload/")
            page.set_input_files("#file-input", photos)
            page.wait_for_function(
                f"() => document.querySelectorAll('.upload-item.ok').length === {len(photos)}",
                timeout=240_000,
            )

            page.goto(f"{base}/people/")
            cards = page.locator("#people-grid .person-card")
            assert cards.count() == 3
            persons = _live_persons(user)
            assert len(persons) == 3
            for person in persons:  # each grouped person is one of the three, all their photos
                titles = set(
                    Face.objects.filter(person=person).values_list("photo__original_filename", flat=True)
                )
                assert len(titles) == 4

            # Name the largest person from its page.
            cards.first.locator("a.person-link").click()
            page.wait_for_selector("#person-form")
            named_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
            page.fill("#id_name", "김민지")
            page.click("#person-form button[type=submit]")
            page.wait_for_selector(".messages")
            assert page.locator("h1").inner_text().startswith("김민지")
            assert Person.objects.get(pk=named_id).name == "김민지"

            # Merge another person into her, then undo.
            other = next(p for p in persons if p.pk != named_id)
            page.goto(f"{base}/people/{other.pk}/")
            page.click("details.merge summary")
            page.check(f"#merge-form input[name=into][value='{named_id}']")
            page.click("#merge-form button[type=submit]")
            page.wait_for_url(f"{base}/people/{named_id}/")
            assert Face.objects.filter(person_id=named_id).count() == 8
            page.click("#undo-merge")
            page.wait_for_url(f"{base}/people/{other.pk}/")
            assert Face.objects.filter(person_id=named_id).count() == 4
            assert Face.objects.filter(person_id=other.pk).count() == 4

            # Remove one face from the named person.
            page.goto(f"{base}/people/{named_id}/")
            first_box = page.locator("#person-faces input[name=faces]").first
            face_id = int(first_box.get_attribute("value") or 0)
            first_box.check()
            page.click("#faces-form button[value=reject]")
            page.wait_for_selector(".messages")
            assert page.locator("#person-faces input[name=faces]").count() == 3
            assert Face.objects.get(pk=face_id).person_id is None
            assert FaceRejection.objects.filter(face_id=face_id, person_id=named_id).exists()
            assert errors == []
        finally:
            connections.close_all()
            browser.close()
