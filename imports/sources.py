"""Where an import reads from: a folder on disk or a zip file, read one file at a time.

A zip is checked as a whole before anything is imported: a member whose name climbs out of the
archive (`../`, an absolute path, a drive letter), too many members, a member larger than a photo
may be, or more uncompressed bytes in all than `IMPORT_MAX_UNCOMPRESSED_BYTES` reject it. Members
are then read one by one, never more than their declared size (a lying header is caught)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

from django.utils.translation import gettext as _


class SourceRejected(ValueError):  # noqa: N818 (reads as an outcome, like DuplicatePhoto)
    """The folder or archive cannot be imported at all; the message says why."""


@dataclass(frozen=True)
class SourceLimits:
    max_files: int
    max_file_bytes: int
    max_total_bytes: int


class Source(Protocol):
    name: str

    def paths(self) -> list[str]:
        """Every file, as a relative POSIX path, in name order."""
        ...

    def read(self, path: str) -> bytes: ...


def _safe_path(name: str) -> str | None:
    """The member's relative path, or None for directories; SourceRejected when it escapes."""
    if name.endswith("/"):
        return None
    normal = name.replace("\\", "/")
    parts = PurePosixPath(normal).parts
    if not parts or normal.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        raise SourceRejected(_("The archive holds a file outside its folder: %(name)s.") % {"name": name})
    return str(PurePosixPath(*parts))


class ZipSource:
    def __init__(self, file: IO[bytes] | Path, *, limits: SourceLimits, name: str = "") -> None:
        try:
            self._zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise SourceRejected(_("This is not a readable zip file (%(error)s).") % {"error": exc}) from None
        self.name = name
        self._limits = limits
        self._members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in self._zip.infolist():
            path = _safe_path(info.filename)
            if path is None:
                continue
            if len(self._members) >= limits.max_files:
                raise SourceRejected(
                    _("The archive holds more than %(count)d files.") % {"count": limits.max_files}
                )
            if info.file_size > limits.max_file_bytes:
                raise SourceRejected(
                    _("%(path)s is larger than a photo may be (%(size)d bytes).")
                    % {"path": path, "size": info.file_size}
                )
            total += info.file_size
            if total > limits.max_total_bytes:
                raise SourceRejected(
                    _("The archive unpacks to more than %(size)d bytes.") % {"size": limits.max_total_bytes}
                )
            self._members[path] = info

    def paths(self) -> list[str]:
        return sorted(self._members)

    def read(self, path: str) -> bytes:
        info = self._members[path]
        try:
            with self._zip.open(info) as member:
                data = member.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise OSError(_("It cannot be read from the archive (%(error)s).") % {"error": exc}) from None
        if len(data) > info.file_size:
            raise OSError(_("It is larger in the archive than its header says."))
        return data

    def close(self) -> None:
        self._zip.close()


class DirectorySource:
    def __init__(self, root: Path, *, limits: SourceLimits) -> None:
        if not root.is_dir():
            raise SourceRejected(_("%(path)s is not a folder.") % {"path": root})
        self.name = root.resolve().name
        self._root = root.resolve()
        self._limits = limits
        self._paths: list[str] = []
        for path in self._walk():
            if len(self._paths) >= limits.max_files:
                raise SourceRejected(
                    _("The folder holds more than %(count)d files.") % {"count": limits.max_files}
                )
            self._paths.append(path.relative_to(self._root).as_posix())
        self._paths.sort()

    def _walk(self) -> Iterator[Path]:
        for path in self._root.rglob("*"):
            # Links could lead outside the folder: only plain files inside it are read.
            if path.is_file() and not path.is_symlink():
                yield path

    def paths(self) -> list[str]:
        return list(self._paths)

    def read(self, path: str) -> bytes:
        full = (self._root / path).resolve()
        if not full.is_relative_to(self._root):
            raise OSError(_("It is outside the folder."))
        with full.open("rb") as handle:
            data = handle.read(self._limits.max_file_bytes + 1)
        if len(data) > self._limits.max_file_bytes:
            raise OSError(_("It is larger than a photo may be."))
        return data

    def close(self) -> None:
        pass
