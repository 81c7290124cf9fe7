"""The full-screen viewer's order: which photos ←/→ step through.

The order is named in the viewer's query string, so that a reload, Back or a link kept for
later reopens the same photo among the same photos:

- nothing: the grid (all your photos, newest taken first), with the grid's own filters
  `person=<id>` (repeatable), `status=failed`, `q=` (its search) and `ordering=` (its sort);
- `album=<id>`: that album's photos, in the album page's order;
- `search=<query id>` (optionally `face=<n>`) or `face_id=<id>`, with `strictness=`: the search
  page's results for that query, best match first.

Every id in a context is looked up through the owner-scoped selectors: another user's album,
person, face or search query is a 404, as is a photo that is not in the context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils.http import urlencode

from gallery import selectors
from gallery.models import Album, Photo
from memory_studio.ids import db_id
from people import selectors as people_selectors
from recognition import search as face_search
from recognition.runtime import active_model_key
from recognition.selectors import face_get_for_user, search_query_get_for_user

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class ViewerPlace:
    """A photo in the viewer: its neighbours in the context's order, the context's query string
    (to keep on every viewer URL) and the page that closing the viewer returns to."""

    photo: Photo
    neighbours: selectors.Neighbours
    query: str
    close_url: str


def grid_query(
    *,
    only_failed: bool = False,
    person_ids: Sequence[int] = (),
    filters: selectors.PhotoFilters | None = None,
) -> str:
    """The viewer's query string for the grid with these filters (the grid's tiles link with it)."""
    return _query_string(
        _grid_pairs(
            only_failed=only_failed, person_ids=person_ids, filters=filters or selectors.PhotoFilters()
        )
    )


def _grid_pairs(
    *, only_failed: bool, person_ids: Sequence[int], filters: selectors.PhotoFilters
) -> list[tuple[str, str]]:
    pairs = [("status", str(Photo.IndexStatus.FAILED))] if only_failed else []
    pairs += [("person", str(pk)) for pk in person_ids]
    if filters.q:
        pairs.append(("q", filters.q))
    if filters.ordering != selectors.DEFAULT_PHOTO_ORDERING:
        pairs.append(("ordering", filters.ordering))
    return pairs


def album_query(album: Album) -> str:
    """The viewer's query string for an album's photos (the album page's tiles link with it)."""
    return _query_string([("album", str(album.pk))])


def _query_string(pairs: list[tuple[str, str]]) -> str:
    return "?" + urlencode(pairs) if pairs else ""


def _page_of(position: int) -> list[tuple[str, str]]:
    page = (position - 1) // settings.GALLERY_PAGE_SIZE + 1
    return [("page", str(page))] if page > 1 else []


def viewer_place(*, user: User, photo_id: int, params: QueryDict) -> ViewerPlace:
    """The photo `photo_id` of `user` in the order `params` names (see the module's docstring)."""
    photo = selectors.photo_get_for_user(user=user, photo_id=photo_id)
    if "album" in params:
        return _album_place(user=user, photo=photo, album_id=params.get("album", ""))
    if "search" in params or "face_id" in params:
        return _search_place(user=user, photo=photo, params=params)
    return _grid_place(user=user, photo=photo, params=params)


def _grid_place(*, user: User, photo: Photo, params: QueryDict) -> ViewerPlace:
    from gallery.forms import PhotoFilterForm  # forms import the selectors; this module too

    failed = Photo.IndexStatus.FAILED
    only_failed = params.get("status") == failed
    grid_filters = PhotoFilterForm(params).filters()
    photos = selectors.photo_list_for_user(
        user=user, index_status=failed if only_failed else None, filters=grid_filters
    )
    persons = []
    if person_ids := params.getlist("person"):
        persons = people_selectors.persons_by_ids_for_user(user=user, person_ids=person_ids)
        photos = people_selectors.photos_with_persons(
            user=user, persons=persons, model_key=active_model_key(), photos=photos
        )
    filters = _grid_pairs(
        only_failed=only_failed, person_ids=[person.pk for person in persons], filters=grid_filters
    )
    if grid_filters == selectors.PhotoFilters():
        neighbours = selectors.photo_neighbours(photos=photos, photo=photo)  # a few indexed queries
    else:  # a search or another sort: step through the list's ids in its order
        ids = list(photos.values_list("pk", flat=True))
        neighbours = selectors.photo_neighbours_in_ranking(
            user=user, photo_ids=ids, photo=photo, live_already=True
        )
    close = reverse("gallery:photo_list") + _query_string(filters + _page_of(neighbours.position))
    return ViewerPlace(
        photo=photo,
        neighbours=neighbours,
        query=_query_string(filters),
        close_url=f"{close}#photo-{photo.pk}",
    )


def _album_place(*, user: User, photo: Photo, album_id: str) -> ViewerPlace:
    album = selectors.album_get_for_user(user=user, album_id=album_id)
    # The album page's order (its custom order, or newest/oldest taken first), outside the trash.
    ids = selectors.album_photo_ids(album=album)
    neighbours = selectors.photo_neighbours_in_ranking(
        user=user, photo_ids=ids, photo=photo, live_already=True
    )
    close = reverse("gallery:album_detail", kwargs={"album_id": album.pk})
    return ViewerPlace(
        photo=photo,
        neighbours=neighbours,
        query=album_query(album),
        close_url=f"{close}{_query_string(_page_of(neighbours.position))}#photo-{photo.pk}",
    )


def _search_place(*, user: User, photo: Photo, params: QueryDict) -> ViewerPlace:
    strictness = params.get("strictness", "default")
    if strictness not in face_search.STRICTNESS:
        strictness = "default"
    extra = [("strictness", strictness)] if strictness != "default" else []
    try:
        if "search" in params:
            query = search_query_get_for_user(user=user, query_id=params.get("search", ""))
            face_text = params.get("face", "")
            # As on the search page: a face number that is not one (or absurdly long) is ignored.
            is_number = face_text.isascii() and face_text.isdecimal() and len(face_text) < 4
            face_index = int(face_text) if is_number else None
            photo_ids = face_search.ranked_photo_ids(
                user=user, query=query, face_index=face_index, strictness=strictness
            )
            named = [("search", query.pk)] + ([("face", str(face_index))] if face_index is not None else [])
            page = [("q", query.pk)] + ([("face", str(face_index))] if face_index is not None else [])
        else:
            face_id = db_id(params.get("face_id"))
            if face_id is None:
                raise Http404
            face = face_get_for_user(user=user, face_id=face_id)
            photo_ids = face_search.ranked_photo_ids(user=user, face=face, strictness=strictness)
            named = page = [("face_id", str(face.pk))]
    except face_search.SearchError as exc:
        raise Http404(str(exc)) from None
    neighbours = selectors.photo_neighbours_in_ranking(user=user, photo_ids=photo_ids, photo=photo)
    close = reverse("recognition:search") + _query_string(page + extra)
    return ViewerPlace(
        photo=photo,
        neighbours=neighbours,
        query=_query_string(named + extra),
        close_url=f"{close}#photo-{photo.pk}",
    )
