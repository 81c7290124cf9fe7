"""Storage handling for photo files: errors, clean-up, and private URLs.

Files are always read and written through the configured storage (local disk or any
S3-compatible server), never through `.path`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, cast

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.storage import Storage, default_storage
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from gallery.models import Photo

logger = logging.getLogger(__name__)

MediaKind = Literal["original", "display", "thumbnail"]
MEDIA_KINDS: tuple[MediaKind, ...] = ("original", "display", "thumbnail")

# What a storage raises when it is unreachable or refuses a write: S3 client errors, a
# broken connection, a full or read-only disk.
STORAGE_ERRORS: tuple[type[BaseException], ...] = (BotoCoreError, ClientError, OSError)


def is_missing_file(exc: BaseException) -> bool:
    """Whether a storage error says the file is not there (a local FileNotFoundError, an S3 404):
    permanent, unlike an unreachable storage."""
    if isinstance(exc, FileNotFoundError):
        return True
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return code in {"404", "NoSuchKey", "NotFound"}
    return False


class StorageUnavailable(Exception):  # noqa: N818 (reads as a state, like Http404)
    """The photo storage cannot be reached or refused the operation (maps to HTTP 503)."""

    def __init__(self, message: str | None = None) -> None:
        message = message or _("Photo storage is unavailable right now; nothing was saved.")
        super().__init__(message)
        self.message = message


def photo_storage() -> Storage:
    return Photo._meta.get_field("original").storage


def delete_files(names: Iterable[str], *, storage: Storage | None = None) -> dict[str, str]:
    """Best-effort removal; returns the names that could not be deleted, with the reason.

    Deleting a file that is already gone succeeds (local disk and S3 alike), so retrying is safe.
    """
    storage = storage or default_storage
    failed: dict[str, str] = {}
    for name in names:
        try:
            storage.delete(name)
        except STORAGE_ERRORS as exc:
            logger.warning("Could not delete %s from storage (%s); it will be retried.", name, exc)
            failed[name] = f"{type(exc).__name__}: {exc}"[:500]
    return failed


@dataclass(frozen=True)
class StoredFile:
    name: str
    modified: datetime
    size: int


def iter_stored_files(folder: str, *, storage: Storage | None = None) -> Iterator[StoredFile]:
    """Every file under `folder` in the storage, with its modification time and size.

    S3: one paginated listing of the prefix (no request per file). Other storages: a walk with
    listdir(). Raises the storage's errors (STORAGE_ERRORS) when it is unreachable.
    """
    storage = storage or default_storage
    bucket = getattr(storage, "bucket", None)  # an S3 storage (boto3 Bucket; no request yet)
    if bucket is not None:
        location = str(getattr(storage, "location", "") or "").strip("/")
        prefix = f"{location}/{folder}/" if location else f"{folder}/"
        for item in bucket.objects.filter(Prefix=prefix):
            name = item.key[len(location) + 1 :] if location else item.key
            yield StoredFile(name=name, modified=item.last_modified, size=int(item.size))
        return
    yield from _walk(storage, folder)


def _walk(storage: Storage, folder: str) -> Iterator[StoredFile]:
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for filename in sorted(files):
        name = f"{folder}/{filename}"
        yield StoredFile(name=name, modified=storage.get_modified_time(name), size=storage.size(name))
    for directory in sorted(directories):
        yield from _walk(storage, f"{folder}/{directory}")


def uses_signed_urls(storage: Storage) -> bool:
    """S3-style storages that sign URLs (querystring_auth) hand out short-lived links themselves."""
    return bool(getattr(storage, "querystring_auth", False))


def media_url(photo: Photo, kind: MediaKind, *, download: bool = False) -> str:
    """A URL for one of the photo's files, meant only for its owner; with `download`, the
    browser saves the original under its original name instead of showing it.

    Local storage: a permission-checked view. S3: a short-lived pre-signed URL.
    Callers must already have checked that the requesting user owns the photo.
    """
    field = getattr(photo, kind)
    storage = field.storage
    if uses_signed_urls(storage):
        return signed_file_url(storage, field.name, attachment_name=photo.download_name if download else None)
    url = reverse("gallery:photo_media", kwargs={"photo_id": photo.pk, "kind": kind})
    return f"{url}?download=1" if download else url


def signed_file_url(storage: Storage, name: str, *, attachment_name: str | None = None) -> str:
    """A pre-signed URL of `name`; with `attachment_name`, S3 answers it as a download under
    that name (Content-Disposition, non-ASCII names as RFC 5987 filename*)."""
    if attachment_name is None or not isinstance(storage, S3Storage):
        return str(storage.url(name))
    disposition = content_disposition_header(True, attachment_name)
    return str(storage.url(name, parameters={"ResponseContentDisposition": disposition}))


class ReadableStream(Protocol):
    """What a streamed read needs of a stored file: read(n) in chunks, close()."""

    def read(self, size: int = ..., /) -> bytes: ...

    def close(self) -> None: ...


def open_stream(storage: Storage, name: str) -> ReadableStream:
    """`name` opened for reading in chunks, without fetching it whole first.

    S3: one GET whose body is read as it arrives (django-storages' own S3File downloads the
    whole object into a spooled temporary file on first read). Other storages: storage.open().
    Raises the storage's errors (STORAGE_ERRORS; a missing file: see is_missing_file) here, when
    the file is opened, so that a caller can check every file before it sends anything.
    """
    if isinstance(storage, S3Storage):
        key = storage._normalize_name(clean_name(name))
        body: ReadableStream = storage.bucket.Object(key).get()["Body"]
        return body
    return cast(ReadableStream, storage.open(name, "rb"))
