"""The timeline (issue 10): the photo list's filters and orderings in the selector, the API and
the grid; date headers in the user's time zone; the jump-to list."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.urls import reverse

from gallery import selectors, services
from gallery.models import Photo
from gallery.selectors import PhotoFilters
from gallery.timeline import jump_years, timeline_groups
from people.services import person_create
from recognition.ml.types import DetectedFace, FaceEmbedding
from recognition.models import Face
from recognition.runtime import active_model_key
from recognition.services import photo_faces_replace

pytestmark = pytest.mark.django_db

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def dated(photo_factory: Callable[..., Photo]) -> Callable[..., Photo]:
    """A photo with the given taken (and uploaded) moments, through the real upload service."""

    def make(
        taken: dt.datetime, *, uploaded: dt.datetime | None = None, owner: Any = None, **kwargs: Any
    ) -> Photo:
        photo = photo_factory(owner, **kwargs)
        Photo.objects.filter(pk=photo.pk).update(taken_at=taken, uploaded_at=uploaded or taken)
        photo.refresh_from_db()
        return photo

    return make


def ids(photos: Any) -> list[int]:
    return [p.pk for p in photos]


def listed(user: Any, **filters: Any) -> list[int]:
    return ids(selectors.photo_list_for_user(user=user, filters=PhotoFilters(**filters)))


def a_face() -> FaceEmbedding:
    marks = ((15.0, 10.0), (25.0, 10.0), (20.0, 15.0), (16.0, 20.0), (24.0, 20.0))
    vector = np.full(128, 128**-0.5, dtype=np.float32)
    return FaceEmbedding(
        face=DetectedFace(box=(5.0, 5.0, 30.0, 30.0), score=0.99, landmarks=marks), vector=vector
    )


def seoul(user: Any) -> Any:
    user.time_zone = "Asia/Seoul"
    user.save(update_fields=["time_zone"])
    return user


# The selector


def test_search_matches_every_word_in_title_caption_or_file_name(user, other_user, dated):
    beach = dated(at(2026, 8, 1), title="Beach day", caption="with 민지")
    file_only = dated(at(2026, 8, 2), name="SEA_0001.jpg")
    caption_only = dated(at(2026, 8, 3), caption="A walk by the sea")
    dated(at(2026, 8, 4), title="Mountain")
    dated(at(2026, 8, 5), owner=other_user, title="Beach secret", caption="sea 민지")
    assert listed(user, q="beach") == [beach.pk]  # case-insensitive, only the user's
    assert listed(user, q="SEA") == [caption_only.pk, file_only.pk]
    assert listed(user, q="민지") == [beach.pk]
    assert listed(user, q="beach 민지") == [beach.pk]  # every word must match
    assert listed(user, q="beach sea") == []
    assert listed(user, q="  ") == ids(selectors.photo_list_for_user(user=user))


def test_orderings_by_taken_and_uploaded_date_break_ties_by_id(user, dated):
    a = dated(at(2026, 1, 1, 10), uploaded=at(2026, 3, 1))
    b = dated(at(2026, 1, 1, 10), uploaded=at(2026, 2, 1))  # same taken_at as a
    c = dated(at(2026, 1, 2), uploaded=at(2026, 2, 1))  # same uploaded_at as b
    assert listed(user) == [c.pk, b.pk, a.pk]  # -taken_at, then -id
    assert listed(user, ordering="taken_at") == [a.pk, b.pk, c.pk]
    assert listed(user, ordering="-uploaded_at") == [a.pk, c.pk, b.pk]
    assert listed(user, ordering="uploaded_at") == [b.pk, c.pk, a.pk]
    with pytest.raises(ValueError, match="ordering"):
        listed(user, ordering="size")


def test_a_date_means_the_users_local_day(user, dated):
    # 23:30 UTC on the 28th is 08:30 on the 29th in Seoul.
    late = dated(at(2026, 11, 28, 23, 30))
    before_midnight_seoul = dated(at(2026, 11, 28, 14, 59))  # 23:59 in Seoul, on the 28th
    day = {"taken_after": dt.date(2026, 11, 29), "taken_before": dt.date(2026, 11, 30)}
    assert listed(user, **day) == []  # UTC user: the photo is on the 28th
    assert listed(user, taken_after=dt.date(2026, 11, 28), taken_before=dt.date(2026, 11, 29)) == [
        late.pk,
        before_midnight_seoul.pk,
    ]
    seoul(user)
    assert listed(user, **day) == [late.pk]
    # A naive datetime is Seoul time; an aware one is kept as given.
    assert listed(user, taken_after=dt.datetime(2026, 11, 29, 8, 30)) == [late.pk]
    assert listed(user, taken_after=dt.datetime(2026, 11, 29, 8, 31)) == []
    assert listed(user, taken_before=at(2026, 11, 28, 23, 30)) == [before_midnight_seoul.pk]


def test_trashed_photos_stay_out_of_filtered_lists(user, dated):
    kept = dated(at(2026, 5, 1), title="바다")
    gone = dated(at(2026, 5, 2), title="바다")
    services.photos_trash(owner=user, photos=[gone])
    assert listed(user, q="바다", ordering="uploaded_at") == [kept.pk]


def test_months_count_in_the_users_time_zone_with_the_page_of_their_first_photo(user, dated):
    for day in (1, 2, 3):
        dated(at(2026, 11, day))
    dated(at(2026, 10, 31, 16))  # 1 November, 01:00 in Seoul
    dated(at(2026, 10, 5))
    dated(at(2025, 12, 24))

    def months(**filters: Any) -> list[tuple[str, int, int]]:
        f = PhotoFilters(**filters)
        rows = selectors.photo_months(
            selectors.photo_list_for_user(user=user, filters=f), filters=f, zone=SEOUL, page_size=2
        )
        return [(f"{m.month:%Y-%m}", m.count, m.page) for m in rows]

    assert months() == [("2026-11", 4, 1), ("2026-10", 1, 3), ("2025-12", 1, 3)]
    assert months(ordering="taken_at") == [("2025-12", 1, 1), ("2026-10", 1, 1), ("2026-11", 4, 2)]
    assert months(q="nothing") == []


def test_months_follow_the_upload_date_when_sorted_by_it_and_group_under_years(user, dated):
    dated(at(2020, 5, 5), uploaded=at(2026, 2, 1))
    dated(at(2020, 5, 6), uploaded=at(2026, 1, 1))
    dated(at(2021, 7, 7), uploaded=at(2025, 12, 31))
    f = PhotoFilters(ordering="-uploaded_at")
    photos = selectors.photo_list_for_user(user=user, filters=f)
    months = selectors.photo_months(photos, filters=f, zone=zoneinfo.ZoneInfo("UTC"), page_size=1)
    assert [(f"{m.month:%Y-%m}", m.count, m.page) for m in months] == [
        ("2026-02", 1, 1),
        ("2026-01", 1, 2),
        ("2025-12", 1, 3),
    ]
    years = jump_years(months)
    assert [(y.year, y.count, y.page, y.anchor, len(y.months)) for y in years] == [
        (2026, 2, 1, "m-2026-02", 2),
        (2025, 1, 3, "m-2025-12", 1),
    ]


# Grouping


def test_groups_by_local_day_newest_first_and_continue_across_pages(user, dated):
    photos = [
        dated(at(2026, 11, 28, 23, 30)),  # the 29th in Seoul
        dated(at(2026, 11, 28, 12)),
        dated(at(2026, 11, 28, 1)),
    ]
    page = sorted(photos, key=lambda p: p.taken_at, reverse=True)
    groups = timeline_groups(page, date_field="taken_at", zone=SEOUL)
    assert [(g.date, len(g.photos), g.by_month) for g in groups] == [
        (dt.date(2026, 11, 29), 1, False),
        (dt.date(2026, 11, 28), 2, False),
    ]
    assert [g.anchor for g in groups] == ["m-2026-11", "d-2026-11-28"]
    utc = timeline_groups(page, date_field="taken_at", zone=zoneinfo.ZoneInfo("UTC"))
    assert [(g.date, len(g.photos)) for g in utc] == [(dt.date(2026, 11, 28), 3)]
    # The next page starts with the same day: "continued"; a new day is not.
    rest = timeline_groups(page[2:], date_field="taken_at", zone=SEOUL, previous=page[1])
    assert rest[0].continued
    assert not timeline_groups(page[1:], date_field="taken_at", zone=SEOUL, previous=page[0])[0].continued


def test_a_page_spread_thin_over_many_days_gets_month_headers(user, dated):
    # Nine days with one photo each: more than 8 days, under 3 photos a day.
    sparse = [dated(at(2026, 10 if d > 4 else 9, d * 3)) for d in range(9, 0, -1)]
    groups = timeline_groups(sparse, date_field="taken_at", zone=SEOUL)
    assert [(g.date, len(g.photos), g.by_month) for g in groups] == [
        (dt.date(2026, 10, 1), 5, True),
        (dt.date(2026, 9, 1), 4, True),
    ]
    # The same days with three photos each keep their day headers.
    busy = [p for p in sparse for _ in range(3)]
    assert all(not g.by_month for g in timeline_groups(busy, date_field="taken_at", zone=SEOUL))
    assert len(timeline_groups(busy, date_field="taken_at", zone=SEOUL)) == 9


# The API


def api_ids(client: Any, **params: Any) -> list[int]:
    response = client.get("/api/photos/", params)
    assert response.status_code == 200, response.content
    return [p["id"] for p in response.json()["results"]]


def test_api_filters_combine_and_never_list_other_users_photos(api_client, user, other_user, dated):
    seoul(user)
    beach_late = dated(at(2026, 11, 28, 23, 30), title="Beach")  # the 29th in Seoul
    beach_early = dated(at(2026, 11, 28, 1), title="Beach")
    dated(at(2026, 11, 29, 3), title="Forest")
    dated(at(2026, 11, 29, 3), owner=other_user, title="Beach")
    assert api_ids(api_client, q="beach") == [beach_late.pk, beach_early.pk]
    assert api_ids(api_client, q="beach", taken_after="2026-11-29") == [beach_late.pk]
    assert api_ids(api_client, q="beach", taken_before="2026-11-29") == [beach_early.pk]
    assert api_ids(api_client, q="beach", ordering="taken_at") == [beach_early.pk, beach_late.pk]
    # An offset is kept: 08:30 in Seoul is 23:30 UTC.
    assert api_ids(api_client, taken_after="2026-11-28T23:30Z", taken_before="2026-11-29T08:31+09:00") == [
        beach_late.pk
    ]
    assert api_ids(api_client, taken_after="2026-11-29T08:30", q="beach") == [beach_late.pk]


def test_api_pagination_with_equal_dates_neither_skips_nor_repeats(api_client, settings, dated):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 2}
    burst = [dated(at(2026, 7, 7, 7)) for _ in range(5)]
    for ordering, expected in (
        ("-taken_at", sorted(ids(burst), reverse=True)),
        ("taken_at", sorted(ids(burst))),
        ("-uploaded_at", sorted(ids(burst), reverse=True)),
    ):
        seen: list[int] = []
        url: str | None = f"/api/photos/?ordering={ordering}"
        while url:
            body = api_client.get(url).json()
            seen += [p["id"] for p in body["results"]]
            url = body["next"]
        assert seen == expected, ordering


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"taken_after": "yesterday"}, "taken_after"),
        ({"taken_after": "2026-02-30"}, "taken_after"),
        ({"taken_before": "2026-11-29T25:00"}, "taken_before"),
        ({"taken_before": "0001-01-01"}, "taken_before"),
        ({"taken_after": "2026-11-30", "taken_before": "2026-11-29"}, "taken_before"),
        ({"taken_after": "2026-11-29", "taken_before": "2026-11-29"}, "taken_before"),
        ({"ordering": "size"}, "ordering"),
        ({"ordering": "-id"}, "ordering"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_api_bad_filters_are_400s_naming_the_parameter(api_client, photo, params, field):
    response = api_client.get("/api/photos/", params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == [field]
    assert body[field]
    assert all(isinstance(m, str) and m for m in body[field])


def test_api_album_photos_take_the_same_filters(api_client, user, other_user, dated):
    album = services.album_create(owner=user, name="Trip")
    sea = dated(at(2026, 6, 1), title="Sea")
    hill = dated(at(2026, 6, 2), title="Hill")
    dated(at(2026, 6, 3), title="Sea, not in the album")
    services.album_add_photos(album=album, photos=[sea, hill])
    url = f"/api/albums/{album.pk}/photos/"
    assert [p["id"] for p in api_client.get(url, {"q": "sea"}).json()["results"]] == [sea.pk]
    assert [p["id"] for p in api_client.get(url, {"ordering": "taken_at"}).json()["results"]] == [
        sea.pk,
        hill.pk,
    ]
    assert api_client.get(url, {"ordering": "nope"}).status_code == 400


def test_api_person_filter_combines_with_the_others(api_client, user, dated):
    with_person = [dated(at(2026, 4, day), title=title) for day, title in ((1, "Park"), (2, "Home"))]
    dated(at(2026, 4, 3), title="Park")
    for photo in with_person:
        photo_faces_replace(photo_id=photo.pk, model_key=active_model_key(), faces=[a_face()])
    faces = list(Face.objects.filter(photo__in=with_person))
    person = person_create(owner=user, faces=faces, name="민지")
    assert api_ids(api_client, person=person.pk) == [with_person[1].pk, with_person[0].pk]
    assert api_ids(api_client, person=person.pk, q="park") == [with_person[0].pk]
    assert api_ids(api_client, person=person.pk, ordering="taken_at") == ids(with_person)


def test_schema_documents_the_filters(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/api/photos/", "/api/albums/{album_id}/photos/"):
        operation = schema["paths"][path]["get"]
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert {"q", "taken_after", "taken_before", "ordering"} <= set(parameters), path
        assert set(parameters["ordering"]["schema"]["enum"]) == {
            "taken_at",
            "-taken_at",
            "uploaded_at",
            "-uploaded_at",
        }
        assert "inclusive" in parameters["taken_after"]["description"]
        assert "exclusive" in parameters["taken_before"]["description"]
        assert "400" in operation["responses"]


# The grid


def headers(html: str) -> list[str]:
    found = re.findall(r'<h2 class="timeline-date"[^>]*>(.*?)</h2>', html, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", h)).strip() for h in found]


def test_grid_has_localised_day_headers_in_the_users_time_zone(user_client, user, dated):
    seoul(user)
    dated(at(2026, 11, 28, 23, 30))  # Sunday the 29th in Seoul
    dated(at(2026, 11, 28, 1))
    english = user_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert headers(english) == ["Nov. 29, 2026 Sunday", "Nov. 28, 2026 Saturday"]
    korean = user_client.get("/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert headers(korean) == ["2026년 11월 29일 일요일", "2026년 11월 28일 토요일"]


def test_grid_headers_follow_the_chosen_date_and_continue_on_the_next_page(user_client, settings, dated):
    settings.GALLERY_PAGE_SIZE = 2
    newest = dated(at(2026, 3, 3), uploaded=at(2026, 11, 2))
    dated(at(2026, 3, 3), uploaded=at(2026, 11, 1))
    dated(at(2026, 3, 3), uploaded=at(2026, 11, 1))
    first = user_client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert headers(first.content.decode()) == ["March 3, 2026 Tuesday"]
    second = user_client.get("/", {"page": 2}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert headers(second) == ["March 3, 2026 Tuesday (continued)"]
    korean = user_client.get("/", {"page": 2}, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert headers(korean) == ["2026년 3월 3일 화요일 (이어서)"]
    by_upload = user_client.get("/", {"ordering": "-uploaded_at"}, HTTP_ACCEPT_LANGUAGE="en")
    assert headers(by_upload.content.decode()) == ["Nov. 2, 2026 Monday", "Nov. 1, 2026 Sunday"]
    assert next(iter(by_upload.context["page"])) == newest
    html = by_upload.content.decode()
    # The filters survive paging: the next page keeps the order.
    assert re.search(r'href="\?ordering=-uploaded_at&amp;page=2"', html)
    assert 'option value="-uploaded_at" selected' in html
    assert re.search(r'page=2">\s*Older →', html)
    # Oldest first, the next page holds newer photos.
    oldest_first = user_client.get("/", {"ordering": "uploaded_at"}, HTTP_ACCEPT_LANGUAGE="en")
    assert re.search(r'page=2">\s*Newer →', oldest_first.content.decode())


def test_jump_to_lists_months_with_counts_and_links_to_the_page_that_holds_them(user_client, settings, dated):
    settings.GALLERY_PAGE_SIZE = 2
    for day in (10, 11, 12):
        dated(at(2026, 11, day), title="바다")
    october = dated(at(2026, 10, 1), title="바다")
    dated(at(2025, 1, 1), title="숲")
    response = user_client.get("/", {"q": "바다"}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    jump = re.search(r'<details class="jump-to".*?</details>', html, flags=re.S)
    assert jump is not None
    links = re.findall(
        r'<a href="([^"]+)" data-month="([^"]+)">(\w+) <span class="muted">(\d+)</span>', jump[0]
    )
    # Only the searched photos count; the search stays in the links.
    assert links == [
        ("?q=%EB%B0%94%EB%8B%A4&amp;page=1#m-2026-11", "2026-11", "November", "3"),
        ("?q=%EB%B0%94%EB%8B%A4&amp;page=2#m-2026-10", "2026-10", "October", "1"),
    ]
    assert "2025" not in jump[0]
    assert "4 photos" in jump[0]
    korean = user_client.get("/", {"q": "바다"}, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "<summary>날짜로 이동</summary>" in korean
    assert ">2026년</a>" in korean
    assert "사진 4장" in korean
    assert '>11월 <span class="muted">3</span>' in korean
    landed = user_client.get("/", {"q": "바다", "page": 2}).content.decode()
    # The page holds October's first photo, under the anchor the link names.
    section = re.search(r'<section class="timeline-group" id="m-2026-10".*?</section>', landed, flags=re.S)
    assert section is not None
    assert f'data-photo-id="{october.pk}"' in section[0]


def test_search_combines_with_the_failed_filter_and_says_when_nothing_matches(user_client, dated):
    failed = dated(at(2026, 2, 1), title="바다")
    dated(at(2026, 2, 2), title="바다")
    dated(at(2026, 2, 3), title="산")
    Photo.objects.filter(pk=failed.pk).update(index_status=Photo.IndexStatus.FAILED)
    response = user_client.get("/", {"q": "바다", "status": "failed"})
    assert list(response.context["page"]) == [failed]
    html = response.content.decode()
    assert '<input type="hidden" name="status" value="failed">' in html  # kept by the search form
    assert 'value="바다"' in html
    nothing = user_client.get("/", {"q": "없는말"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="no-search-results"' in nothing
    assert "No photo matches “없는말”." in nothing
    # A bad order from an old link falls back to the default instead of failing.
    fallback = user_client.get("/", {"ordering": "size", "q": "바다"})
    assert fallback.status_code == 200
    assert [p.title for p in fallback.context["page"]] == ["바다", "바다"]


def test_grid_never_shows_another_users_photos_whatever_the_filters(user_client, other_user, dated):
    secret = dated(at(2026, 1, 1), owner=other_user, title="Secret")
    for params in ({"q": "Secret"}, {"ordering": "uploaded_at"}, {"q": "secret", "status": "failed"}):
        html = user_client.get("/", params).content.decode()
        assert f'data-photo-id="{secret.pk}"' not in html
        assert "jump-to" not in html


def test_album_page_searches_and_sorts_its_photos(user_client, user, dated):
    album = services.album_create(owner=user, name="여행")
    sea = dated(at(2026, 6, 1), title="바다")
    hill = dated(at(2026, 6, 2), title="언덕")
    outside = dated(at(2026, 6, 3), title="바다 밖")
    services.album_add_photos(album=album, photos=[sea, hill])
    url = reverse("gallery:album_detail", kwargs={"album_id": album.pk})
    assert list(user_client.get(url, {"q": "바다"}).context["page"]) == [sea]
    assert list(user_client.get(url, {"ordering": "taken_at"}).context["page"]) == [sea, hill]
    html = user_client.get(url, {"q": "없는말"}).content.decode()
    assert 'id="no-search-results"' in html
    assert f'data-photo-id="{outside.pk}"' not in user_client.get(url).content.decode()
