"""The Korean catalogs are complete (`make test` runs the same check), and the check finds every
kind of gap: a marked string missing from the catalog, one left in it after the code dropped it,
an untranslated or fuzzy entry, a placeholder lost in translation, a .mo not compiled from its .po."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from memory_studio import translations

pytestmark = pytest.mark.nodb

PO = Path("locale/ko/LC_MESSAGES/django.po")


def test_the_catalogs_are_complete():
    assert translations.check() == []


def test_every_entry_of_the_catalogs_is_translated():
    for domain in translations.DOMAINS:
        entries = translations.parse_po(translations.ROOT / "locale" / "ko" / "LC_MESSAGES" / f"{domain}.po")
        assert len(entries) > (300 if domain == "django" else 30)
        assert all(entry.msgstr and all(entry.msgstr) for entry in entries)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(translations.ROOT, copy, ignore=translations._COPY_IGNORE)
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_check_finds_new_and_dropped_strings(project):
    for page in ("photo_detail.html", "photo_trashed.html"):  # every use of "Details"
        _edit(project / "templates/gallery" / page, '{% translate "Details" %}', '{% translate "About" %}')
    _edit(project / "static/js/upload.js", 'gettext("Processing…")', 'gettext("Thinking…")')
    problems = translations.check(project)
    assert "locale/ko/LC_MESSAGES/django.po: not in the catalog yet: 'About'" in problems
    assert "locale/ko/LC_MESSAGES/django.po: no longer in the code: 'Details'" in problems
    assert "locale/ko/LC_MESSAGES/djangojs.po: not in the catalog yet: 'Thinking…'" in problems
    assert "locale/ko/LC_MESSAGES/djangojs.po: no longer in the code: 'Processing…'" in problems
    assert len(problems) == 4


def test_the_check_finds_untranslated_fuzzy_and_uncompiled_entries(project):
    po = project / PO
    _edit(po, 'msgstr "추억 사진관"', 'msgstr ""')
    _edit(po, 'msgid "Saved."', '#, fuzzy\nmsgid "Saved."')
    problems = translations.check(project)
    assert "locale/ko/LC_MESSAGES/django.po: untranslated: 'Memory Studio'" in problems
    assert "locale/ko/LC_MESSAGES/django.po: fuzzy: 'Saved.'" in problems
    stale = "locale/ko/LC_MESSAGES/django.mo is not compiled from locale/ko/LC_MESSAGES/django.po"
    assert f"{stale}: run `make messages`." in problems
    assert len(problems) == 3


def test_the_check_finds_a_lost_placeholder(project):
    _edit(project / PO, 'msgstr "“%(name)s” 앨범을 만들었어요."', 'msgstr "앨범을 만들었어요."')
    problems = translations.check(project)
    assert len(problems) == 1
    assert problems[0].startswith("locale/ko/LC_MESSAGES/django.po: msgfmt --check failed:")
