"""Writes of the face index: every change of a user's faces goes through here."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from PIL import Image

from gallery.images import rendition
from gallery.models import Photo
from people.models import FaceRejection, PeopleState, Person, PersonMerge
from people.services import faces_carry_over, lock_owner_faces, persons_refresh_covers
from recognition.ml.types import MARKED_FACE_SCORE, FaceEmbedding
from recognition.models import Face, FaceDeletion, FaceIndexVersion, SearchQuery

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class IndexOutcome:
    photo_id: int
    status: Photo.IndexStatus
    faces: int
    error: str = ""


def _lock_index_version(*, owner_id: int, model_key: str) -> FaceIndexVersion:
    """Lock the owner's (owner, model) counter row for the rest of the transaction.

    Writers of one owner's faces are serialised by this lock, so face ids become visible in
    increasing order: readers may then refresh a snapshot with only the rows after its last id.
    """
    if not FaceIndexVersion.objects.filter(owner_id=owner_id, model_key=model_key).exists():
        try:
            with transaction.atomic():
                FaceIndexVersion.objects.create(owner_id=owner_id, model_key=model_key)
        except IntegrityError:
            pass  # created by a concurrent writer
    return FaceIndexVersion.objects.select_for_update().get(owner_id=owner_id, model_key=model_key)


# Deletion events whose face ids stay logged for other processes' snapshots (FaceDeletion); a
# snapshot older than that reloads in full.
DELETION_LOG_EVENTS = 1000


def _bump(
    version: FaceIndexVersion, *, deleted_face_ids: Sequence[int] = (), all_deleted: bool = False
) -> None:
    """Record a change of the (locked) index: a new version and, for deleted faces, a deletion
    event whose face ids other processes drop from their snapshots. When every face is gone
    (`all_deleted`) nothing is logged: the log is declared pruned past this event, so snapshots
    load the (empty) index again instead of dropping ids one by one."""
    if not deleted_face_ids and not all_deleted:
        FaceIndexVersion.objects.filter(pk=version.pk).update(version=F("version") + 1)
        return
    seq = version.deletions + 1
    log = FaceDeletion.objects.filter(owner_id=version.owner_id, model_key=version.model_key)
    pruned = version.pruned_deletions
    if all_deleted:
        pruned = seq
        log.delete()
    else:
        log.bulk_create(
            FaceDeletion(owner_id=version.owner_id, model_key=version.model_key, seq=seq, face_id=face_id)
            for face_id in deleted_face_ids
        )
        if seq - pruned > 2 * DELETION_LOG_EVENTS:  # prune now and then, not on every deletion
            pruned = seq - DELETION_LOG_EVENTS
            log.filter(seq__lte=pruned).delete()
    FaceIndexVersion.objects.filter(pk=version.pk).update(
        version=F("version") + 1, deletions=seq, pruned_deletions=pruned
    )


def _forget_faces(*, owner_id: int, faces: QuerySet[Face], all_of_owner: bool = False) -> int:
    """Delete `faces` (the owner's), one deletion event per face model; the caller holds
    `lock_owner_faces`. Returns how many faces were deleted."""
    removed = 0
    for model_key in sorted(set(faces.values_list("model_key", flat=True))):
        version = _lock_index_version(owner_id=owner_id, model_key=model_key)
        of_model = faces.filter(model_key=model_key)
        face_ids = [] if all_of_owner else list(of_model.values_list("pk", flat=True))
        removed += of_model.delete()[1].get(Face._meta.label, 0)
        _bump(version, deleted_face_ids=face_ids, all_deleted=all_of_owner)
    return removed


def _face_row(*, photo: Photo, model_key: str, face: FaceEmbedding) -> Face:
    vector = np.asarray(face.vector, dtype="<f4").reshape(-1)
    x1, y1, x2, y2 = (float(v) for v in face.face.box)
    return Face(
        owner_id=photo.owner_id,
        photo=photo,
        model_key=model_key,
        x1=x1,
        y1=y1,
        x2=x2,
        y2=y2,
        landmarks=[[float(x), float(y)] for x, y in face.face.landmarks],
        score=float(face.face.score),
        dim=int(vector.shape[0]),
        embedding=vector.tobytes(),
    )


@transaction.atomic
def photo_faces_replace(
    *, photo_id: int, model_key: str, faces: Sequence[FaceEmbedding]
) -> IndexOutcome | None:
    """Replace a photo's faces for `model_key` in one transaction (idempotent re-indexing).

    Returns None when the photo was deleted meanwhile.
    """
    owner_id = Photo.objects.filter(pk=photo_id).values_list("owner_id", flat=True).first()
    if owner_id is None:
        return None
    lock_owner_faces(owner_id=owner_id)
    photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
    if photo is None:
        return None
    if not face_recognition_on(owner_id=owner_id):
        # Turned off while the model ran: under the owner's lock, so nothing is written after
        # the face data was deleted.
        return _mark_off(photo)
    version = _lock_index_version(owner_id=photo.owner_id, model_key=model_key)
    old = list(Face.objects.filter(photo=photo))  # every model's: People decisions carry over
    created = Face.objects.bulk_create([_face_row(photo=photo, model_key=model_key, face=f) for f in faces])
    faces_carry_over(old=old, new=created)
    # Faces a person marked where the detector found none (imported face tags) stay, unless the
    # detector now finds a face there (which took over their person just above).
    marked = [
        f
        for f in old
        if f.model_key == model_key
        and f.score == MARKED_FACE_SCORE
        and not any(_box_iou(f.box, n.box) >= MARKED_FACE_IOU for n in created)
    ]
    kept = {f.pk for f in marked}
    replaced = [f.pk for f in old if f.model_key == model_key and f.pk not in kept]
    Face.objects.filter(pk__in=replaced).delete()
    total = len(faces) + len(marked)
    photo.index_status = Photo.IndexStatus.INDEXED if total else Photo.IndexStatus.NO_FACES
    photo.index_model = model_key
    photo.index_error = ""
    photo.indexed_at = timezone.now()
    photo.face_count = total
    photo.save(update_fields=["index_status", "index_model", "index_error", "indexed_at", "face_count"])
    _bump(version, deleted_face_ids=replaced)
    return IndexOutcome(photo_id=photo_id, status=Photo.IndexStatus(photo.index_status), faces=total)


def face_recognition_on(*, owner_id: int) -> bool:
    """Whether the owner consents to face recognition (False for a deleted owner)."""
    from accounts.models import User

    return bool(User.objects.filter(pk=owner_id, face_recognition=True).exists())


def _mark_off(photo: Photo) -> IndexOutcome:
    photo.index_status = Photo.IndexStatus.OFF
    photo.index_error = ""
    photo.face_count = 0
    photo.save(update_fields=["index_status", "index_error", "face_count"])
    return IndexOutcome(photo_id=photo.pk, status=Photo.IndexStatus.OFF, faces=0)


@transaction.atomic
def photo_mark_index_off(*, photo_id: int) -> IndexOutcome | None:
    """A queued indexing job of an owner with face recognition off: nothing is detected or kept."""
    photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
    return None if photo is None else _mark_off(photo)


@dataclass(frozen=True)
class FaceDataReport:
    """What `face_data_delete` deleted, for the person who asked."""

    faces: int
    persons: int
    rejections: int
    search_queries: int


def face_data_summary(*, owner_id: int) -> FaceDataReport:
    """How much face data the owner has (what `face_data_delete` would delete)."""
    return FaceDataReport(
        faces=Face.objects.filter(owner_id=owner_id).count(),
        persons=Person.objects.filter(owner_id=owner_id).live().count(),
        rejections=FaceRejection.objects.filter(owner_id=owner_id).count(),
        search_queries=SearchQuery.objects.filter(owner_id=owner_id).count(),
    )


@transaction.atomic
def face_data_delete(*, owner_id: int, reindex: bool) -> FaceDataReport:
    """Delete everything the owner's face recognition produced: faces (with their embeddings),
    persons and their names, merges, "not this person" rejections, kept search queries; every
    process's face index forgets them at its next version check.

    `reindex`: the photos are indexed again from scratch (the owner keeps recognition on);
    otherwise they are marked off and stay so until recognition is turned on.
    """
    lock_owner_faces(owner_id=owner_id)
    photos = Photo.objects.filter(owner_id=owner_id)
    list(photos.select_for_update().values_list("pk", flat=True))  # the photos' locks, as indexing takes
    report = face_data_summary(owner_id=owner_id)
    PersonMerge.objects.filter(owner_id=owner_id).delete()  # before the faces and persons it names
    faces_forget_owner(owner_id=owner_id)
    # Merged persons point at their targets: delete the absorbed ones first.
    Person.objects.filter(owner_id=owner_id, merged_into__isnull=False).delete()
    Person.objects.filter(owner_id=owner_id).delete()
    SearchQuery.objects.filter(owner_id=owner_id).delete()
    PeopleState.objects.filter(owner_id=owner_id).update(persons_changed_at=None)
    status = Photo.IndexStatus.PENDING if reindex else Photo.IndexStatus.OFF
    photos.update(index_status=status, index_model="", index_error="", indexed_at=None, face_count=0)
    if reindex:
        photos_index_again(owner_id=owner_id)
    return report


@transaction.atomic
def photos_index_again(*, owner_id: int) -> int:
    """Queue every photo of the owner for indexing (face recognition turned on again)."""
    from recognition.tasks import enqueue_photo_indexing

    photos = Photo.objects.filter(owner_id=owner_id)
    photo_ids = list(photos.values_list("pk", flat=True))
    photos.update(index_status=Photo.IndexStatus.PENDING, index_error="")
    for photo_id in photo_ids:
        enqueue_photo_indexing(photo_id)
    return len(photo_ids)


MARKED_FACE_IOU = 0.3


def _box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@transaction.atomic
def face_add_marked(*, photo: Photo, model_key: str, face: FaceEmbedding) -> Face:
    """Add a face that a person marked and the detector missed (an imported face tag), with its
    embedding, to the photo's faces of `model_key`; the photo's face count follows."""
    lock_owner_faces(owner_id=photo.owner_id)
    Photo.objects.select_for_update().filter(pk=photo.pk).exists()
    version = _lock_index_version(owner_id=photo.owner_id, model_key=model_key)
    row = _face_row(photo=photo, model_key=model_key, face=face)
    row.save()
    count = Face.objects.filter(photo=photo, model_key=model_key).count()
    Photo.objects.filter(pk=photo.pk).update(face_count=count, index_status=Photo.IndexStatus.INDEXED)
    _bump(version)
    return row


@transaction.atomic
def photo_mark_index_failed(*, photo_id: int, model_key: str, error: str) -> IndexOutcome | None:
    """Record why indexing failed; the photo's faces of other runs are left as they were."""
    message = (error or "Indexing failed.")[:MAX_ERROR_LENGTH]
    kept = Face.objects.filter(photo_id=photo_id, model_key=model_key).count()
    updated = Photo.objects.filter(pk=photo_id).update(
        index_status=Photo.IndexStatus.FAILED,
        index_model=model_key,
        index_error=message,
        indexed_at=timezone.now(),
        face_count=kept,
    )
    if not updated:
        return None
    return IndexOutcome(photo_id=photo_id, status=Photo.IndexStatus.FAILED, faces=0, error=message)


@transaction.atomic
def photo_mark_index_pending(*, photo_id: int) -> None:
    Photo.objects.filter(pk=photo_id).update(index_status=Photo.IndexStatus.PENDING, index_error="")


@transaction.atomic
def faces_forget_photo(*, photo: Photo) -> None:
    """Before a photo is deleted: drop its faces and tell every process's index about it.

    The caller holds `lock_owner_faces` and the photo's lock (in that order, as indexing does)."""
    persons = set(Face.objects.filter(photo=photo, person__isnull=False).values_list("person_id", flat=True))
    _forget_faces(owner_id=photo.owner_id, faces=Face.objects.filter(photo=photo))
    persons_refresh_covers(person_ids=persons)


@transaction.atomic
def faces_forget_owner(*, owner_id: int) -> int:
    """Before all of an owner's photos are deleted: drop every face of theirs, one deletion event
    per model (snapshots reload, empty). The caller holds `lock_owner_faces`."""
    return _forget_faces(owner_id=owner_id, faces=Face.objects.filter(owner_id=owner_id), all_of_owner=True)


def search_query_create(
    *, owner: User, image: Image.Image, faces: Sequence[FaceEmbedding], model_key: str
) -> SearchQuery:
    """Keep a query photo's preview, faces and embeddings for SEARCH_QUERY_TTL_HOURS.

    Expired queries (and the owner's beyond SEARCH_QUERY_MAX_PER_USER, oldest first) are removed
    here, so the table stays small without a scheduled job.
    """
    preview = rendition(image, settings.SEARCH_QUERY_PREVIEW_SIZE, quality=82, fast=True)
    vectors = np.stack([np.asarray(f.vector, dtype="<f4") for f in faces])
    with transaction.atomic():
        search_queries_purge(owner=owner, keep=settings.SEARCH_QUERY_MAX_PER_USER - 1)
        return SearchQuery.objects.create(
            id=SearchQuery.new_id(),
            owner=owner,
            model_key=model_key,
            width=image.width,
            height=image.height,
            preview=preview,
            faces=[
                {"box": [round(float(v), 2) for v in f.face.box], "score": round(float(f.face.score), 4)}
                for f in faces
            ],
            dim=int(vectors.shape[1]),
            embeddings=vectors.tobytes(),
        )


def search_queries_purge(*, owner: User, keep: int) -> int:
    """Delete expired queries (everyone's), and the owner's beyond the newest `keep`."""
    deleted, _ = SearchQuery.objects.expired().delete()
    old = SearchQuery.objects.filter(owner_id=owner.pk).order_by("-created_at", "-pk")[keep:]
    stale = list(old.values_list("pk", flat=True))
    if stale:
        deleted += SearchQuery.objects.filter(pk__in=stale).delete()[0]
    return deleted
