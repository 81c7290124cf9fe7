"""Exports: queue one, build it (the background job), delete and purge them.

The zip is written to the storage as it is made: `ZipStream` hands out chunks, `ChunkReader`
turns them into a file that cannot seek, and the storage copies it across in pieces (local disk:
chunk by chunk; S3: a multipart upload, part by part). Memory stays bounded by a few chunks and
upload parts, whatever the library's size; nothing is spooled to a temporary file.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from boto3.s3.transfer import TransferConfig
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from accounts.models import User
from exports.archive import library_entries, library_photos
from exports.models import Export, export_file_name
from gallery.cleanup import files_delete_after_commit, files_delete_now
from gallery.storage import STORAGE_ERRORS, photo_storage
from gallery.zips import CHUNK_SIZE, ZipStream, ZipStreamInterrupted

logger = logging.getLogger(__name__)

# S3 multipart upload parts: the one part held in memory while it is sent.
S3_PART_SIZE = 16 * 1024 * 1024
# The export's progress is saved every this many photos (one UPDATE each time).
PROGRESS_EVERY = 25
# What stops an export with a reason to show: the storage failed, or an original could not be read.
EXPORT_ERRORS: tuple[type[BaseException], ...] = (*STORAGE_ERRORS, ZipStreamInterrupted)
# An export still queued or running after this long was lost (its worker died): purge marks it failed.
STALE_AFTER = timedelta(days=1)


class ExportInProgress(Exception):  # noqa: N818 (reads as a state, like Http404)
    """The user already has an export being made (one at a time)."""

    def __init__(self, export: Export) -> None:
        super().__init__(_("An export of your library is already being made."))
        self.export = export


class ChunkReader(io.RawIOBase):
    """A readable, non-seekable file over an iterator of byte chunks; counts what was read."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._chunk = memoryview(b"")
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._chunk:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._chunk = memoryview(chunk)
        size = min(len(buffer), len(self._chunk))
        buffer[:size] = self._chunk[:size]
        self._chunk = self._chunk[size:]
        self.bytes_read += size
        return size


def zip_to_storage(*, stream: ZipStream, storage: Storage, name: str) -> tuple[str, int]:
    """Write the zip `stream` to `storage` under `name`; returns the name saved and the size.
    On any failure the stream is closed and the exception propagates (the caller removes any
    partial file)."""
    reader = ChunkReader(iter(stream))
    try:
        if isinstance(storage, S3Storage):
            saved = _upload_to_s3(storage, name, reader)
        else:
            saved = storage.save(name, File(io.BufferedReader(reader, buffer_size=CHUNK_SIZE), name=name))
    finally:
        stream.close()
    return saved, reader.bytes_read


def _upload_to_s3(storage: S3Storage, name: str, reader: ChunkReader) -> str:
    """A multipart upload read from `reader` in this thread, one part in memory at a time.

    django-storages' save() would use boto3's threaded transfer, which reads the stream in a
    worker thread: the zip's entries (database reads, progress updates) would then run on another
    thread's database connection, and several parts would be buffered at once.
    """
    key = storage._normalize_name(clean_name(name))
    params = storage.get_object_parameters(name)
    params.setdefault("ContentType", "application/zip")
    if "ACL" not in params and storage.default_acl:
        params["ACL"] = storage.default_acl
    config = TransferConfig(
        use_threads=False, multipart_threshold=S3_PART_SIZE, multipart_chunksize=S3_PART_SIZE
    )
    # Buffered: read(n) then returns n bytes (a raw read returns one chunk), which boto3 needs to
    # tell a multipart upload from a single one, and to fill each part.
    body = io.BufferedReader(reader, buffer_size=CHUNK_SIZE)
    storage.bucket.Object(key).upload_fileobj(body, ExtraArgs=params, Config=config)
    return str(clean_name(name))


def library_zip_write(
    *, owner: User, target: IO[bytes], on_progress: Callable[[int, int], object] | None = None
) -> int:
    """Write an export zip of the owner's library into an open local file (the operators'
    `export_library` command); `on_progress(done, total)` after each photo. Returns the size.
    Raises the storage's errors or ZipStreamInterrupted when an original cannot be read."""
    photo_ids = library_photos(owner)
    total = len(photo_ids)

    def progress(done: int) -> None:
        if on_progress is not None:
            on_progress(done, total)

    stream = ZipStream(library_entries(owner=owner, photo_ids=photo_ids, on_progress=progress))
    size = 0
    try:
        for chunk in stream:
            target.write(chunk)
            size += len(chunk)
    finally:
        stream.close()
    return size


@transaction.atomic
def export_create(*, owner: User) -> Export:
    """Queue an export of the owner's whole library; the job starts once this commits (inline,
    in this request, without a broker). Raises ExportInProgress when one is being made already."""
    User.objects.select_for_update().filter(pk=owner.pk).first()  # one request at a time
    running = Export.objects.active().filter(owner=owner).first()
    if running is not None:
        raise ExportInProgress(running)
    export = Export.objects.create(owner=owner)
    transaction.on_commit(lambda: _enqueue(export.pk))
    return export


def _enqueue(export_id: int) -> None:
    from exports.tasks import build_export

    try:
        build_export.delay(export_id)
    except Exception:  # a broker that is down: the export fails visibly instead of waiting forever
        logger.exception("Could not queue export %s", export_id)
        export_mark_failed(export_id=export_id, error=_("The export could not be started. Try again later."))


def export_mark_failed(*, export_id: int, error: str) -> None:
    """The export failed (its partial zip already removed): it stays listed with the reason
    until it expires like a finished one."""
    now = timezone.now()
    Export.objects.filter(pk=export_id).update(
        status=Export.Status.FAILED, error=error[:500], file_name="", finished_at=now, expires_at=_expiry(now)
    )


def _expiry(finished: datetime) -> datetime:
    return finished + timedelta(days=settings.EXPORT_DAYS)


def export_build(*, export_id: int, storage: Storage | None = None) -> Export | None:
    """Make the export's zip (the background job; idempotent: only a queued export is built).

    Progress is saved every PROGRESS_EVERY photos. If anything fails (a storage outage, an
    original missing from storage) the partial zip is removed and the export is marked failed
    with the reason. Returns the export, or None when there is nothing to build.
    """
    storage = storage or photo_storage()
    claimed = Export.objects.filter(pk=export_id, status=Export.Status.PENDING).update(
        status=Export.Status.RUNNING
    )
    export = Export.objects.select_related("owner").filter(pk=export_id).first()
    if not claimed or export is None:
        return export
    # A failure's reason is saved in the owner's language (a worker has no request to follow).
    with translation.override(export.owner.language or translation.get_language()):
        return _build(export, storage)


def _build(export: Export, storage: Storage) -> Export | None:
    export_id = export.pk
    photo_ids = library_photos(export.owner)
    name = export_file_name()
    export.photos_total = len(photo_ids)
    export.file_name = name  # known before the first byte: a crash leaves a name to clean up
    export.save(update_fields=["photos_total", "file_name"])

    def progress(done: int) -> None:
        if done == len(photo_ids) or done % PROGRESS_EVERY == 0:
            Export.objects.filter(pk=export_id).update(photos_done=done)

    entries = library_entries(owner=export.owner, photo_ids=photo_ids, storage=storage, on_progress=progress)
    try:
        stream = ZipStream(entries)
        saved, size = zip_to_storage(stream=stream, storage=storage, name=name)
    except EXPORT_ERRORS as exc:
        logger.warning("Export %s failed: %s: %s", export_id, type(exc).__name__, exc)
        files_delete_now(names=[name], storage=storage)
        export_mark_failed(export_id=export_id, error=_error_text(exc))
        return Export.objects.filter(pk=export_id).first()
    except Exception:  # a bug: the user still learns that the export failed, and no file stays
        logger.exception("Export %s failed", export_id)
        files_delete_now(names=[name], storage=storage)
        export_mark_failed(export_id=export_id, error=_("Something went wrong while making the export."))
        return Export.objects.filter(pk=export_id).first()
    finished = timezone.now()
    updated = Export.objects.filter(pk=export_id, status=Export.Status.RUNNING).update(
        status=Export.Status.DONE,
        file_name=saved,
        size=size,
        photos_done=len(photo_ids),
        finished_at=finished,
        expires_at=_expiry(finished),
    )
    if not updated:  # deleted meanwhile (with its user): the zip has no row to belong to
        files_delete_now(names=[saved], storage=storage)
        return None
    export.refresh_from_db()
    return export


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ZipStreamInterrupted):
        return _("A photo could not be read from storage: %(reason)s") % {"reason": exc}
    return _("The storage failed while the export was written: %(reason)s") % {
        "reason": f"{type(exc).__name__}: {exc}"
    }


@transaction.atomic
def export_delete(*, export: Export) -> None:
    """Delete an export and its zip (after the commit). One being made cannot be deleted."""
    locked = Export.objects.select_for_update().get(pk=export.pk)
    if locked.is_active:
        raise ExportInProgress(locked)
    files_delete_after_commit(names=[locked.file_name] if locked.file_name else [])
    locked.delete()


@dataclass
class PurgeCounts:
    expired: int = 0
    stale: int = 0


@transaction.atomic
def exports_purge(*, now: datetime | None = None) -> PurgeCounts:
    """Delete exports past their expiry (their zips after the commit; failed deletions are
    retried by the storage sweep), failed ones older than EXPORT_DAYS, and mark the ones whose
    job was lost (queued or running for STALE_AFTER) failed."""
    now = now or timezone.now()
    counts = PurgeCounts()
    stale = Export.objects.active().filter(created_at__lte=now - STALE_AFTER)
    stale_names = [n for n in stale.values_list("file_name", flat=True) if n]
    counts.stale = stale.update(
        status=Export.Status.FAILED,
        error=_("The export was interrupted. Try again."),
        finished_at=now,
        expires_at=_expiry(now),
        file_name="",
    )
    expired = Export.objects.select_for_update().filter(status=Export.Status.DONE, expires_at__lte=now)
    failed = Export.objects.filter(status=Export.Status.FAILED, expires_at__lte=now)
    names = stale_names + [n for n in expired.values_list("file_name", flat=True) if n]
    counts.expired = expired.delete()[0] + failed.delete()[0]
    files_delete_after_commit(names=names)
    return counts


@transaction.atomic
def exports_delete_for_owner(*, owner: User) -> int:
    """Delete every export of `owner` and their zips (after the commit): for account deletion,
    before the user row goes. Returns how many exports were deleted."""
    exports = Export.objects.select_for_update().filter(owner=owner)
    names = [n for n in exports.values_list("file_name", flat=True) if n]
    deleted = exports.delete()[0]
    files_delete_after_commit(names=names)
    return deleted
