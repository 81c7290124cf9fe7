"""Writes for photos and albums: keyword-only, typed, transactional.

On any failure `photo_create` leaves nothing behind (no row, no stored file); deleting a
photo removes its files only after the database commit.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Literal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from gallery import images
from gallery.cleanup import files_delete_after_commit, files_delete_now
from gallery.images import DuplicatePhoto, StorageQuotaExceeded
from gallery.models import Album, AlbumPhoto, AlbumShare, Photo, PhotoQuerySet
from gallery.selectors import storage_quota_bytes, storage_used_bytes
from gallery.storage import STORAGE_ERRORS, StorageUnavailable, photo_storage
from people.services import lock_owner_faces, persons_refresh_covers
from recognition.models import Face
from recognition.services import faces_forget_owner, faces_forget_photo, photo_mark_index_pending
from recognition.tasks import enqueue_photo_indexing

if TYPE_CHECKING:
    from accounts.models import User

TITLE_MAX = 200
ALBUM_NAME_MAX = 120


def _duplicate_of(*, owner: User, content_hash: str) -> DuplicatePhoto | None:
    existing = Photo.objects.filter(owner=owner, content_hash=content_hash).order_by("pk").first()
    if existing is None:
        return None
    if existing.trashed_at is not None:
        message = _("This photo is in your trash (%(title)s). Restore it instead of uploading it again.") % {
            "title": existing.display_title
        }
        return DuplicatePhoto(message, existing_id=existing.pk, in_trash=True)
    message = _("You already have this photo (%(title)s).") % {"title": existing.display_title}
    return DuplicatePhoto(message, existing_id=existing.pk)


def _check_quota(*, owner: User, adding: int) -> None:
    """Refuse `adding` more bytes that would take the owner over STORAGE_QUOTA_MB (trash included)."""
    quota = storage_quota_bytes()
    if quota is None:
        return
    used = storage_used_bytes(owner_id=owner.pk)
    if used + adding > quota:
        raise StorageQuotaExceeded(
            _(
                "Not enough storage: this photo needs %(needed)s but only %(free)s of your %(quota)s "
                "is left. Empty the trash or delete photos to make room."
            )
            % {
                "needed": filesizeformat(adding),
                "free": filesizeformat(max(0, quota - used)),
                "quota": filesizeformat(quota),
            }
        )


def photo_create(
    *,
    owner: User,
    upload: File[bytes] | IO[bytes],
    title: str = "",
    caption: str = "",
) -> Photo:
    """Validate an upload, store its original and renditions, and create the Photo.

    Raises `InvalidImage` (bad input, a message for people), `DuplicatePhoto` (the owner
    already has these exact bytes, maybe in the trash: `in_trash`), `StorageQuotaExceeded` or
    `StorageUnavailable`. A unique constraint on (owner,
    content hash) settles concurrent uploads of the same bytes: one is stored, the others raise
    `DuplicatePhoto` and their files are removed.
    """
    data = images.read_upload(upload)
    processed = images.process(data)
    duplicate = _duplicate_of(owner=owner, content_hash=processed.content_hash)
    if duplicate is not None:
        raise duplicate
    stored_size = len(data) + len(processed.display) + len(processed.thumbnail)
    _check_quota(owner=owner, adding=stored_size)  # early, before any file is written
    now = timezone.now()
    filename = PurePath(str(getattr(upload, "name", "") or "")).name
    photo = Photo(
        owner=owner,
        title=title.strip()[:TITLE_MAX],
        caption=caption.strip(),
        original_filename=filename[:255],
        content_hash=processed.content_hash,
        width=processed.width,
        height=processed.height,
        size=len(data),
        stored_size=stored_size,
        mime_type=processed.mime_type,
        taken_at=processed.taken_at or now,
        taken_at_from_exif=processed.taken_at is not None,
        uploaded_at=now,
    )
    storage = photo_storage()
    saved: list[str] = []
    renditions = (
        (photo.original, data, processed.extension),
        (photo.display, processed.display, images.RENDITION_EXTENSION),
        (photo.thumbnail, processed.thumbnail, images.RENDITION_EXTENSION),
    )
    try:
        # Files first, outside the transaction: no database lock is held while they are written.
        for field, content, extension in renditions:
            field.save(f"upload.{extension}", ContentFile(content), save=False)
            saved.append(str(field.name))
        with transaction.atomic():
            if storage_quota_bytes() is not None:
                # Concurrent uploads of one owner are counted one after the other.
                type(owner).objects.select_for_update().filter(pk=owner.pk).exists()
                _check_quota(owner=owner, adding=stored_size)
            photo.save()
    except IntegrityError:
        files_delete_now(names=saved, storage=storage)
        # Another upload of the same bytes committed between our check and our insert.
        duplicate = _duplicate_of(owner=owner, content_hash=processed.content_hash)
        if duplicate is None:
            raise  # some other constraint (the owner was deleted meanwhile)
        raise duplicate from None
    except STORAGE_ERRORS as exc:
        files_delete_now(names=saved, storage=storage)
        raise StorageUnavailable() from exc
    except BaseException:
        files_delete_now(names=saved, storage=storage)
        raise
    enqueue_photo_indexing(photo.pk)
    # Inline (no broker, no outer transaction) the indexing has already run: report its outcome.
    photo.refresh_from_db(fields=["index_status", "index_model", "index_error", "indexed_at", "face_count"])
    return photo


def photo_reindex(*, photo: Photo) -> Photo:
    """Run face detection on a photo again (after a failure, typically), with the active model.

    The photo is pending until the job runs; inline (no broker) it has run when this returns,
    and the photo carries the outcome (`index_status`, `index_error`, `face_count`).
    """
    photo_mark_index_pending(photo_id=photo.pk)
    enqueue_photo_indexing(photo.pk)
    photo.refresh_from_db(fields=["index_status", "index_model", "index_error", "indexed_at", "face_count"])
    return photo


@transaction.atomic
def photo_update(*, photo: Photo, title: str | None = None, caption: str | None = None) -> Photo:
    """Change a photo's title and/or caption (None leaves a field as it is)."""
    fields: list[str] = []
    if title is not None:
        photo.title = title.strip()[:TITLE_MAX]
        fields.append("title")
    if caption is not None:
        photo.caption = caption.strip()
        fields.append("caption")
    if fields:
        photo.save(update_fields=fields)
    return photo


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    """Delete the row now and its files from storage once the deletion is committed (a storage
    outage leaves PendingDeletion rows that `sweep_storage` retries)."""
    names = photo.file_names
    # The same lock order as indexing: the owner's faces, the photo, then the face index row.
    lock_owner_faces(owner_id=photo.owner_id)
    Photo.objects.select_for_update().filter(pk=photo.pk).exists()
    faces_forget_photo(photo=photo)
    photo.delete()
    # Queued in this transaction, deleted after the commit; retried later if the storage is down.
    files_delete_after_commit(names=names)


@transaction.atomic
def photos_delete_for_owner(*, owner: User) -> int:
    """Delete every photo of `owner` in a few statements (their faces first, as `photo_delete`
    does, with one deletion event per face model); the files go after the commit. Returns how
    many photos were deleted."""
    lock_owner_faces(owner_id=owner.pk)
    photos = Photo.objects.select_for_update().filter(owner=owner)
    names = [
        name
        for fields in photos.values_list("original", "display", "thumbnail").iterator(chunk_size=2000)
        for name in fields
        if name
    ]
    faces_forget_owner(owner_id=owner.pk)
    deleted = Photo.objects.filter(owner=owner).delete()[1].get(Photo._meta.label, 0)
    files_delete_after_commit(names=names)
    return deleted


@transaction.atomic
def photos_trash(*, owner: User, photos: Iterable[Photo]) -> int:
    """Move the owner's photos to the trash (hidden everywhere, files and faces kept). Returns
    how many moved; photos already in the trash keep their date."""
    ids = [p.pk for p in _owned(owner, photos)]
    moved = Photo.objects.filter(owner=owner, pk__in=ids, trashed_at__isnull=True).update(
        trashed_at=timezone.now()
    )
    _refresh_covers_of_photos(owner=owner, photo_ids=ids)
    return moved


@transaction.atomic
def photos_restore(*, owner: User, photos: Iterable[Photo]) -> int:
    """Take the owner's photos out of the trash, back where they were. Returns how many."""
    ids = [p.pk for p in _owned(owner, photos)]
    restored = Photo.objects.filter(owner=owner, pk__in=ids, trashed_at__isnull=False).update(trashed_at=None)
    _refresh_covers_of_photos(owner=owner, photo_ids=ids)
    return restored


def _refresh_covers_of_photos(*, owner: User, photo_ids: list[int]) -> None:
    """A person's cover is a face on a photo outside the trash: choose again for those shown here."""
    if not photo_ids:
        return
    lock_owner_faces(owner_id=owner.pk)
    persons = set(
        Face.objects.filter(owner_id=owner.pk, photo_id__in=photo_ids, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    persons_refresh_covers(person_ids=persons)


@transaction.atomic
def photos_delete_forever(*, owner: User, photos: Iterable[Photo]) -> int:
    """Delete the owner's trashed photos for good: their rows and faces now, their files once the
    deletion is committed (as `photo_delete`). Photos outside the trash are left alone. Returns
    how many were deleted."""
    ids = [p.pk for p in _owned(owner, photos)]
    if not ids:
        return 0
    # The same lock order as indexing: the owner's faces, the photos, then the face index row.
    lock_owner_faces(owner_id=owner.pk)
    doomed = list(Photo.objects.select_for_update().filter(owner=owner, pk__in=ids).trashed().order_by("pk"))
    names: list[str] = []
    for photo in doomed:
        faces_forget_photo(photo=photo)
        names.extend(photo.file_names)
    Photo.objects.filter(pk__in=[p.pk for p in doomed]).delete()
    files_delete_after_commit(names=names)
    return len(doomed)


_PURGE_BATCH = 200


def trash_empty(*, owner: User) -> int:
    """Delete every photo in the owner's trash for good (in batches, each its own transaction,
    so a large trash never holds one long lock). Returns how many were deleted."""
    deleted = 0
    while True:
        batch = list(Photo.objects.filter(owner=owner).trashed().order_by("pk")[:_PURGE_BATCH])
        if not batch:
            return deleted
        done = photos_delete_forever(owner=owner, photos=batch)
        deleted += done
        if not done:  # restored meanwhile: nothing left to do for these
            return deleted


def trash_purge_due(*, now: datetime | None = None) -> PhotoQuerySet:
    """Everyone's photos that have been in the trash for more than TRASH_DAYS at `now`."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TRASH_DAYS)
    return Photo.objects.trashed_before(cutoff).order_by("owner_id", "pk")


def trash_purge(*, now: datetime | None = None, on_batch: Callable[[int], object] | None = None) -> int:
    """Delete for good the photos in the trash for more than TRASH_DAYS (everyone's), owner by
    owner in batches; their files leave the storage after each commit (the sweeper retries what
    fails). Returns how many were deleted."""
    due = trash_purge_due(now=now)
    deleted = 0
    for owner_id in list(due.values_list("owner_id", flat=True).distinct().order_by("owner_id")):
        while True:
            batch = list(due.filter(owner_id=owner_id).select_related("owner")[:_PURGE_BATCH])
            if not batch:
                break
            done = photos_delete_forever(owner=batch[0].owner, photos=batch)
            deleted += done
            if on_batch is not None:
                on_batch(done)
            if done < len(batch):
                break  # some were restored meanwhile; the next run sees the rest
    return deleted


def _owned(owner: User, photos: Iterable[Photo]) -> list[Photo]:
    photos = list(photos)
    if any(p.owner_id != owner.pk for p in photos):
        # Callers resolve photos through owner-scoped selectors; this is the last line of defence.
        raise PermissionDenied(_("No such photo."))
    return photos


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())[:ALBUM_NAME_MAX]
    if not cleaned:
        raise ValueError("An album needs a name.")
    return cleaned


@transaction.atomic
def album_create(*, owner: User, name: str) -> Album:
    return Album.objects.create(owner=owner, name=_clean_name(name))


class Keep(enum.Enum):
    """The value of an optional argument that leaves a field as it is, where None means something."""

    KEEP = "keep"


KEEP = Keep.KEEP


@transaction.atomic
def album_update(
    *,
    album: Album,
    name: str | None = None,
    sort_order: str | None = None,
    cover: Photo | Literal[Keep.KEEP] | None = KEEP,
) -> Album:
    """Rename an album, change how its photos are sorted and/or pick its cover (None: back to the
    default, the first photo); a name or sort of None, or cover=KEEP, leaves it as it is. All or
    nothing: a cover that is not in the album raises AlbumChangeError and nothing changes."""
    fields = ["updated_at"]
    if name is not None:
        album.name = _clean_name(name)
        fields.append("name")
    if sort_order is not None:
        album.sort_order = Album.SortOrder(sort_order)
        fields.append("sort_order")
    if cover is not KEEP:
        _check_cover(album, cover)
        album.cover = cover
        fields.append("cover")
    album.save(update_fields=fields)
    return album


@transaction.atomic
def album_delete(*, album: Album) -> None:
    """Delete an album; its photos stay in the gallery."""
    album.delete()


def _check_owner(album: Album, photos: Iterable[Photo]) -> list[Photo]:
    photos = list(photos)
    if any(p.owner_id != album.owner_id for p in photos):
        # Callers resolve photos through owner-scoped selectors; this is the last line of defence.
        # PermissionDenied, not PermissionError: an OSError would pass for a storage outage
        # (STORAGE_ERRORS); pages and the API answer it with a 403.
        raise PermissionDenied(_("Photos and album must have the same owner."))
    return photos


class AlbumChangeError(ValueError):
    """A change to an album that cannot be made as asked (a message for people); nothing changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _lock(album: Album) -> None:
    # Concurrent additions and reorders of one album take turns: positions stay distinct.
    Album.objects.select_for_update().filter(pk=album.pk).exists()


@transaction.atomic
def album_add_photos(*, album: Album, photos: Iterable[Photo]) -> Album:
    """Add photos at the end of the album's custom order (oldest taken first among those added);
    photos already in the album stay where they are."""
    photos = _check_owner(album, photos)
    _lock(album)
    present = set(AlbumPhoto.objects.filter(album=album).values_list("photo_id", flat=True))
    last = AlbumPhoto.objects.filter(album=album).aggregate(last=Max("position"))["last"]
    start = -1 if last is None else last
    new = sorted({p.pk: p for p in photos if p.pk not in present}.values(), key=lambda p: (p.taken_at, p.pk))
    AlbumPhoto.objects.bulk_create(
        AlbumPhoto(album=album, photo=photo, position=start + n) for n, photo in enumerate(new, start=1)
    )
    album.save(update_fields=["updated_at"])
    return album


@transaction.atomic
def album_remove_photos(*, album: Album, photos: Iterable[Photo]) -> Album:
    """Take photos out of the album (they stay in the gallery); a cover among them stops being
    the cover."""
    photos = _check_owner(album, photos)
    album.photos.remove(*photos)
    fields = ["updated_at"]
    if album.cover_id is not None and album.cover_id in {p.pk for p in photos}:
        album.cover = None
        fields.append("cover")
    album.save(update_fields=fields)
    return album


def _check_cover(album: Album, photo: Photo | None) -> None:
    if photo is None:
        return
    _check_owner(album, [photo])
    if not album.memberships.filter(photo=photo, photo__trashed_at__isnull=True).exists():
        raise AlbumChangeError(_("That photo is not in this album."))


@transaction.atomic
def album_set_cover(*, album: Album, photo: Photo | None) -> Album:
    """Make `photo` the album's cover; None goes back to the default (the first photo by the
    album's sort). The photo must be in the album and outside the trash (else
    AlbumChangeError)."""
    return album_update(album=album, cover=photo)


def _write_order(album: Album, photo_ids: Sequence[int]) -> None:
    """Number the album's photos in this order (the photos not named, those in the trash, keep
    their relative order after them) and sort the album by that custom order."""
    rows = {row.photo_id: row for row in AlbumPhoto.objects.filter(album=album).order_by("position", "id")}
    named = set(photo_ids)
    ordered = [rows[pk] for pk in photo_ids] + [row for pk, row in rows.items() if pk not in named]
    changed = []
    for position, row in enumerate(ordered):
        if row.position != position:
            row.position = position
            changed.append(row)
    AlbumPhoto.objects.bulk_update(changed, ["position"], batch_size=1000)
    album.sort_order = Album.SortOrder.MANUAL
    album.save(update_fields=["sort_order", "updated_at"])


@transaction.atomic
def album_set_order(*, album: Album, photos: Sequence[Photo]) -> Album:
    """Put the album's photos in this custom order (and sort the album by it). `photos` must be
    exactly the album's photos outside the trash, each once; else AlbumChangeError."""
    photos = _check_owner(album, photos)
    _lock(album)
    wanted = [p.pk for p in photos]
    current = set(album.memberships.filter(photo__trashed_at__isnull=True).values_list("photo_id", flat=True))
    if len(set(wanted)) != len(wanted):
        raise AlbumChangeError(_("Each photo can be listed only once."))
    if set(wanted) != current:
        raise AlbumChangeError(_("List exactly the photos of this album."))
    _write_order(album, wanted)
    return album


@transaction.atomic
def album_move_photo(*, album: Album, photo: Photo, offset: int) -> Album:
    """Move a photo `offset` places later (negative: earlier) in the album as it is shown now,
    which becomes its custom order; at either end it stays where it is."""
    _check_owner(album, [photo])
    _lock(album)
    members = album.memberships.filter(photo__trashed_at__isnull=True)
    order = list(
        members.order_by(*AlbumPhoto.ordering_for(album.sort_order)).values_list("photo_id", flat=True)
    )
    if photo.pk not in order:
        raise AlbumChangeError(_("That photo is not in this album."))
    old = order.index(photo.pk)
    new = min(max(old + offset, 0), len(order) - 1)
    order.insert(new, order.pop(old))
    _write_order(album, order)
    return album


# ----------------------------------------------------------------------------------------------
# Album share links (issue 10)
# ----------------------------------------------------------------------------------------------

SHARE_LABEL_MAX = 100
SHARE_PASSWORD_MAX = 128


class _Unchanged:
    """A keyword left as it is (None is a value for `expires_at`: never expires)."""


UNCHANGED = _Unchanged()


class ShareLinkRevokedError(ValueError):
    """A revoked share link cannot be changed (it is closed for good)."""


@transaction.atomic
def album_share_create(
    *,
    album: Album,
    label: str = "",
    expires_at: datetime | None = None,
    password: str = "",
    allow_download: bool = False,
) -> tuple[AlbumShare, str]:
    """A new read-only link to `album`; returns it with its token, which is stored only as a
    hash: this is the one moment anyone can learn the link."""
    if expires_at is not None and timezone.is_naive(expires_at):
        raise ValueError("expires_at must be timezone-aware")
    token = secrets.token_urlsafe(32)
    share = AlbumShare.objects.create(
        album=album,
        token_hash=AlbumShare.hash_token(token),
        label=" ".join(label.split())[:SHARE_LABEL_MAX],
        password_hash=make_password(password) if password else "",
        allow_download=allow_download,
        expires_at=expires_at,
    )
    return share, token


@transaction.atomic
def album_share_update(
    *,
    share: AlbumShare,
    label: str | None = None,
    expires_at: datetime | _Unchanged | None = UNCHANGED,
    password: str | None = None,
    allow_download: bool | None = None,
) -> AlbumShare:
    """Change a link's label, expiry (None: never), password ("" removes it) or download
    permission; None (UNCHANGED for the expiry) leaves a field as it is. A revoked link stays
    revoked: it cannot be changed."""
    # Locked and read again: a revocation that committed meanwhile wins.
    revoked = AlbumShare.objects.select_for_update().filter(pk=share.pk).values_list("revoked_at", flat=True)
    if share.revoked_at is not None or revoked.first() is not None:
        raise ShareLinkRevokedError(_("This link was revoked; create a new one instead."))
    fields: list[str] = []
    if label is not None:
        share.label = " ".join(label.split())[:SHARE_LABEL_MAX]
        fields.append("label")
    if not isinstance(expires_at, _Unchanged):
        if expires_at is not None and timezone.is_naive(expires_at):
            raise ValueError("expires_at must be timezone-aware")
        share.expires_at = expires_at
        fields.append("expires_at")
    if password is not None:
        share.password_hash = make_password(password) if password else ""
        fields.append("password_hash")
    if allow_download is not None:
        share.allow_download = allow_download
        fields.append("allow_download")
    if fields:
        share.save(update_fields=fields)
    return share


@transaction.atomic
def album_share_revoke(*, share: AlbumShare) -> AlbumShare:
    """Close the link for good (its visitors get 404 from the next request on); the row stays
    so that the owner sees it was revoked, with its view count."""
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at"])
    return share


@transaction.atomic
def album_share_record_view(*, share: AlbumShare) -> None:
    """Count one visit (the caller counts each visitor session once)."""
    now = timezone.now()
    AlbumShare.objects.filter(pk=share.pk).update(view_count=F("view_count") + 1, last_viewed_at=now)


# Bulk actions on a selection of photos (the grid's "n selected" bar and POST /api/photos/bulk/).
# Each counts what it changed; callers resolve every photo and album through the owner-scoped
# selectors first, so that one foreign id refuses the whole request before anything is written.

BULK_MAX_PHOTOS = 1000


@transaction.atomic
def album_add_photos_counted(*, album: Album, photos: Iterable[Photo]) -> int:
    """Add photos to an album; returns how many were not in it yet."""
    photos = _check_owner(album, photos)
    ids = {p.pk for p in photos}
    already = album.photos.filter(pk__in=ids).count()
    album_add_photos(album=album, photos=photos)
    return len(ids) - already


@transaction.atomic
def album_create_with_photos(*, owner: User, name: str, photos: Iterable[Photo]) -> tuple[Album, int]:
    """A new album holding these photos (both or neither); returns it and how many it holds."""
    album = album_create(owner=owner, name=name)
    return album, album_add_photos_counted(album=album, photos=photos)


@transaction.atomic
def album_remove_photos_counted(*, album: Album, photos: Iterable[Photo]) -> int:
    """Take photos out of an album (they stay in the gallery); returns how many were in it."""
    photos = _check_owner(album, photos)
    present = album.photos.filter(pk__in={p.pk for p in photos}).count()
    album_remove_photos(album=album, photos=photos)
    return present
