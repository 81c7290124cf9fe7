"""Writes for photos and albums: keyword-only, typed, transactional.

On any failure `photo_create` leaves nothing behind (no row, no stored file); deleting a
photo removes its files only after the database commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath
from typing import IO, TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gallery import images
from gallery.cleanup import files_delete_after_commit, files_delete_now
from gallery.images import DuplicatePhoto
from gallery.models import Album, Photo
from gallery.storage import STORAGE_ERRORS, StorageUnavailable, photo_storage
from people.services import lock_owner_faces
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
    message = _("You already have this photo (%(title)s).") % {"title": existing.display_title}
    return DuplicatePhoto(message, existing_id=existing.pk)


def photo_create(
    *,
    owner: User,
    upload: File[bytes] | IO[bytes],
    title: str = "",
    caption: str = "",
) -> Photo:
    """Validate an upload, store its original and renditions, and create the Photo.

    Raises `InvalidImage` (bad input, a message for people), `DuplicatePhoto` (the owner
    already has these exact bytes) or `StorageUnavailable`. A unique constraint on (owner,
    content hash) settles concurrent uploads of the same bytes: one is stored, the others raise
    `DuplicatePhoto` and their files are removed.
    """
    data = images.read_upload(upload)
    processed = images.process(data)
    duplicate = _duplicate_of(owner=owner, content_hash=processed.content_hash)
    if duplicate is not None:
        raise duplicate
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
    return Photo.objects.filter(owner=owner, pk__in=ids, trashed_at__isnull=True).update(
        trashed_at=timezone.now()
    )


@transaction.atomic
def photos_restore(*, owner: User, photos: Iterable[Photo]) -> int:
    """Take the owner's photos out of the trash, back where they were. Returns how many."""
    ids = [p.pk for p in _owned(owner, photos)]
    return Photo.objects.filter(owner=owner, pk__in=ids, trashed_at__isnull=False).update(trashed_at=None)


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


@transaction.atomic
def album_update(*, album: Album, name: str) -> Album:
    album.name = _clean_name(name)
    album.save(update_fields=["name", "updated_at"])
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


@transaction.atomic
def album_add_photos(*, album: Album, photos: Iterable[Photo]) -> Album:
    album.photos.add(*_check_owner(album, photos))
    album.save(update_fields=["updated_at"])
    return album


@transaction.atomic
def album_remove_photos(*, album: Album, photos: Iterable[Photo]) -> Album:
    album.photos.remove(*_check_owner(album, photos))
    album.save(update_fields=["updated_at"])
    return album


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
