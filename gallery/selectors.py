"""Owner-scoped reads. Every page, API endpoint, media URL and admin action goes through these,
so that a user can never see or learn of another user's photos or albums."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
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
    """The user's albums by name, with `photo_count` annotated."""
    if not user.is_authenticated:
        return Album.objects.none()
    return Album.objects.filter(owner_id=user.pk).with_photo_count().order_by("name", "id")


def album_get_for_user(*, user: AnyUser, album_id: Any) -> Album:
    """The user's album with this id; Http404 for missing, malformed or other users' ids."""
    try:
        return album_list_for_user(user=user).get(pk=int(album_id))
    except (Album.DoesNotExist, TypeError, ValueError):
        raise Http404(_("No such album.")) from None


def album_photo_list(*, album: Album) -> QuerySet[Photo]:
    """Photos in an album (already owner-checked through album_get_for_user), newest taken first."""
    return album.photos.filter(owner_id=album.owner_id).order_by("-taken_at", "-id")


def photos_for_user_by_ids(*, user: AnyUser, photo_ids: list[int]) -> list[Photo]:
    """All the given photos, or Http404 if any is missing or someone else's."""
    wanted = set(photo_ids)
    if any(db_id(pk) is None for pk in wanted):
        raise Http404(_("No such photo."))
    photos = list(photo_list_for_user(user=user).filter(pk__in=wanted))
    if len(photos) != len(wanted):
        raise Http404(_("No such photo."))
    return photos


@dataclass(frozen=True)
class Neighbours:
    """Where a photo sits in an ordered list of photos: the ones shown before and after it
    (None at either end), its 1-based position and the list's length."""

    previous: Photo | None
    next: Photo | None
    position: int
    count: int


def photo_neighbours(*, photos: QuerySet[Photo], photo: Photo) -> Neighbours:
    """The neighbours of `photo` in `photos` (the user's, already owner-scoped) in the grid's
    order, newest taken first and, for the same taken-at, highest id first, so that a burst
    of photos taken in the same second is stepped through one by one, none skipped, across the
    grid's page boundaries. Http404 if `photo` is not among `photos`."""
    if not photos.filter(pk=photo.pk).exists():
        raise Http404(_("No such photo."))
    same_time = Q(taken_at=photo.taken_at)
    before = Q(taken_at__gt=photo.taken_at) | (same_time & Q(id__gt=photo.pk))
    after = Q(taken_at__lt=photo.taken_at) | (same_time & Q(id__lt=photo.pk))
    return Neighbours(
        previous=photos.filter(before).order_by("taken_at", "id").first(),
        next=photos.filter(after).order_by("-taken_at", "-id").first(),
        position=photos.filter(before).count() + 1,
        count=photos.count(),
    )


def photo_neighbours_in_ranking(*, user: AnyUser, photo_ids: list[int], photo: Photo) -> Neighbours:
    """The neighbours of `photo` in a ranked list of photo ids (search results, best first),
    keeping only the user's live photos. Http404 if `photo` is not in the list."""
    live = set(photo_list_for_user(user=user).filter(pk__in=photo_ids).values_list("pk", flat=True))
    ranked = [pk for pk in dict.fromkeys(photo_ids) if pk in live]
    try:
        index = ranked.index(photo.pk)
    except ValueError:
        raise Http404(_("No such photo.")) from None
    wanted = [ranked[i] for i in (index - 1, index + 1) if 0 <= i < len(ranked)]
    found = {p.pk: p for p in photo_list_for_user(user=user).filter(pk__in=wanted)}
    return Neighbours(
        previous=found.get(ranked[index - 1]) if index > 0 else None,
        next=found.get(ranked[index + 1]) if index + 1 < len(ranked) else None,
        position=index + 1,
        count=len(ranked),
    )
