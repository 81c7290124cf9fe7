"""Owner-scoped reads. Every page, API endpoint, media URL and admin action goes through these,
so that a user can never see or learn of another user's photos or albums."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from gallery.models import Album, Photo
from memory_studio.ids import db_id

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    AnyUser = User | AnonymousUser
else:
    AnyUser = Any


def photo_list_for_user(
    *, user: AnyUser, index_status: str | None = None, trashed: bool = False
) -> QuerySet[Photo]:
    """The user's photos, newest taken first (none for anonymous users): those outside the trash,
    or with `trashed=True` only those in it; optionally only those with this `index_status`
    (e.g. the ones whose face detection failed)."""
    if not user.is_authenticated:
        return Photo.objects.none()
    photos = Photo.objects.filter(owner_id=user.pk)
    photos = photos.trashed() if trashed else photos.live()
    if index_status is not None:
        photos = photos.filter(index_status=index_status)
    return photos.order_by("-taken_at", "-id")


def photo_get_for_user(*, user: AnyUser, photo_id: Any) -> Photo:
    """The user's photo with this id; Http404 for missing, malformed or other users' ids."""
    try:
        return photo_list_for_user(user=user).get(pk=int(photo_id))
    except (Photo.DoesNotExist, TypeError, ValueError):
        raise Http404(_("No such photo.")) from None


def album_list_for_user(*, user: AnyUser) -> QuerySet[Album]:
    """The user's albums by name, each with its summary annotated (AlbumQuerySet.with_summary:
    `photo_count`, `taken_from`, `taken_until`, `cover_photo_id`)."""
    if not user.is_authenticated:
        return Album.objects.none()
    return Album.objects.filter(owner_id=user.pk).with_summary().order_by("name", "id")


def album_get_for_user(*, user: AnyUser, album_id: Any) -> Album:
    """The user's album with this id; Http404 for missing, malformed or other users' ids."""
    try:
        return album_list_for_user(user=user).get(pk=int(album_id))
    except (Album.DoesNotExist, TypeError, ValueError):
        raise Http404(_("No such album.")) from None


def album_covers(*, albums: Iterable[Album]) -> dict[int, Photo]:
    """The cover photo of each album (from album_list_for_user) that has one, by album id, in
    one query: a list of albums shows its covers without a query per album."""
    cover_ids = {album.pk: album_cover_id(album=album) for album in albums}
    photos = Photo.objects.in_bulk([pk for pk in cover_ids.values() if pk is not None])
    return {album_pk: photos[pk] for album_pk, pk in cover_ids.items() if pk in photos}


def album_cover_id(*, album: Album) -> int | None:
    """The id of the album's cover photo (annotated by album_list_for_user); None when empty."""
    value = getattr(album, "cover_photo_id", None)
    return None if value is None else int(value)


_PHOTO_ORDER = {
    Album.SortOrder.MANUAL: ("album_memberships__position", "album_memberships__id"),
    Album.SortOrder.NEWEST: ("-taken_at", "-id"),
    Album.SortOrder.OLDEST: ("taken_at", "id"),
}


def album_photo_list(*, album: Album) -> QuerySet[Photo]:
    """Photos in an album (already owner-checked through album_get_for_user), outside the trash,
    in the album's order: its custom order, newest or oldest taken first (`album.sort_order`)."""
    photos = Photo.objects.live().filter(album_memberships__album=album, owner_id=album.owner_id)
    return photos.order_by(*_PHOTO_ORDER[Album.SortOrder(album.sort_order)])


def album_photo_ids(*, album: Album) -> list[int]:
    """The ids of album_photo_list, in its order."""
    return list(album_photo_list(album=album).values_list("pk", flat=True))


def photos_for_user_by_ids(*, user: AnyUser, photo_ids: list[int]) -> list[Photo]:
    """All the given photos, or Http404 if any is missing or someone else's."""
    wanted = set(photo_ids)
    if any(db_id(pk) is None for pk in wanted):
        raise Http404(_("No such photo."))
    photos = list(photo_list_for_user(user=user).filter(pk__in=wanted))
    if len(photos) != len(wanted):
        raise Http404(_("No such photo."))
    return photos
