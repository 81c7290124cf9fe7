"""Owner-scoped reads. Every page, API endpoint, media URL and admin action goes through these,
so that a user can never see or learn of another user's photos or albums."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from gallery.models import Album, AlbumShare, Photo
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
