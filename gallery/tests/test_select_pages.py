"""The selection markup on the pages: a checkbox per tile, the bar (remove from album only on an
album page), and the Download button only where the zip download exists."""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, include, path, reverse

from gallery import services
from gallery import urls as gallery_urls
from memory_studio import urls as root_urls

pytestmark = pytest.mark.django_db

CHECKS = re.compile(r'<input type="checkbox" class="tile-check" value="(\d+)"')


def _download_url() -> str | None:
    try:
        return reverse("gallery:photos_download")
    except NoReverseMatch:
        return None


def test_the_grid_has_a_checkbox_per_tile_and_a_hidden_bar(user_client, user, photo_factory, other_photo):
    photos = [photo_factory(title=f"P{n}") for n in range(3)]

    html = user_client.get("/").content.decode()

    assert 'id="photo-grid" data-select-grid' in html
    assert sorted(int(pk) for pk in CHECKS.findall(html)) == sorted(p.pk for p in photos)
    assert 'aria-label="Select P0"' in html
    bar = re.search(r'<div class="selection-bar"[^>]*>', html)
    assert bar is not None
    assert 'role="region"' in bar.group(0)
    assert 'data-api="/api/photos/bulk/"' in bar.group(0)
    assert bar.group(0).rstrip(">").endswith("hidden")
    assert 'id="selection-count" aria-live="polite"' in html
    assert 'id="selection-remove"' not in html  # only an album page removes from an album
    assert "js/select.js" in html


def test_the_album_page_can_remove_from_that_album(user_client, user, photo_factory):
    album = services.album_create(owner=user, name="Trip")
    services.album_add_photos(album=album, photos=[photo_factory(), photo_factory()])

    html = user_client.get(f"/albums/{album.pk}/").content.decode()

    assert "data-select-grid" in html
    assert len(CHECKS.findall(html)) == 2
    assert f'data-album-id="{album.pk}"' in html
    assert 'id="selection-remove"' in html


def test_empty_pages_have_no_bar(user_client, user):
    album = services.album_create(owner=user, name="Empty")
    for url in ("/", f"/albums/{album.pk}/"):
        assert 'id="selection-bar"' not in user_client.get(url).content.decode()


def test_download_shows_exactly_when_the_zip_download_exists(user_client, photo_factory):
    photo_factory()
    html = user_client.get("/").content.decode()
    url = _download_url()
    if url is None:
        assert 'id="selection-download"' not in html
    else:
        assert f'action="{url}" id="selection-download"' in html


def _zip_stub(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"zip")


def test_download_posts_the_selection_to_the_zip_download_once_it_exists(
    user_client, photo_factory, settings
):
    """The zip download is built elsewhere; with its URL present the bar offers a POST form to it."""
    photo_factory()
    gallery = [path("photos/download/", _zip_stub, name="photos_download"), *gallery_urls.urlpatterns]
    urlconf = ModuleType("urls_with_zip_download")
    urlconf.urlpatterns = [path("", include((gallery, "gallery"))), *root_urls.urlpatterns]  # type: ignore[attr-defined]
    settings.ROOT_URLCONF = urlconf

    html = user_client.get("/").content.decode()

    form = re.search(
        r'<form method="post" action="([^"]+)" id="selection-download"[^>]*>(.*?)</form>', html, re.S
    )
    assert form is not None
    assert form.group(1) == "/photos/download/"
    assert 'name="csrfmiddlewaretoken"' in form.group(2)


def test_another_users_page_shows_none_of_my_checkboxes(other_client, user, photo_factory):
    mine: Any = photo_factory(title="Private")
    html = other_client.get("/").content.decode()
    assert f'value="{mine.pk}"' not in html
    assert "Private" not in html
