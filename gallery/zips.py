"""Zip archives streamed as they are written: never held whole in memory or on disk.

The standard library's `zipfile` writes into a sink that cannot seek; it then puts each entry's
sizes and CRC in a data descriptor after the entry, and the stream hands on what was written
after every chunk. Memory stays at about one chunk per request, whatever the archive's size.
Entries larger than 4 GiB, and archives past 4 GiB or 65,535 entries, get ZIP64 records.

Entries are files read through the storage in chunks (photos' originals; on S3 the object's
body as it arrives) or bytes made on the spot, so that a later export can add generated files
(e.g. a JSON index) to the same stream.
"""

from __future__ import annotations

import itertools
import logging
import re
import struct
import unicodedata
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import IO, cast

from django.core.files.storage import Storage
from django.utils import timezone

from gallery.models import Photo
from gallery.storage import STORAGE_ERRORS, ReadableStream, open_stream, photo_storage

logger = logging.getLogger(__name__)

# Bytes read from a source (and handed to the response) at a time.
CHUNK_SIZE = 256 * 1024

# Formats that are compressed already: stored as they are (deflating them costs CPU for nothing).
# Others (BMP, TIFF, generated text) are deflated.
PRECOMPRESSED_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "image/heif"}
)

# Characters no file name may hold on Windows, macOS or Linux, and path separators (an entry
# named "../x" must never leave the folder it is extracted into).
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_MAX_NAME_CHARS = 180
# The range of a zip entry's (MS-DOS) date.
_DOS_FIRST = (1980, 1, 1, 0, 0, 0)
_DOS_LAST = (2107, 12, 31, 23, 59, 58)
_EXTENDED_TIMESTAMP = 0x5455


@dataclass(frozen=True)
class ZipEntry:
    """One file of an archive: `name` inside it, `size` in bytes (known in advance: it decides
    whether the entry needs ZIP64), `modified` (aware; written in its own zone's local time, and
    as UTC in an extended-timestamp field), and `open` giving its bytes in chunks."""

    name: str
    size: int
    modified: datetime
    open: Callable[[], ReadableStream]
    compress: bool = False


class _BytesSource:
    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._at = 0

    def read(self, size: int = -1, /) -> bytes:
        end = len(self._data) if size < 0 else self._at + size
        chunk = bytes(self._data[self._at : end])
        self._at += len(chunk)
        return chunk

    def close(self) -> None:
        self._data.release()


def bytes_entry(*, name: str, data: bytes, modified: datetime, compress: bool = True) -> ZipEntry:
    """An entry made of bytes generated on the spot (a small file: it is held in memory)."""
    return ZipEntry(
        name=name, size=len(data), modified=modified, open=partial(_BytesSource, data), compress=compress
    )


def safe_file_name(name: str, *, fallback: str) -> str:
    """`name` as one file name that extracts safely everywhere: no folders, no characters that
    Windows refuses, no leading or trailing dots or spaces, Unicode in composed form (macOS
    uploads decomposed Hangul), at most 180 characters with the extension kept."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip(" .")
    if not name:
        name = fallback
    if len(name) > _MAX_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = f"{stem[: _MAX_NAME_CHARS - len(extension) - 1].rstrip(' .')}.{extension}"
        else:
            name = name[:_MAX_NAME_CHARS].rstrip(" .")
    return name


class UniqueNames:
    """Hands out names no other entry of the archive has: `a.jpg`, then `a (2).jpg`, `a (3).jpg`.
    Names differing only in case clash too (Windows and macOS extract them onto one file)."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, name: str) -> str:
        candidate = name
        stem, dot, extension = name.rpartition(".")
        if not stem:  # no extension (or a name such as ".jpg")
            stem, dot, extension = name, "", ""
        number = 1
        while candidate.casefold() in self._taken:
            number += 1
            candidate = f"{stem} ({number}){dot}{extension}"
        self._taken.add(candidate.casefold())
        return candidate


def photo_entries(photos: Iterable[Photo], *, storage: Storage | None = None) -> list[ZipEntry]:
    """Entries for the photos' originals, named by `Photo.download_name` (clashes numbered),
    dated by when they were taken, in the current time zone (the user's, in a request)."""
    storage = storage or photo_storage()
    names = UniqueNames()
    return [
        ZipEntry(
            name=names.claim(safe_file_name(photo.download_name, fallback=f"photo-{photo.pk}")),
            size=photo.size,
            modified=timezone.localtime(photo.taken_at),
            open=partial(open_stream, storage, photo.original.name or ""),
            compress=photo.mime_type not in PRECOMPRESSED_TYPES,
        )
        for photo in photos
    ]


class ZipStreamInterrupted(Exception):  # noqa: N818 (reads as a state, like Http404)
    """A file could not be read after the archive had begun to be sent. The stream stops there,
    without the archive's directory, so that the download fails visibly (the server drops the
    connection) instead of saving a zip that silently misses files."""


class _Sink:
    """Where zipfile writes: it cannot seek, so zipfile streams (data descriptors)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


def _zip_info(entry: ZipEntry) -> zipfile.ZipInfo:
    local = entry.modified.timetuple()[:6]
    info = zipfile.ZipInfo(entry.name, date_time=min(max(local, _DOS_FIRST), _DOS_LAST))
    info.compress_type = zipfile.ZIP_DEFLATED if entry.compress else zipfile.ZIP_STORED
    info.file_size = entry.size  # read by zipfile to decide on ZIP64 before the bytes come
    info.external_attr = 0o644 << 16  # a plain file, readable by all once extracted (Unix)
    stamp = int(entry.modified.timestamp())
    if 0 <= stamp < 2**31:
        # The exact time, in UTC, for tools that read it (Info-ZIP, 7-Zip, macOS).
        info.extra = struct.pack("<HHBl", _EXTENDED_TIMESTAMP, 5, 1, stamp)
    return info


class ZipStream:
    """The bytes of a zip archive of `entries`, made as they are read.

    The first entry is opened here, before any byte is sent: a storage that is down or a
    missing first file raises the storage's error (STORAGE_ERRORS) while an error answer can
    still be given. A later failure raises ZipStreamInterrupted from the iteration. close()
    (called by Django when the response ends, even unread) releases any open file.
    """

    def __init__(self, entries: Iterable[ZipEntry]) -> None:
        # Entries may be made lazily (an export makes them as it goes): only the first is taken now.
        self._entries = iter(entries)
        self._head = next(self._entries, None)
        self._first = self._head.open() if self._head is not None else None
        self._chunks = self._generate()

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        self._chunks.close()
        if self._first is not None:  # the iteration never began
            self._first.close()
            self._first = None

    def _generate(self) -> Generator[bytes, None, None]:
        sink = _Sink()
        archive = zipfile.ZipFile(cast(IO[bytes], sink), mode="w", allowZip64=True)
        source: ReadableStream | None = None
        entry: ZipEntry | None = None
        try:
            for entry in itertools.chain([self._head] if self._head is not None else [], self._entries):
                source = self._first if self._first is not None else entry.open()
                self._first = None
                with archive.open(_zip_info(entry), mode="w") as target:
                    while chunk := source.read(CHUNK_SIZE):
                        target.write(chunk)
                        if sink.size >= CHUNK_SIZE:
                            yield sink.drain()
                source.close()
                source = None
                if sink.size:  # each entry goes out once complete, small ones too
                    yield sink.drain()
            archive.close()
            yield sink.drain()
        except STORAGE_ERRORS as exc:
            name = entry.name if entry is not None else "?"
            logger.warning("Zip download stopped at %r: %s: %s", name, type(exc).__name__, exc)
            raise ZipStreamInterrupted(f"Could not read {name!r}: {exc}") from exc
        finally:
            if source is not None:
                source.close()
