"""The full-screen viewer's order: the photos before and after one in the grid, an album or
search results, named in the URL; the page's links (no JavaScript) and the JSON API agree."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from django.utils import timezone
from PIL import Image

from gallery import services
from gallery.models import Photo
from people.services import person_create
from recognition import index
from recognition.ml.types import DetectedFace, FaceEmbedding
from recognition.models import Face, SearchQuery
from recognition.services import photo_faces_replace, search_query_create

pytestmark = pytest.mark.django_db

MODEL = "dlib-resnet"  # the test settings' RECOGNITION_MODEL: faces of it are searched
T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def _taken(photo: Photo, when: dt.datetime) -> Photo:
    Photo.objects.filter(pk=photo.pk).update(taken_at=when)
    photo.refresh_from_db()
    return photo


def _api(api_client: Any, photo: Photo, query: str = "") -> dict[str, Any]:
    response = api_client.get(f"/api/photos/{photo.pk}/viewer/{query}")
    assert response.status_code == 200, response.content
    return dict(response.json())


def _ids(body: dict[str, Any]) -> tuple[int | None, int | None]:
    return (
        body["previous"]["id"] if body["previous"] else None,
        body["next"]["id"] if body["next"] else None,
    )


def _walk(api_client: Any, first: Photo, query: str = "") -> list[int]:
    """Every photo from `first`, following `next` to the end (and checking `previous` back)."""
    seen = [first.pk]
    body = _api(api_client, first, query)
    assert body["previous"] is None
    while body["next"] is not None:
        assert body["position"] == len(seen)
        nxt = Photo.objects.get(pk=body["next"]["id"])
        assert body["next"]["view_url"] == f"/photos/{nxt.pk}/view/{query}"
        body = _api(api_client, nxt, query)
        assert body["previous"]["id"] == seen[-1]
        seen.append(nxt.pk)
        assert len(seen) < 50
    assert body["position"] == body["count"] == len(seen)
    return seen


@pytest.fixture
def burst(user: Any, photo_factory: Any) -> list[Photo]:
    """Five photos in the grid's order: one newer, three taken in the same second, one older."""
    newer = _taken(photo_factory(title="newer"), T0 + dt.timedelta(days=1))
    same = [_taken(photo_factory(title=f"same {n}"), T0) for n in range(3)]
    older = _taken(photo_factory(title="older"), T0 - dt.timedelta(days=1))
    return [newer, *sorted(same, key=lambda p: p.pk, reverse=True), older]


def test_the_grid_order_steps_through_a_burst_by_id_from_first_to_last(api_client, burst, user_client):
    grid = list(user_client.get("/").context["page"])
    assert grid == burst  # the viewer's order is the grid's
    assert _walk(api_client, burst[0]) == [p.pk for p in burst]
    # Backwards too, and the ends have no neighbour on their outer side.
    last = _api(api_client, burst[-1])
    assert _ids(last) == (burst[-2].pk, None)
    assert (last["position"], last["count"]) == (5, 5)
    middle = _api(api_client, burst[2])
    assert _ids(middle) == (burst[1].pk, burst[3].pk)


def test_the_page_works_without_javascript_with_the_same_links(user_client, burst):
    photo = burst[2]
    response = user_client.get(f"/photos/{photo.pk}/view/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf'id="viewer-prev"[^>]*\s+href="/photos/{burst[1].pk}/view/"', html)
    assert re.search(rf'id="viewer-next"[^>]*\s+href="/photos/{burst[3].pk}/view/"', html)
    assert f'href="/photos/{photo.pk}/"' in html  # info: the photo's page
    assert f'href="/media/photos/{photo.pk}/original/?download=1"' in html
    assert f'href="/#photo-{photo.pk}"' in html  # close: the grid, at this photo
    assert f'data-photo-id="{photo.pk}"' in html
    # The displayed image is this photo's display rendition, served to its owner.
    src = re.search(r'id="viewer-image" src="([^"]+)"', html)
    assert src is not None
    served = user_client.get(src.group(1))
    with photo.display.open("rb") as stored:
        assert b"".join(served.streaming_content) == stored.read()
    # The script reads the same data as the API's.
    script = re.search(r'<script id="viewer-data" type="application/json">(.*?)</script>', html)
    assert script is not None
    data = json.loads(script.group(1))
    assert (data["previous"]["id"], data["next"]["id"]) == (burst[1].pk, burst[3].pk)
    # At the start there is no link back, at the end none forward.
    first = user_client.get(f"/photos/{burst[0].pk}/view/").content.decode()
    assert re.search(r'id="viewer-prev"[^>]*aria-disabled="true" hidden', first)
    last = user_client.get(f"/photos/{burst[-1].pk}/view/").content.decode()
    assert re.search(r'id="viewer-next"[^>]*aria-disabled="true" hidden', last)


def test_the_order_crosses_the_grids_pages_and_closing_returns_to_the_photos_page(
    user_client, api_client, burst, settings
):
    settings.GALLERY_PAGE_SIZE = 2
    # burst[1] ends page 1, burst[2] starts page 2: they are still neighbours.
    assert _ids(_api(api_client, burst[1])) == (burst[0].pk, burst[2].pk)
    assert _api(api_client, burst[1])["close_url"] == f"/#photo-{burst[1].pk}"
    assert _api(api_client, burst[2])["close_url"] == f"/?page=2#photo-{burst[2].pk}"
    assert _api(api_client, burst[4])["close_url"] == f"/?page=3#photo-{burst[4].pk}"
    page = user_client.get("/?page=2").content.decode()
    assert f'id="photo-{burst[2].pk}"' in page  # where the close link's fragment lands


def test_grid_tiles_open_the_viewer_in_the_grids_filtered_order(user, user_client, api_client, burst):
    face = FaceEmbedding(
        face=DetectedFace(box=(5.0, 5.0, 25.0, 25.0), score=0.99, landmarks=()),
        vector=np.full(128, 128**-0.5, dtype=np.float32),
    )
    for photo in (burst[0], burst[3]):
        photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=[face])
    person = person_create(owner=user, faces=list(Face.objects.filter(owner=user)), name="민지")
    html = user_client.get(f"/?person={person.pk}").content.decode()
    assert f'href="/photos/{burst[3].pk}/view/?person={person.pk}"' in html
    query = f"?person={person.pk}"
    assert _walk(api_client, burst[0], query) == [burst[0].pk, burst[3].pk]
    assert _api(api_client, burst[3], query)["close_url"] == f"/?person={person.pk}#photo-{burst[3].pk}"
    # A photo the filter leaves out is not in this order.
    assert api_client.get(f"/api/photos/{burst[1].pk}/viewer/{query}").status_code == 404


def test_an_album_steps_through_its_own_photos_only(user, user_client, api_client, burst):
    album = services.album_create(owner=user, name="여행")
    services.album_add_photos(album=album, photos=[burst[4], burst[1], burst[3]])
    query = f"?album={album.pk}"
    assert _walk(api_client, burst[1], query) == [burst[1].pk, burst[3].pk, burst[4].pk]
    body = _api(api_client, burst[3], query)
    assert body["query"] == query
    assert body["close_url"] == f"/albums/{album.pk}/#photo-{burst[3].pk}"
    # The album page's tiles open the viewer in the album's order.
    html = user_client.get(f"/albums/{album.pk}/").content.decode()
    assert f'href="/photos/{burst[3].pk}/view/?album={album.pk}"' in html
    # A photo of yours that is not in the album is not in its order.
    assert user_client.get(f"/photos/{burst[2].pk}/view/{query}").status_code == 404
    assert api_client.get(f"/api/photos/{burst[2].pk}/viewer/{query}").status_code == 404


def test_trashed_photos_are_skipped_and_not_shown(user, user_client, api_client, burst):
    services.photos_trash(owner=user, photos=[burst[2]])
    assert _walk(api_client, burst[0]) == [p.pk for p in burst if p != burst[2]]
    assert user_client.get(f"/photos/{burst[2].pk}/view/").status_code == 404
    album = services.album_create(owner=user, name="여행")
    services.album_add_photos(album=album, photos=burst)
    assert _walk(api_client, burst[0], f"?album={album.pk}") == [p.pk for p in burst if p != burst[2]]


def test_another_users_album_or_photo_is_404_and_the_viewer_needs_a_login(
    client, user, other_user, api_client, burst, photo_factory
):
    theirs = services.album_create(owner=other_user, name="Theirs")
    their_photo = photo_factory(other_user)
    services.album_add_photos(album=theirs, photos=[their_photo])
    for url in (
        f"/api/photos/{burst[0].pk}/viewer/?album={theirs.pk}",
        f"/api/photos/{their_photo.pk}/viewer/",
        f"/api/photos/{their_photo.pk}/viewer/?album={theirs.pk}",
        f"/api/photos/{burst[0].pk}/viewer/?album=zzz",
        f"/api/photos/{burst[0].pk}/viewer/?face_id=zzz",
    ):
        assert api_client.get(url).status_code == 404, url
    response = client.get(f"/photos/{burst[0].pk}/view/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get(f"/api/photos/{burst[0].pk}/viewer/").status_code in (401, 403)


# Search: vectors at known cosine similarities to the query's face (e0).
def _vector(similarity: float, axis: int) -> np.ndarray:
    vector = np.zeros(128, dtype=np.float32)
    vector[0] = similarity
    vector[axis] = np.sqrt(1 - similarity**2)
    return vector


def _embedding(vector: np.ndarray, x: float = 5.0, size: float = 20.0) -> FaceEmbedding:
    box = (x, 5.0, x + size, 5.0 + size)
    return FaceEmbedding(face=DetectedFace(box=box, score=0.99, landmarks=()), vector=vector)


@pytest.fixture(autouse=True)
def _fresh_face_index() -> Iterator[None]:
    """Searches here cache this process's face matrices by (owner id, index version); a later
    test's library, rolled back to the same ids and versions, must not find this one's faces."""
    index.clear_cache()
    yield
    index.clear_cache()


@pytest.fixture
def ranked(user: Any, photo_factory: Any, settings: Any) -> dict[str, Any]:
    """Photos whose faces are 0.95, 0.8, 0.8, 0.6, 0.4 and 0.1 similar to a kept query's large
    face (thresholds: loose 0.3, default 0.5, strict 0.675); its small face is the 0.1 one."""
    settings.RECOGNITION_SEARCH_THRESHOLD = 0.5
    similarities = [0.6, 0.95, 0.1, 0.8, 0.4, 0.8]
    photos: dict[float, list[Photo]] = {}
    for n, similarity in enumerate(similarities):
        photo = photo_factory(title=f"s{similarity}")
        photo_faces_replace(
            photo_id=photo.pk, model_key=MODEL, faces=[_embedding(_vector(similarity, n + 1))]
        )
        photos.setdefault(similarity, []).append(photo)
    query = search_query_create(
        owner=user,
        image=Image.new("RGB", (100, 60), (200, 120, 40)),
        faces=[_embedding(_vector(1.0, 1)), _embedding(_vector(0.1, 3), x=60.0, size=30.0)],
        model_key=MODEL,
    )
    return {"photos": photos, "query": query}


def test_search_results_step_in_ranked_order_at_the_urls_strictness(api_client, ranked):
    photos, query = ranked["photos"], ranked["query"]
    best = photos[0.95][0]
    # Without `face`, the query's largest face (face 1), as on the search page: only the photo
    # whose face is its own vector matches it.
    assert _walk(api_client, photos[0.1][0], f"?search={query.pk}") == [photos[0.1][0].pk]
    # Face 0: 0.95 first, the two 0.8 (in a stable order), then 0.6; 0.4 is below the default.
    face0 = f"?search={query.pk}&face=0"
    walked = _walk(api_client, best, face0)
    assert walked[0] == best.pk
    assert set(walked[1:3]) == {p.pk for p in photos[0.8]}
    assert walked[3:] == [photos[0.6][0].pk]
    assert _walk(api_client, best, face0) == walked  # the same order every time
    assert _walk(api_client, best, face0 + "&strictness=loose") == [*walked, photos[0.4][0].pk]
    assert _walk(api_client, best, face0 + "&strictness=strict") == walked[:3]
    body = _api(api_client, photos[0.6][0], face0)
    assert body["close_url"] == f"/search/?q={query.pk}&face=0#photo-{photos[0.6][0].pk}"
    # A photo outside these results is not in this order, nor is a face the query does not have.
    assert api_client.get(f"/api/photos/{photos[0.4][0].pk}/viewer/{face0}").status_code == 404
    assert api_client.get(f"/api/photos/{best.pk}/viewer/?search={query.pk}&face=7").status_code == 404


def test_a_faces_search_results_step_in_ranked_order(api_client, user_client, ranked):
    photos = ranked["photos"]
    best = photos[0.95][0]
    face = Face.objects.get(photo=best)
    # Similar to that face (0.95 of e0): itself, then the two 0.8 photos (0.76) at "strict".
    query = f"?face_id={face.pk}&strictness=strict"
    walked = _walk(api_client, best, query)
    assert walked[0] == best.pk
    assert set(walked[1:]) == {p.pk for p in photos[0.8]}
    page = user_client.get(f"/photos/{walked[-1]}/view/{query}")
    assert page.status_code == 200
    assert (
        f'href="/search/?face_id={face.pk}&amp;strictness=strict#photo-{walked[-1]}"' in page.content.decode()
    )


def test_an_expired_or_another_users_search_is_404(
    api_client, other_api_client, ranked, other_user, photo_factory
):
    photos, query = ranked["photos"], ranked["query"]
    best = photos[0.95][0]
    mine = photo_factory(other_user)
    assert other_api_client.get(f"/api/photos/{mine.pk}/viewer/?search={query.pk}").status_code == 404
    face = Face.objects.get(photo=best)
    assert other_api_client.get(f"/api/photos/{mine.pk}/viewer/?face_id={face.pk}").status_code == 404
    SearchQuery.objects.filter(pk=query.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    assert api_client.get(f"/api/photos/{best.pk}/viewer/?search={query.pk}&face=0").status_code == 404


def test_the_photo_page_opens_the_viewer_and_the_viewer_links_back(user_client, burst):
    photo = burst[1]
    html = user_client.get(f"/photos/{photo.pk}/").content.decode()
    assert f'id="photo-view-link" href="/photos/{photo.pk}/view/"' in html
    viewer = user_client.get(f"/photos/{photo.pk}/view/").content.decode()
    assert re.search(rf'id="viewer-info" href="/photos/{photo.pk}/"', viewer)


def test_the_failed_filter_of_the_grid_is_the_viewers_order_too(user_client, api_client, burst):
    failed = [burst[1], burst[3]]
    Photo.objects.filter(pk__in=[p.pk for p in failed]).update(index_status=Photo.IndexStatus.FAILED)
    html = user_client.get("/?status=failed").content.decode()
    assert f'href="/photos/{burst[3].pk}/view/?status=failed"' in html
    assert _walk(api_client, burst[1], "?status=failed") == [p.pk for p in failed]
    assert _api(api_client, burst[3], "?status=failed")["close_url"] == f"/?status=failed#photo-{burst[3].pk}"


@pytest.mark.parametrize(
    "query",
    [
        "?album=",
        "?album=99999999999999999999999",
        "?album=-1",
        "?album=%00",
        "?person=99999999999999999999999",
        "?person=x",
        "?face_id=99999999999999999999999",
        "?face_id=0",
        "?search=",
        "?search=%00",
        "?search=" + "a" * 40,
    ],
)
def test_a_malformed_order_is_404_not_an_error(user_client, api_client, photo, query):
    assert user_client.get(f"/photos/{photo.pk}/view/{query}").status_code == 404
    assert api_client.get(f"/api/photos/{photo.pk}/viewer/{query}").status_code == 404


def test_a_malformed_face_number_or_strictness_is_ignored_like_on_the_search_page(api_client, ranked):
    best, query = ranked["photos"][0.95][0], ranked["query"]
    body = _api(api_client, best, f"?search={query.pk}&face=0&strictness=zzz")
    assert body["query"] == f"?search={query.pk}&face=0"
    # No valid face number: the largest face's results, which do not hold this photo.
    assert api_client.get(f"/api/photos/{best.pk}/viewer/?search={query.pk}&face=x1").status_code == 404


def test_a_step_costs_a_few_queries_whatever_the_librarys_size(
    api_client, burst, photo_factory, django_assert_max_num_queries
):
    for _ in range(20):
        photo_factory()
    with django_assert_max_num_queries(6):  # the photo, membership, two neighbours, two counts
        _api(api_client, burst[2])
