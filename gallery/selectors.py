"""Owner-scoped reads. Every page, API endpoint, media URL and admin action goes through these,
so that a user can never see or learn of another user's photos or albums."""

from __future__ import annotations

import datetime as dt
import hmac
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.preferences import user_time_zone
from gallery.models import Album, AlbumShare, Photo
from memory_studio.ids import db_id

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    AnyUser = User | AnonymousUser
else:
    AnyUser = Any


# The orderings of photo lists; each ends with the id in the same direction, so photos with the
# same date keep one stable order (pagination and prev/next never skip or repeat one).
PHOTO_ORDERINGS: dict[str, tuple[str, str]] = {
    "-taken_at": ("-taken_at", "-id"),
    "taken_at": ("taken_at", "id"),
    "-uploaded_at": ("-uploaded_at", "-id"),
    "uploaded_at": ("uploaded_at", "id"),
}
DEFAULT_PHOTO_ORDERING = "-taken_at"
SEARCH_MAX_LENGTH = 200
SEARCH_MAX_TERMS = 10


@dataclass(frozen=True)
class PhotoFilters:
    """What a photo list may be narrowed and sorted by (the grid, album pages and the API).

    - `q`: words that must each appear in the title, the caption or the original file name
      (case-insensitive; every word must match, each in any of them).
    - `taken_after` (inclusive) and `taken_before` (exclusive): a date means midnight at the start
      of that day in the user's time zone, so `taken_after=2026-11-29&taken_before=2026-11-30`
      is the 29th, local time; a datetime without an offset is the user's local time.
    - `ordering`: one of PHOTO_ORDERINGS' keys, newest taken first by default.
    """

    q: str = ""
    taken_after: dt.date | dt.datetime | None = None
    taken_before: dt.date | dt.datetime | None = None
    ordering: str = DEFAULT_PHOTO_ORDERING

    @property
    def date_field(self) -> str:
        """The date the list is sorted by (and the timeline's headers follow)."""
        return self.ordering.lstrip("-")

    @property
    def newest_first(self) -> bool:
        return self.ordering.startswith("-")


def local_moment(value: dt.date | dt.datetime, *, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """An aware datetime: a date is the start of that day in `zone`, a naive datetime is read in
    `zone`, an aware one is kept."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def photos_filtered(
    photos: QuerySet[Photo], *, filters: PhotoFilters, zone: zoneinfo.ZoneInfo
) -> QuerySet[Photo]:
    """`photos` (already owner-scoped) narrowed and sorted by `filters`: the one place the pages
    and the API apply them."""
    for term in filters.q[:SEARCH_MAX_LENGTH].split()[:SEARCH_MAX_TERMS]:
        photos = photos.filter(
            Q(title__icontains=term) | Q(caption__icontains=term) | Q(original_filename__icontains=term)
        )
    if filters.taken_after is not None:
        photos = photos.filter(taken_at__gte=local_moment(filters.taken_after, zone=zone))
    if filters.taken_before is not None:
        photos = photos.filter(taken_at__lt=local_moment(filters.taken_before, zone=zone))
    ordering = PHOTO_ORDERINGS.get(filters.ordering)
    if ordering is None:
        raise ValueError(f"Unknown photo ordering: {filters.ordering!r}")
    return photos.order_by(*ordering)


def photo_list_for_user(
    *,
    user: AnyUser,
    index_status: str | None = None,
    trashed: bool = False,
    filters: PhotoFilters | None = None,
) -> QuerySet[Photo]:
    """The user's photos, newest taken first (none for anonymous users): those outside the trash,
    or with `trashed=True` only those in it; optionally only those with this `index_status`
    (e.g. the ones whose face detection failed), and narrowed and sorted by `filters` (dates in
    the user's time zone)."""
    if not user.is_authenticated:
        return Photo.objects.none()
    photos = Photo.objects.filter(owner_id=user.pk)
    photos = photos.trashed() if trashed else photos.live()
    if index_status is not None:
        photos = photos.filter(index_status=index_status)
    return photos_filtered(photos, filters=filters or PhotoFilters(), zone=user_time_zone(user))


@dataclass(frozen=True)
class MonthCount:
    """A month (its first day, local time) that has photos, how many, and the page of the list
    (1-based) that holds its first photo."""

    month: dt.date
    count: int
    page: int


def photo_months(
    photos: QuerySet[Photo], *, filters: PhotoFilters, zone: zoneinfo.ZoneInfo, page_size: int
) -> list[MonthCount]:
    """The months of `photos` (filtered and sorted by `filters`) by the list's date in `zone`, in
    the list's order, each with its count and the page its first photo is on: one query."""
    rows = (
        photos.order_by()
        .annotate(month=TruncMonth(filters.date_field, tzinfo=zone))
        .values("month")
        .annotate(count=Count("id"))
        .order_by("-month" if filters.newest_first else "month")
    )
    months = []
    before = 0
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.astimezone(zone).date() if month.tzinfo else month.date()
        months.append(MonthCount(month=month, count=row["count"], page=before // page_size + 1))
        before += row["count"]
    return months


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


def album_photo_list(
    *, album: Album, filters: PhotoFilters | None = None, album_order: bool = True
) -> QuerySet[Photo]:
    """Photos in an album (already owner-checked through album_get_for_user), outside the trash,
    narrowed by `filters` (dates in the owner's time zone), in the album's order (its custom
    order, newest or oldest taken first: `album.sort_order`), or with `album_order=False` in
    `filters.ordering`."""
    photos: QuerySet[Photo] = Photo.objects.live().filter(
        album_memberships__album=album, owner_id=album.owner_id
    )
    if filters is not None:
        photos = photos_filtered(photos, filters=filters, zone=user_time_zone(album.owner))
    if album_order or filters is None:
        photos = photos.order_by(*_PHOTO_ORDER[Album.SortOrder(album.sort_order)])
    return photos


def album_photo_ids(*, album: Album) -> list[int]:
    """The ids of album_photo_list, in its order."""
    return list(album_photo_list(album=album).values_list("pk", flat=True))


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


def album_photos_to_download(*, album: Album) -> QuerySet[Photo]:
    """The album's photos that a download holds: those not in the trash, newest taken first."""
    return album_photo_list(album=album).filter(trashed_at__isnull=True)


# Album share links: the owner's side (owner-scoped like everything above), then the visitor's
# side, where the link's token is the only credential and reaches only its album's live photos.


def album_share_list(*, album: Album) -> QuerySet[AlbumShare]:
    """The share links of an album (already owner-checked through album_get_for_user), newest
    first, revoked and expired ones included."""
    return album.shares.order_by("-created_at", "-id")


def album_share_get_for_user(*, user: AnyUser, album_id: Any, share_id: Any) -> AlbumShare:
    """The user's share link `share_id` of their album `album_id`; Http404 otherwise."""
    album = album_get_for_user(user=user, album_id=album_id)
    share_pk = db_id(share_id)
    share = album_share_list(album=album).filter(pk=share_pk).first() if share_pk else None
    if share is None:
        raise Http404(_("No such share link."))
    return share


def album_share_get_by_token(*, token: str) -> AlbumShare:
    """The active share link whose token this is; Http404 for an unknown, revoked or expired one.

    The lookup is by the token's SHA-256, so the database's comparison learns nothing useful
    about the token from its timing; the digest is compared again in constant time."""
    if not token or len(token) > 100:
        raise Http404(_("No such share link."))
    digest = AlbumShare.hash_token(token)
    share = AlbumShare.objects.active().select_related("album").filter(token_hash=digest).first()
    if share is None or not hmac.compare_digest(share.token_hash, digest):
        raise Http404(_("No such share link."))
    return share


def shared_photo_list(*, share: AlbumShare) -> QuerySet[Photo]:
    """What a share link shows: its album's photos outside the trash, in album order."""
    return album_photo_list(album=share.album).filter(trashed_at__isnull=True)


def shared_photo_get(*, share: AlbumShare, photo_id: Any) -> Photo:
    """A photo of the shared album (outside the trash); Http404 for any other photo."""
    pk = db_id(photo_id)
    photo = shared_photo_list(share=share).filter(pk=pk).first() if pk else None
    if photo is None:
        raise Http404(_("No such photo."))
    return photo


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


def photo_neighbours_in_ranking(
    *, user: AnyUser, photo_ids: list[int], photo: Photo, live_already: bool = False
) -> Neighbours:
    """The neighbours of `photo` in a ranked list of photo ids (search results, best first),
    keeping only the user's live photos (`live_already`: the ids come from an owner-scoped list
    of live photos, such as an album's or the grid's, and need no check). Http404 if `photo` is
    not in the list."""
    if live_already:
        ranked = list(dict.fromkeys(photo_ids))
    else:
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
