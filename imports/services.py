"""Importing a library from another photo manager: photos, their titles, captions and dates, and
the face tags people made (MWG and Microsoft Photo regions), from a folder or a zip.

Each photo is its own unit of work (stored, indexed, its tags applied), so one bad file never
costs the others and an interrupted import keeps what it finished; running it again skips those
as duplicates. Everything is written for `owner` only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import uuid
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gallery import images
from gallery.cleanup import files_delete_after_commit
from gallery.images import DuplicatePhoto, InvalidImage
from gallery.models import Album, Photo
from gallery.services import (
    AlbumChangeError,
    album_add_photos,
    album_create,
    album_set_cover,
    album_set_order,
    album_update,
    photo_create,
)
from gallery.storage import STORAGE_ERRORS, StorageUnavailable, photo_storage
from imports.metadata import (
    MetadataError,
    PhotoMetadata,
    Region,
    read_photo_metadata,
    sidecar_candidates,
    takeout_candidates,
)
from imports.models import ImportJob
from imports.sources import DirectorySource, Source, SourceLimits, SourceRejected, ZipSource
from people.models import Person
from people.services import PeopleError, faces_confirm, faces_name, person_update
from recognition.models import Face

if TYPE_CHECKING:
    from accounts.models import User
    from recognition.ml.pipeline import FacePipeline

logger = logging.getLogger(__name__)

# A named region and a detected face are the same face from this overlap on (intersection over union).
MATCH_IOU = 0.3
_METADATA_SUFFIXES = (".xmp", ".json")
# Memory Studio's own export (exports/): the library as data at the root of the zip.
LIBRARY_FILE = "library.json"

Progress = Callable[[int, int, str], None]


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run, would do)."""

    dry_run: bool = False
    imported: int = 0
    duplicates: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    persons_created: list[str] = field(default_factory=list)
    regions_matched: int = 0
    regions_unmatched: int = 0
    # Named regions left alone: face recognition is off for the user, or the photo failed indexing.
    regions_skipped: int = 0
    albums_created: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    photo_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.imported + self.duplicates + len(self.failed)


def import_limits() -> SourceLimits:
    return SourceLimits(
        max_files=settings.IMPORT_MAX_FILES,
        max_file_bytes=settings.MAX_UPLOAD_BYTES,
        max_total_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
    )


def open_source(root: Path | IO[bytes], *, name: str = "") -> DirectorySource | ZipSource:
    """A folder, a zip file's path or an open zip file; SourceRejected when it cannot be imported."""
    limits = import_limits()
    if isinstance(root, Path):
        if root.is_dir():
            return DirectorySource(root, limits=limits)
        if not root.is_file():
            raise SourceRejected(_("%(path)s is neither a folder nor a zip file.") % {"path": root})
        return ZipSource(root, limits=limits, name=root.stem)
    return ZipSource(root, limits=limits, name=name)


def _is_photo_candidate(path: str) -> bool:
    name = PurePosixPath(path).name
    lower = name.lower()
    return not (name.startswith(".") or lower.endswith(_METADATA_SUFFIXES) or "__MACOSX" in path)


def _companion(path: str, names: Sequence[str], present: dict[str, str]) -> str | None:
    """The first of `names` (beside `path`) that exists, matched without regard to case."""
    folder = PurePosixPath(path).parent
    for name in names:
        candidate = str(folder / name) if str(folder) != "." else name
        found = present.get(candidate.lower())
        if found is not None:
            return found
    return None


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match_regions(
    regions: Sequence[Region], faces: Sequence[Face], *, width: int, height: int
) -> list[tuple[Region, Face | None]]:
    """Pair each region with the detected face it overlaps most (IoU ≥ MATCH_IOU), each face at
    most once, best overlaps first; regions without one get None."""
    boxes = [r.pixels(width, height) for r in regions]
    pairs = sorted(
        ((_iou(box, face.box), i, j) for i, box in enumerate(boxes) for j, face in enumerate(faces)),
        reverse=True,
    )
    chosen: dict[int, Face] = {}
    used: set[int] = set()
    for score, i, j in pairs:
        if score < MATCH_IOU:
            break
        if i in chosen or j in used:
            continue
        chosen[i] = faces[j]
        used.add(j)
    return [(region, chosen.get(i)) for i, region in enumerate(regions)]


def _aware(value: datetime, owner: User) -> datetime:
    if value.tzinfo is not None:
        return value
    try:
        zone = zoneinfo.ZoneInfo(owner.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return value.replace(tzinfo=zone)


def _recognition_allowed(owner: User) -> bool:
    # The per-user consent switch (issue 11) may not exist yet: without it, recognition is on.
    return bool(getattr(owner, "face_recognition", True))


class _Importer:
    def __init__(
        self,
        *,
        owner: User,
        source: Source,
        album_per_folder: bool,
        dry_run: bool,
        progress: Progress | None,
        pipeline: FacePipeline | None,
    ) -> None:
        self.owner = owner
        self.source = source
        self.album_per_folder = album_per_folder
        self.dry_run = dry_run
        self.progress = progress
        self._pipeline = pipeline
        self.summary = ImportSummary(dry_run=dry_run)
        self.known_hashes: set[str] = set(
            Photo.objects.filter(owner=owner).values_list("content_hash", flat=True)
        )
        self.new_names: set[str] = set()
        self.folders: dict[str, list[Photo]] = {}
        # Every photo of the source, imported or already there, by its path in the source.
        self.by_path: dict[str, Photo] = {}

    def pipeline(self) -> FacePipeline:
        if self._pipeline is None:
            from recognition.runtime import get_pipeline  # torch loads only when an import runs

            self._pipeline = get_pipeline()
        return self._pipeline

    def run(self) -> ImportSummary:
        paths = self.source.paths()
        present = {p.lower(): p for p in paths}
        photos = [p for p in paths if _is_photo_candidate(p)]
        for done, path in enumerate(photos, start=1):
            self._one(path, present)
            if self.progress is not None:
                self.progress(done, len(photos), path)
        if self.album_per_folder and not self.dry_run:
            self._albums()
        if LIBRARY_FILE in paths and not self.dry_run:
            self._library_json()
        if self.summary.imported and not self.dry_run and _recognition_allowed(self.owner):
            from people.tasks import people_request_refresh

            # The untagged faces join persons (and the tagged ones teach them), as after uploads.
            people_request_refresh(owner_id=self.owner.pk)
        return self.summary

    def _read_metadata(self, path: str, data: bytes, present: dict[str, str]) -> PhotoMetadata:
        name = PurePosixPath(path).name
        companions: dict[str, bytes | None] = {"sidecar": None, "takeout": None}
        for kind, names in (("sidecar", sidecar_candidates(name)), ("takeout", takeout_candidates(name))):
            found = _companion(path, list(names), present)
            if found is not None:
                try:
                    companions[kind] = self.source.read(found)
                except OSError as exc:
                    self.summary.warnings.append((found, str(exc)))
        try:
            metadata, warnings = read_photo_metadata(
                image=data, sidecar=companions["sidecar"], takeout=companions["takeout"], filename=name
            )
        except MetadataError:
            return PhotoMetadata()  # not an image: photo_create says why, in the user's words
        self.summary.warnings.extend((path, w) for w in warnings)
        return metadata

    def _one(self, path: str, present: dict[str, str]) -> None:
        try:
            data = self.source.read(path)
        except OSError as exc:
            self.summary.failed.append((path, str(exc)))
            return
        metadata = self._read_metadata(path, data, present)
        digest = hashlib.sha256(data).hexdigest()
        if digest in self.known_hashes:
            self.summary.duplicates += 1
            existing = Photo.objects.filter(owner=self.owner, content_hash=digest).first()
            if existing is not None:
                self.folders.setdefault(str(PurePosixPath(path).parent), []).append(existing)
                self.by_path[path] = existing
            return
        if self.dry_run:
            self._dry_one(path, data, metadata, digest)
            return
        upload = ContentFile(data, name=PurePosixPath(path).name)
        try:
            photo = photo_create(
                owner=self.owner, upload=upload, title=metadata.title, caption=metadata.caption
            )
        except DuplicatePhoto:
            self.summary.duplicates += 1
            return
        except InvalidImage as exc:
            self.summary.failed.append((path, exc.message))
            return
        except StorageUnavailable as exc:
            self.summary.failed.append((path, str(exc) or _("Photo storage is unavailable.")))
            return
        self.known_hashes.add(digest)
        self.summary.imported += 1
        self.summary.photo_ids.append(photo.pk)
        self.by_path[path] = photo
        self.folders.setdefault(str(PurePosixPath(path).parent), []).append(photo)
        if metadata.taken_at is not None and not photo.taken_at_from_exif:
            photo.taken_at = _aware(metadata.taken_at, self.owner)
            photo.taken_at_from_exif = True
            photo.save(update_fields=["taken_at", "taken_at_from_exif"])
        if metadata.regions:
            self._apply_regions(photo, metadata.regions, path)

    def _dry_one(self, path: str, data: bytes, metadata: PhotoMetadata, digest: str) -> None:
        try:
            images.process(data)
        except InvalidImage as exc:
            self.summary.failed.append((path, exc.message))
            return
        self.known_hashes.add(digest)
        self.summary.imported += 1
        for region in metadata.regions:
            self._note_person(region.name)

    def _note_person(self, name: str) -> None:
        key = name.casefold()
        if key in self.new_names:
            return
        exists = Person.objects.filter(owner=self.owner, merged_into__isnull=True, name__iexact=name).exists()
        if not exists:
            self.new_names.add(key)
            self.summary.persons_created.append(name)

    def _apply_regions(self, photo: Photo, regions: Sequence[Region], path: str) -> None:
        if not _recognition_allowed(self.owner):
            self.summary.regions_skipped += len(regions)
            return
        pipeline = self.pipeline()
        photo.refresh_from_db(fields=["index_status", "index_model"])
        if photo.index_model != pipeline.model_key or photo.index_status not in (
            Photo.IndexStatus.INDEXED,
            Photo.IndexStatus.NO_FACES,
        ):
            # Indexing is queued for a worker: run it here, the tags need the faces now.
            from recognition.indexing import photos_index

            photos_index(photo_ids=[photo.pk], pipeline=pipeline)
            photo.refresh_from_db(fields=["index_status", "index_model", "index_error"])
        if photo.index_status == Photo.IndexStatus.FAILED:
            self.summary.regions_skipped += len(regions)
            self.summary.warnings.append((path, photo.index_error))
            return
        faces = list(Face.objects.filter(photo=photo, model_key=pipeline.model_key))
        pairs = match_regions(regions, faces, width=photo.width, height=photo.height)
        unmatched = [region for region, face in pairs if face is None]
        marked = self._embed_unmatched(photo, unmatched) if unmatched else []
        with transaction.atomic():
            for region, face in pairs:
                self._note_person(region.name)
                if face is not None:
                    person = faces_name(owner=self.owner, faces=[face], name=region.name)
                    faces_confirm(person=person, faces=[face])
                    self.summary.regions_matched += 1
            for region, face in zip(unmatched, marked, strict=True):
                faces_name(owner=self.owner, faces=[face], name=region.name)
                self.summary.regions_unmatched += 1

    def _embed_unmatched(self, photo: Photo, regions: Sequence[Region]) -> list[Face]:
        from recognition.services import face_add_marked

        pipeline = self.pipeline()
        image = images.open_upright(photo)
        boxes = [r.pixels(image.width, image.height) for r in regions]
        embedded = pipeline.embed_boxes(image, boxes)
        return [face_add_marked(photo=photo, model_key=pipeline.model_key, face=e) for e in embedded]

    def _albums(self) -> None:
        for folder, photos in sorted(self.folders.items()):
            name = self.source.name if folder == "." else folder
            if not name or not photos:
                continue
            ordered = sorted({p.pk: p for p in photos}.values(), key=lambda p: p.original_filename.lower())
            album = Album.objects.filter(owner=self.owner, name=name).order_by("pk").first()
            if album is None:
                album = album_create(owner=self.owner, name=name)
                self.summary.albums_created.append(album.name)
                album_add_photos(album=album, photos=ordered)
                # The folder's order (file names), as the other manager showed it.
                album_set_order(album=album, photos=ordered)
            else:
                album_add_photos(album=album, photos=ordered)

    def _library_json(self) -> None:
        """A Memory Studio export: its albums (custom order, sort, cover) and what the persons
        are besides their names (hidden, birth date), for the photos found in this import."""
        try:
            library = json.loads(self.source.read(LIBRARY_FILE).decode("utf-8"))
            records: list[dict[str, Any]] = library["photos"]
            albums: list[dict[str, Any]] = library.get("albums") or []
            persons: list[dict[str, Any]] = library.get("persons") or []
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            self.summary.warnings.append((LIBRARY_FILE, str(exc)))
            return
        photos = {
            r.get("id"): self.by_path[r["path"]]
            for r in records
            if isinstance(r, dict) and r.get("path") in self.by_path
        }
        for record in albums:
            self._library_album(record, photos)
        for record in persons:
            self._library_person(record)

    def _library_album(self, record: dict[str, Any], photos: dict[Any, Photo]) -> None:
        members = [photos[pk] for pk in record.get("photos") or [] if pk in photos]
        name = str(record.get("name") or "").strip()
        if not members or not name:
            return
        try:
            with transaction.atomic():
                album = Album.objects.filter(owner=self.owner, name=name).order_by("pk").first()
                if album is not None:
                    album_add_photos(album=album, photos=members)
                    return
                album = album_create(owner=self.owner, name=name)
                album_add_photos(album=album, photos=members)
                album_set_order(album=album, photos=members)
                sort_order = record.get("sort_order")
                if sort_order in Album.SortOrder.values:
                    album_update(album=album, sort_order=sort_order)
                cover = photos.get(record.get("cover"))
                if cover is not None and cover in members:
                    album_set_cover(album=album, photo=cover)
        except (AlbumChangeError, ValueError) as exc:
            self.summary.warnings.append((LIBRARY_FILE, str(exc)))
            return
        self.summary.albums_created.append(album.name)

    def _library_person(self, record: dict[str, Any]) -> None:
        name = str(record.get("name") or "").strip()
        if not name:
            return
        person = Person.objects.filter(owner=self.owner, merged_into__isnull=True, name__iexact=name).first()
        if person is None or name.casefold() not in self.new_names:
            return  # only the persons this import made: the user's own ones stay as they are
        birth: date | None = None
        try:
            birth = date.fromisoformat(str(record["birth_date"])) if record.get("birth_date") else None
        except ValueError:
            birth = None
        try:
            person_update(person=person, hidden=bool(record.get("hidden")), birth_date=birth)
        except PeopleError as exc:
            self.summary.warnings.append((LIBRARY_FILE, str(exc)))


def library_import(
    *,
    owner: User,
    root: Path | IO[bytes],
    album_per_folder: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    name: str = "",
    pipeline: FacePipeline | None = None,
) -> ImportSummary:
    """Import every photo under `root` (a folder, a zip file's path or an open zip file) into
    `owner`'s library, with titles, captions, dates and named face regions from their metadata.

    Raises SourceRejected (nothing imported) when the folder or archive cannot be used at all; a
    bad photo is listed in the summary's `failed` with the reason and the others go on. A dry run
    reads and validates everything and writes nothing.
    """
    source = open_source(root, name=name)
    try:
        return _Importer(
            owner=owner,
            source=source,
            album_per_folder=album_per_folder,
            dry_run=dry_run,
            progress=progress,
            pipeline=pipeline,
        ).run()
    finally:
        source.close()


# --- the Import page's background job ----------------------------------------------------------------

# Progress is saved at most this often (photos), so a large import does not write on every photo.
PROGRESS_EVERY = 5


@transaction.atomic
def import_job_create(
    *, owner: User, upload: UploadedFile[bytes], album_per_folder: bool = False, dry_run: bool = False
) -> ImportJob:
    """Keep the uploaded zip in storage and queue its import (inline without a broker: it has run
    when this returns). StorageUnavailable when the zip cannot be stored."""
    name = f"imports/{uuid.uuid4().hex}.zip"
    storage = photo_storage()
    try:
        stored = storage.save(name, upload)
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable() from exc
    job = ImportJob.objects.create(
        owner=owner,
        archive=stored,
        archive_name=(upload.name or "")[:255],
        album_per_folder=album_per_folder,
        dry_run=dry_run,
    )
    job_id = job.pk

    def send() -> None:
        from imports.tasks import run_import_job

        try:
            run_import_job.delay(job_id)
        except Exception:
            logger.exception("Could not queue import %s", job_id)
            with transaction.atomic():
                failed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
                    status=ImportJob.Status.FAILED,
                    error=_("The import could not be started; try again."),
                    archive="",
                    finished_at=timezone.now(),
                )
                if failed:
                    files_delete_after_commit(names=[stored])

    transaction.on_commit(send)
    return job


def _summary_data(summary: ImportSummary) -> dict[str, Any]:
    data = dataclasses.asdict(summary)
    data.pop("photo_ids", None)
    return data


def import_job_run(*, job_id: int) -> str:
    """Run a pending import job (idempotent: a job already started is left alone). The stored
    zip is deleted afterwards, whatever the outcome."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).select_related("owner").first()
        if job is None or job.status != ImportJob.Status.PENDING:
            return job.status if job is not None else "deleted"
        job.status = ImportJob.Status.RUNNING
        job.save(update_fields=["status"])

    def progress(done: int, total: int, path: str) -> None:
        if done == total or done % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job_id).update(done=done, total=total)

    outcome = ImportJob.Status.FAILED
    summary: dict[str, Any] = {}
    error = ""
    try:
        with photo_storage().open(job.archive, "rb") as archive:
            result = library_import(
                owner=job.owner,
                root=archive,
                name=job.archive_name.rsplit(".", 1)[0],
                album_per_folder=job.album_per_folder,
                dry_run=job.dry_run,
                progress=progress,
            )
        summary = _summary_data(result)
        outcome = ImportJob.Status.DONE
    except SourceRejected as exc:
        error = str(exc)
    except STORAGE_ERRORS:
        logger.exception("Import %s: the uploaded zip could not be read", job_id)
        error = _("The uploaded zip could not be read from storage; upload it again.")
    except Exception:
        logger.exception("Import %s failed", job_id)
        error = _("The import stopped because of an unexpected error; the photos imported so far are kept.")
    with transaction.atomic():
        ImportJob.objects.filter(pk=job_id).update(
            status=outcome, summary=summary, error=error, archive="", finished_at=timezone.now()
        )
        # Deleted once this is committed; a storage outage leaves it to the sweeper's retries.
        files_delete_after_commit(names=[job.archive])
    return str(outcome)
