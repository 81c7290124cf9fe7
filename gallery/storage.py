"""Storage handling for photo files: errors, clean-up, and private URLs.

Files are always read and written through the configured storage (local disk or any
S3-compatible server), never through `.path`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.storage import Storage, default_storage
from django.urls import reverse

from gallery.models import Photo

logger = logging.getLogger(__name__)

MediaKind = Literal["original", "display", "thumbnail"]
MEDIA_KINDS: tuple[MediaKind, ...] = ("original", "display", "thumbnail")

# What a storage raises when it is unreachable or refuses a write: S3 client errors, a
# broken connection, a full or read-only disk.
STORAGE_ERRORS: tuple[type[BaseException], ...] = (BotoCoreError, ClientError, OSError)


class StorageUnavailable(Exception):  # noqa: N818 (reads as a state, like Http404)
    """The photo storage cannot be reached or refused the operation (maps to HTTP 503)."""

    def __init__(self, message: str = "Photo storage is unavailable right now; nothing was saved.") -> None:
        super().__init__(message)
        self.message = message


def photo_storage() -> Storage:
    return Photo._meta.get_field("original").storage


def delete_files(names: Iterable[str], *, storage: Storage | None = None) -> None:
    """Best-effort removal (used after commit or to undo a failed upload); failures are logged."""
    storage = storage or default_storage
    for name in names:
        try:
            storage.delete(name)
        except STORAGE_ERRORS:
            logger.warning("Could not delete %s from storage; it is now an orphan file.", name, exc_info=True)


def uses_signed_urls(storage: Storage) -> bool:
    """S3-style storages that sign URLs (querystring_auth) hand out short-lived links themselves."""
    return bool(getattr(storage, "querystring_auth", False))


def media_url(photo: Photo, kind: MediaKind) -> str:
    """A URL for one of the photo's files, meant only for its owner.

    Local storage: a permission-checked view. S3: a short-lived pre-signed URL.
    Callers must already have checked that the requesting user owns the photo.
    """
    field = getattr(photo, kind)
    storage = field.storage
    if uses_signed_urls(storage):
        return str(storage.url(field.name))
    return reverse("gallery:photo_media", kwargs={"photo_id": photo.pk, "kind": kind})
