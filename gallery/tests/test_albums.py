"""Albums: cover (default, picked, fallback), photo count and taken-at range, custom order
(stored positions, the order API, the arrow buttons), sort choice; no query per album."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gallery import selectors, services
from gallery.models import Album, AlbumPhoto, Photo

pytestmark = pytest.mark.django_db


def _taken(photo: Photo, year: int, month: int, day: int = 10) -> Photo:
    Photo.objects.filter(pk=photo.pk).update(taken_at=dt.datetime(year, month, day, 12, tzinfo=dt.UTC))
    photo.refresh_from_db()
    return photo


@pytest.fixture
def three(photo_factory: Callable[..., Photo]) -> list[Photo]:
    """Three photos taken in March 2024, January 2025 and July 2025."""
    return [
        _taken(photo_factory(), 2024, 3),
        _taken(photo_factory(), 2025, 1),
        _taken(photo_factory(), 2025, 7),
    ]


def _album(user: Any, photos: list[Photo], name: str = "Trip") -> Album:
    album = services.album_create(owner=user, name=name)
    for photo in photos:  # one at a time: each goes to the end
        services.album_add_photos(album=album, photos=[photo])
    return album


def _api_ids(api_client: Any, album: Album) -> list[int]:
    return [p["id"] for p in api_client.get(f"/api/albums/{album.pk}/photos/").json()["results"]]


def _cover_src(html: str, album: Album) -> str | None:
    found = re.search(rf'<a class="album-cover" href="/albums/{album.pk}/"[^>]*>\s*<img src="([^"]+)"', html)
    return found.group(1) if found else None


# Order -----------------------------------------------------------------------------------------


def test_photos_added_later_go_to_the_end_and_the_album_keeps_that_order(
    user: Any, api_client: Any, three: list[Photo], photo_factory: Callable[..., Photo]
) -> None:
    newest, oldest, middle = three[2], three[0], three[1]
    album = _album(user, [newest, oldest])
    services.album_add_photos(album=album, photos=[middle, newest])  # newest is already in it

    assert _api_ids(api_client, album) == [newest.pk, oldest.pk, middle.pk]
    assert list(
        AlbumPhoto.objects.filter(album=album).order_by("position").values_list("photo_id", "position")
    ) == [(newest.pk, 0), (oldest.pk, 1), (middle.pk, 2)]
    # Several at once: at the end, oldest taken first among them.
    late, early = _taken(photo_factory(), 2030, 1), _taken(photo_factory(), 2029, 1)
    services.album_add_photos(album=album, photos=[late, early])
    assert _api_ids(api_client, album)[-2:] == [early.pk, late.pk]


def test_put_order_is_stored_and_listed_by_the_api_and_the_page(
    user: Any, api_client: Any, user_client: Any, three: list[Photo]
) -> None:
    album = _album(user, three)
    wanted = [three[1].pk, three[2].pk, three[0].pk]

    response = api_client.put(f"/api/albums/{album.pk}/order/", {"photos": wanted}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"photos": wanted}
    assert _api_ids(api_client, album) == wanted
    assert (
        list(AlbumPhoto.objects.filter(album=album).order_by("position").values_list("photo_id", flat=True))
        == wanted
    )
    html = user_client.get(f"/albums/{album.pk}/").content.decode()
    assert [int(pk) for pk in re.findall(r'data-album-photo="(\d+)"', html)] == wanted


def test_put_order_switches_a_sorted_album_to_its_custom_order(
    user: Any, api_client: Any, three: list[Photo]
) -> None:
    album = _album(user, three)
    services.album_update(album=album, sort_order="newest")
    wanted = [three[0].pk, three[2].pk, three[1].pk]

    assert (
        api_client.put(f"/api/albums/{album.pk}/order/", {"photos": wanted}, format="json").status_code == 200
    )

    album.refresh_from_db()
    assert album.sort_order == Album.SortOrder.MANUAL
    assert _api_ids(api_client, album) == wanted


@pytest.mark.parametrize(
    "payload",
    [
        {"photos": "first"},
        {"photos": ["x"]},
        {"photos": [0]},
        {},
        "order",
    ],
)
def test_put_order_refuses_malformed_input(
    user: Any, api_client: Any, three: list[Photo], payload: Any
) -> None:
    album = _album(user, three)
    before = _api_ids(api_client, album)
    response = api_client.put(f"/api/albums/{album.pk}/order/", payload, format="json")
    assert response.status_code == 400
    assert _api_ids(api_client, album) == before


def test_put_order_must_list_exactly_the_albums_photos(
    user: Any, api_client: Any, three: list[Photo], photo_factory: Callable[..., Photo]
) -> None:
    album = _album(user, three)
    outsider = photo_factory()
    a, b, c = (p.pk for p in three)
    before = [a, b, c]
    for photos in ([a, b], [a, b, c, outsider.pk], [a, b, c, c], [a, a, b, c], []):
        response = api_client.put(f"/api/albums/{album.pk}/order/", {"photos": photos}, format="json")
        assert response.status_code == 400, photos
        assert "photos" in response.json()
        assert _api_ids(api_client, album) == before


def test_put_order_with_another_users_photo_is_404_and_nothing_moves(
    user: Any, api_client: Any, three: list[Photo], other_photo: Photo, other_api_client: Any
) -> None:
    album = _album(user, three)
    before = _api_ids(api_client, album)
    mixed = [three[2].pk, other_photo.pk, three[0].pk, three[1].pk]
    assert (
        api_client.put(f"/api/albums/{album.pk}/order/", {"photos": mixed}, format="json").status_code == 404
    )
    reversed_ids = list(reversed(before))
    # Another user cannot order this album, even with its own ids.
    response = other_api_client.put(f"/api/albums/{album.pk}/order/", {"photos": reversed_ids}, format="json")
    assert response.status_code == 404
    assert _api_ids(api_client, album) == before


def test_trashed_photos_are_not_listed_nor_needed_in_the_order_and_keep_a_place(
    user: Any, api_client: Any, three: list[Photo]
) -> None:
    album = _album(user, three)
    services.photos_trash(owner=user, photos=[three[1]])
    assert _api_ids(api_client, album) == [three[0].pk, three[2].pk]

    wanted = [three[2].pk, three[0].pk]
    assert (
        api_client.put(f"/api/albums/{album.pk}/order/", {"photos": wanted}, format="json").status_code == 200
    )

    services.photos_restore(owner=user, photos=[three[1]])
    assert _api_ids(api_client, album) == [three[2].pk, three[0].pk, three[1].pk]


def test_sort_choice_newest_and_oldest_first_by_api_and_page(
    user: Any, api_client: Any, user_client: Any, three: list[Photo]
) -> None:
    album = _album(user, [three[1], three[0], three[2]])
    by_date = [p.pk for p in three]

    patched = api_client.patch(f"/api/albums/{album.pk}/", {"sort_order": "newest"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["sort_order"] == "newest"
    assert _api_ids(api_client, album) == by_date[::-1]

    response = user_client.post(f"/albums/{album.pk}/sort/", {"sort_order": "oldest"})
    assert response.status_code == 302
    assert _api_ids(api_client, album) == by_date
    assert (
        api_client.patch(f"/api/albums/{album.pk}/", {"sort_order": "random"}, format="json").status_code
        == 400
    )
    assert user_client.post(f"/albums/{album.pk}/sort/", {"sort_order": "random"}).status_code == 302
    album.refresh_from_db()
    assert album.sort_order == "oldest"

    user_client.post(f"/albums/{album.pk}/sort/", {"sort_order": "manual"})
    assert _api_ids(api_client, album) == [three[1].pk, three[0].pk, three[2].pk]  # kept meanwhile


def test_the_arrow_buttons_move_a_photo_one_place(
    user: Any, user_client: Any, api_client: Any, three: list[Photo]
) -> None:
    album = _album(user, three)
    a, b, c = (p.pk for p in three)

    response = user_client.post(f"/albums/{album.pk}/photos/{c}/move/", {"direction": "earlier"})
    assert response.status_code == 302
    assert response["Location"] == f"/albums/{album.pk}/#album-photo-{c}"
    assert _api_ids(api_client, album) == [a, c, b]
    user_client.post(f"/albums/{album.pk}/photos/{a}/move/", {"direction": "earlier"})  # first already
    assert _api_ids(api_client, album) == [a, c, b]
    user_client.post(f"/albums/{album.pk}/photos/{a}/move/", {"direction": "later"})
    assert _api_ids(api_client, album) == [c, a, b]
    user_client.post(f"/albums/{album.pk}/photos/{a}/move/", {"direction": "sideways"})
    assert _api_ids(api_client, album) == [c, a, b]


def test_moving_in_a_sorted_album_starts_from_what_is_shown(
    user: Any, user_client: Any, api_client: Any, three: list[Photo]
) -> None:
    album = _album(user, [three[1], three[0], three[2]])
    services.album_update(album=album, sort_order="newest")
    a, b, c = (p.pk for p in three)  # shown c, b, a

    user_client.post(f"/albums/{album.pk}/photos/{a}/move/", {"direction": "earlier"})

    album.refresh_from_db()
    assert album.sort_order == "manual"
    assert _api_ids(api_client, album) == [c, a, b]


def test_a_move_across_pages_lands_on_the_page_that_shows_the_photo(
    user: Any, user_client: Any, three: list[Photo], settings: Any
) -> None:
    settings.GALLERY_PAGE_SIZE = 2
    album = _album(user, three)
    response = user_client.post(f"/albums/{album.pk}/photos/{three[1].pk}/move/", {"direction": "later"})
    assert response["Location"] == f"/albums/{album.pk}/?page=2#album-photo-{three[1].pk}"


def test_a_photo_outside_the_album_cannot_be_moved(
    user: Any, user_client: Any, three: list[Photo], photo_factory: Callable[..., Photo]
) -> None:
    album = _album(user, three)
    outsider = photo_factory()
    response = user_client.post(
        f"/albums/{album.pk}/photos/{outsider.pk}/move/", {"direction": "later"}, follow=True
    )
    assert "That photo is not in this album." in response.content.decode()
    assert not AlbumPhoto.objects.filter(photo=outsider).exists()


# Cover -----------------------------------------------------------------------------------------


def test_the_cover_is_the_first_photo_by_default_then_the_picked_one(
    user: Any, api_client: Any, user_client: Any, three: list[Photo]
) -> None:
    album = _album(user, three)
    url = f"/api/albums/{album.pk}/"
    assert api_client.get(url).json()["cover"] == three[0].pk
    services.album_update(album=album, sort_order="newest")
    assert api_client.get(url).json()["cover"] == three[2].pk  # the first as the album is sorted

    picked = api_client.patch(url, {"cover": three[1].pk}, format="json")

    assert picked.status_code == 200
    body = picked.json()
    assert body["cover"] == three[1].pk
    assert body["cover_thumbnail_url"].endswith(f"/media/photos/{three[1].pk}/thumbnail/")
    html = user_client.get("/albums/").content.decode()
    assert _cover_src(html, album) == f"/media/photos/{three[1].pk}/thumbnail/"
    thumbnail = user_client.get(_cover_src(html, album))
    with three[1].thumbnail.open("rb") as stored:
        assert b"".join(thumbnail.streaming_content) == stored.read()

    back = api_client.patch(url, {"cover": None}, format="json")
    assert back.json()["cover"] == three[2].pk
    album.refresh_from_db()
    assert album.cover_id is None


def test_the_album_page_picks_the_cover_and_goes_back_to_the_default(
    user: Any, user_client: Any, three: list[Photo]
) -> None:
    album = _album(user, three)
    html = user_client.get(f"/albums/{album.pk}/").content.decode()
    assert html.count("Set as album cover") == 2  # every photo but the cover
    response = user_client.post(f"/albums/{album.pk}/cover/", {"photo": three[2].pk})
    assert response.status_code == 302
    album.refresh_from_db()
    assert album.cover_id == three[2].pk
    html = user_client.get(f"/albums/{album.pk}/").content.decode()
    assert "Use the first photo as the cover" in html
    user_client.post(f"/albums/{album.pk}/cover/", {"photo": ""})
    album.refresh_from_db()
    assert album.cover_id is None


@pytest.mark.parametrize("leave", ["remove", "trash", "delete"])
def test_a_cover_that_leaves_the_album_falls_back_to_the_first_photo(
    user: Any, api_client: Any, three: list[Photo], leave: str
) -> None:
    album = _album(user, three)
    services.album_set_cover(album=album, photo=three[0])
    assert api_client.get(f"/api/albums/{album.pk}/").json()["cover"] == three[0].pk

    if leave == "remove":
        services.album_remove_photos(album=album, photos=[three[0]])
    elif leave == "trash":
        services.photos_trash(owner=user, photos=[three[0]])
    else:
        services.photo_delete(photo=three[0])

    listed = api_client.get("/api/albums/").json()["results"][0]
    assert listed["cover"] == three[1].pk
    assert listed["cover_thumbnail_url"].endswith(f"/media/photos/{three[1].pk}/thumbnail/")
    assert listed["photo_count"] == 2


def test_a_cover_must_be_in_the_album(
    user: Any, api_client: Any, user_client: Any, three: list[Photo], photo_factory: Callable[..., Photo]
) -> None:
    album = _album(user, three[:2])
    outsider = three[2]
    response = api_client.patch(
        f"/api/albums/{album.pk}/", {"name": "Renamed", "cover": outsider.pk}, format="json"
    )
    assert response.status_code == 400
    assert "cover" in response.json()
    album.refresh_from_db()
    assert (album.name, album.cover_id) == ("Trip", None)  # all or nothing
    assert api_client.patch(f"/api/albums/{album.pk}/", {"cover": "x"}, format="json").status_code == 400
    page = user_client.post(f"/albums/{album.pk}/cover/", {"photo": outsider.pk}, follow=True)
    assert "That photo is not in this album." in page.content.decode()
    assert user_client.post(f"/albums/{album.pk}/cover/", {"photo": "x"}).status_code == 404
    album.refresh_from_db()
    assert album.cover_id is None


def test_another_users_photo_as_cover_is_404(
    user: Any, api_client: Any, user_client: Any, three: list[Photo], other_photo: Photo
) -> None:
    album = _album(user, three)
    assert (
        api_client.patch(f"/api/albums/{album.pk}/", {"cover": other_photo.pk}, format="json").status_code
        == 404
    )
    assert user_client.post(f"/albums/{album.pk}/cover/", {"photo": other_photo.pk}).status_code == 404
    album.refresh_from_db()
    assert album.cover_id is None


# Count and dates -------------------------------------------------------------------------------


def test_count_and_taken_range_in_the_api(user: Any, api_client: Any, three: list[Photo]) -> None:
    album = _album(user, three)
    empty = services.album_create(owner=user, name="Empty")
    services.photos_trash(owner=user, photos=[three[2]])

    body = api_client.get(f"/api/albums/{album.pk}/").json()

    assert body["photo_count"] == 2
    assert body["taken_from"].startswith("2024-03-10T")
    assert body["taken_until"].startswith("2025-01-10T")
    assert api_client.get(f"/api/albums/{empty.pk}/").json() | {
        "id": 0,
        "created_at": "",
        "updated_at": "",
    } == {
        "id": 0,
        "name": "Empty",
        "created_at": "",
        "updated_at": "",
        "photo_count": 0,
        "taken_from": None,
        "taken_until": None,
        "sort_order": "manual",
        "cover": None,
        "cover_thumbnail_url": None,
    }


def _card(html: str, album: Album) -> str:
    start = html.index(f'href="/albums/{album.pk}/" class="album-name"')
    return html[start : html.index("</li>", start)]


def test_the_album_list_shows_count_and_months_localised(
    user: Any, user_client: Any, three: list[Photo], photo_factory: Callable[..., Photo]
) -> None:
    spanning = _album(user, three, name="Spanning")
    one_month = _album(
        user, [_taken(photo_factory(), 2024, 3, 1), _taken(photo_factory(), 2024, 3, 30)], "Month"
    )
    empty = services.album_create(owner=user, name="Empty")

    english = user_client.get("/albums/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    korean = user_client.get("/albums/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "3 photos" in _card(english, spanning)
    assert "March 2024 \u2013 July 2025" in _card(english, spanning)
    assert "2024년 3월 \u2013 2025년 7월" in _card(korean, spanning)
    assert "사진 3장" in _card(korean, spanning)
    assert "2024년 3월" in _card(korean, one_month)
    assert "\u2013" not in _card(korean, one_month)
    assert 'class="muted album-dates"' not in _card(korean, empty)
    assert _cover_src(english, empty) is None


def test_the_range_is_in_the_viewers_time_zone(
    user: Any, user_client: Any, photo_factory: Callable[..., Photo]
) -> None:
    # 31 December 2024, 20:00 UTC is already January 2025 in Seoul.
    photo = photo_factory()
    Photo.objects.filter(pk=photo.pk).update(taken_at=dt.datetime(2024, 12, 31, 20, tzinfo=dt.UTC))
    album = _album(user, [photo])
    user.time_zone = "Asia/Seoul"
    user.save(update_fields=["time_zone"])
    html = user_client.get("/albums/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "2025년 1월" in _card(html, album)


# Queries ---------------------------------------------------------------------------------------


def _queries(fetch: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    assert response.status_code == 200
    return len(captured)


def test_album_list_page_and_api_use_no_query_per_album(
    user: Any, user_client: Any, api_client: Any, photo_factory: Callable[..., Photo]
) -> None:
    photos = [photo_factory() for _ in range(6)]
    _album(user, photos[:2], "A")
    page_few = _queries(lambda: user_client.get("/albums/"))
    api_few = _queries(lambda: api_client.get("/api/albums/"))
    for n in range(4):
        album = _album(user, photos[n : n + 3], f"B{n}")
        services.album_set_cover(album=album, photo=photos[n + 1])
    services.album_create(owner=user, name="Empty")

    assert _queries(lambda: user_client.get("/albums/")) == page_few
    assert _queries(lambda: api_client.get("/api/albums/")) == api_few
    html = user_client.get("/albums/").content.decode()
    assert html.count('<a class="album-cover"') == 6
    assert html.count("<img src=") == 5  # the empty album has no cover image


def test_album_page_uses_no_query_per_photo(
    user: Any, user_client: Any, photo_factory: Callable[..., Photo]
) -> None:
    album = _album(user, [photo_factory()], "A")
    few = _queries(lambda: user_client.get(f"/albums/{album.pk}/"))
    services.album_add_photos(album=album, photos=[photo_factory() for _ in range(5)])
    assert _queries(lambda: user_client.get(f"/albums/{album.pk}/")) == few


def test_album_covers_selector_is_one_query(
    user: Any, three: list[Photo], django_assert_num_queries: Any
) -> None:
    for name in "abc":
        _album(user, three, name)
    albums = list(selectors.album_list_for_user(user=user))
    with django_assert_num_queries(1):
        covers = selectors.album_covers(albums=albums)
    assert {pk: p.pk for pk, p in covers.items()} == {a.pk: three[0].pk for a in albums}


def test_album_page_sort_form_and_order_script(user: Any, user_client: Any, three: list[Photo]) -> None:
    from django.contrib.staticfiles import finders

    album = _album(user, three)
    html = user_client.get(reverse("gallery:album_detail", kwargs={"album_id": album.pk})).content.decode()
    assert finders.find("js/album_order.js")
    assert '<script src="/static/js/album_order.js"' in html
    assert f'data-order-url="/api/albums/{album.pk}/order/"' in html
    assert f"[{three[0].pk}, {three[1].pk}, {three[2].pk}]" in html  # the whole order, for the script
    assert html.count('class="album-drag-handle"') == 3
    services.album_update(album=album, sort_order="oldest")
    html = user_client.get(reverse("gallery:album_detail", kwargs={"album_id": album.pk})).content.decode()
    assert '<option value="oldest" selected>' in html
    assert "album-drag-handle" not in html  # only the custom order is arranged by hand
