"""Owner-scoped reads. Every page, API endpoint, media URL and admin action goes through these,
so that a user can never see or learn of another user's photos or albums."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
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


def photo_get_for_user(*, user: AnyUser, photo_id: Any, trashed: bool | None = False) -> Photo:
    """The user's photo with this id; Http404 for missing, malformed or other users' ids.

    Photos in the trash are 404 too unless `trashed` is None (either: the photo page and the media
    URLs, which show a trashed photo with Restore) or True (only a trashed one)."""
    if not user.is_authenticated:
        raise Http404(_("No such photo."))
    photos = Photo.objects.filter(owner_id=user.pk)
    if trashed is not None:
        photos = photos.trashed() if trashed else photos.live()
    try:
        return photos.get(pk=int(photo_id))
    except (Photo.DoesNotExist, TypeError, ValueError, OverflowError):
        raise Http404(_("No such photo.")) from None


def album_list_for_user(*, user: AnyUser) -> QuerySet[Album]:
    """The user's albums by name, with `photo_count` (photos outside the trash) annotated."""
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
    """Photos in an album (already owner-checked through album_get_for_user) outside the trash,
    newest taken first. A trashed photo keeps its albums and is back in them when restored."""
    return album.photos.filter(owner_id=album.owner_id).live().order_by("-taken_at", "-id")


def photos_for_user_by_ids(*, user: AnyUser, photo_ids: list[int], trashed: bool = False) -> list[Photo]:
    """All the given photos (outside the trash, or with `trashed=True` all in it), or Http404 if
    any is missing, someone else's or on the other side of the trash."""
    wanted = set(photo_ids)
    if any(db_id(pk) is None for pk in wanted):
        raise Http404(_("No such photo."))
    photos = list(photo_list_for_user(user=user, trashed=trashed).filter(pk__in=wanted))
    if len(photos) != len(wanted):
        raise Http404(_("No such photo."))
    return photos


def trash_list_for_user(*, user: AnyUser) -> QuerySet[Photo]:
    """The user's trash, most recently trashed first."""
    return photo_list_for_user(user=user, trashed=True).order_by("-trashed_at", "-id")


def storage_quota_bytes() -> int | None:
    """Each user's storage quota in bytes (STORAGE_QUOTA_MB), or None when unlimited."""
    quota_mb = int(settings.STORAGE_QUOTA_MB)
    return quota_mb * 1024 * 1024 if quota_mb > 0 else None


def storage_used_bytes(*, owner_id: int) -> int:
    """Bytes an owner's photos take in storage (originals and renditions), trash included."""
    return int(Photo.objects.filter(owner_id=owner_id).aggregate(used=Sum("stored_size"))["used"] or 0)


@dataclass(frozen=True)
class StorageUsage:
    used_bytes: int
    quota_bytes: int | None
    trashed_count: int
    trashed_bytes: int

    @property
    def percent(self) -> int | None:
        if not self.quota_bytes:
            return None
        return min(100, round(100 * self.used_bytes / self.quota_bytes))


def storage_usage_for_user(*, user: AnyUser) -> StorageUsage:
    """What the user's photos take in storage (trash included) and what of it is in the trash."""
    if not user.is_authenticated:
        return StorageUsage(used_bytes=0, quota_bytes=storage_quota_bytes(), trashed_count=0, trashed_bytes=0)
    totals = Photo.objects.filter(owner_id=user.pk).aggregate(
        used=Sum("stored_size"),
        trashed_count=Count("id", filter=Q(trashed_at__isnull=False)),
        trashed_bytes=Sum("stored_size", filter=Q(trashed_at__isnull=False)),
    )
    return StorageUsage(
        used_bytes=int(totals["used"] or 0),
        quota_bytes=storage_quota_bytes(),
        trashed_count=int(totals["trashed_count"] or 0),
        trashed_bytes=int(totals["trashed_bytes"] or 0),
    )
