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


def photos_for_user_by_ids(*, user: AnyUser, photo_ids: Iterable[Any], trashed: bool = False) -> list[Photo]:
    """All the given photos, or Http404 if any is missing, malformed or someone else's. Only photos
    outside the trash count, or with `trashed=True` only those in it (a photo on the wrong side is
    missing too)."""
    given = {db_id(pk) for pk in photo_ids}
    wanted = {pk for pk in given if pk is not None}
    if len(wanted) != len(given):
        raise Http404(_("No such photo."))
    photos = list(photo_list_for_user(user=user, trashed=trashed).filter(pk__in=wanted))
    if len(photos) != len(wanted):
        raise Http404(_("No such photo."))
    return photos
