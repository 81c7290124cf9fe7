"""Removing stored files that no photo refers to: deletions that failed while the storage was
down (queued as PendingDeletion rows), and orphans (files without a row, e.g. left by a crash
between storing an upload and committing it, or by a clean-up that could not reach the storage).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.core.files.storage import Storage
from django.db import DatabaseError, transaction
from django.db.models import F
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from gallery.models import PendingDeletion, Photo
from gallery.storage import StoredFile, delete_files, iter_stored_files, photo_storage
from memory_studio.errors import DATABASE_ERRORS

logger = logging.getLogger(__name__)

# Every file the gallery stores lives under this folder (see gallery.models upload_to).
PHOTO_FOLDER = "photos"
_BATCH = 200


def files_delete_after_commit(*, names: list[str]) -> None:
    """Queue stored files for deletion in the current transaction; delete them once it commits.

    If the storage cannot delete a file then, its PendingDeletion row stays and the next sweep
    (`sweep_storage`, or the periodic task with a broker) tries again.
    """
    if not names:
        return
    PendingDeletion.objects.bulk_create([PendingDeletion(name=n) for n in names], ignore_conflicts=True)
    storage = photo_storage()
    transaction.on_commit(lambda: pending_files_delete(names=names, storage=storage), robust=True)


def files_delete_now(*, names: list[str], storage: Storage) -> None:
    """Delete files at once (undoing a failed upload); those the storage cannot delete now are
    queued for a later sweep (best effort: if the database is down too, the orphan sweep finds
    them)."""
    failed = delete_files(names, storage=storage)
    if not failed:
        return
    try:
        PendingDeletion.objects.bulk_create(
            [PendingDeletion(name=name, attempts=1, last_error=error) for name, error in failed.items()],
            ignore_conflicts=True,
        )
    except (DatabaseError, TransactionManagementError):
        logger.warning("Could not queue %d file(s) for deletion; they are orphans now.", len(failed))


def pending_files_delete(*, names: list[str], storage: Storage | None = None) -> dict[str, str]:
    """Delete these files from storage and forget their PendingDeletion rows; the files that
    could not be deleted keep their row (with the error). Returns those, with the reason."""
    failed = delete_files(names, storage=storage or photo_storage())
    done = [name for name in names if name not in failed]
    try:
        with transaction.atomic():
            PendingDeletion.objects.filter(name__in=done).delete()
            now = timezone.now()
            for name, error in failed.items():
                PendingDeletion.objects.filter(name=name).update(
                    attempts=F("attempts") + 1, last_attempt_at=now, last_error=error
                )
    except DATABASE_ERRORS:
        # The rows stay; deleting an already deleted file succeeds, so the retry is harmless.
        logger.warning("Could not update the pending deletions of %d file(s).", len(names), exc_info=True)
    return failed


@dataclass
class DeletionCounts:
    deleted: int = 0
    failed: int = 0


def pending_deletions_retry(*, on_batch: Callable[[int], object] | None = None) -> DeletionCounts:
    """Try every queued deletion again (oldest first)."""
    counts = DeletionCounts()
    names = list(PendingDeletion.objects.order_by("created_at", "id").values_list("name", flat=True))
    storage = photo_storage()
    for batch in _batches(names):
        failed = pending_files_delete(names=batch, storage=storage)
        counts.failed += len(failed)
        counts.deleted += len(batch) - len(failed)
        if on_batch is not None:
            on_batch(len(batch))
    return counts


def orphan_files_find(*, older_than: datetime, storage: Storage | None = None) -> Iterator[StoredFile]:
    """Stored files that no photo refers to and that were last written before `older_than`.

    The grace period keeps uploads in flight safe: their files are stored a moment before the
    photo's row is committed. Raises the storage's errors when it is unreachable.
    """
    referenced: set[str] = set()
    for names in Photo.objects.values_list("original", "display", "thumbnail").iterator(chunk_size=2000):
        referenced.update(names)
    for stored in iter_stored_files(PHOTO_FOLDER, storage=storage or photo_storage()):
        if stored.modified < older_than and stored.name not in referenced:
            yield stored


def _batches(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]
