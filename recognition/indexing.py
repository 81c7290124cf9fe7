"""Running the face pipeline over stored photos and writing the results to the index."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext
from PIL import Image

from gallery.images import InvalidImage, open_upright
from gallery.models import Photo
from gallery.storage import STORAGE_ERRORS, StorageUnavailable, is_missing_file
from recognition.services import (
    IndexOutcome,
    photo_faces_replace,
    photo_mark_index_failed,
    photo_mark_index_off,
)

if TYPE_CHECKING:  # the pipeline (torch) is imported only where it runs
    from recognition.ml.pipeline import FacePipeline
    from recognition.ml.types import FaceEmbedding

logger = logging.getLogger(__name__)

# Errors worth a retry: the database or the storage is briefly unreachable.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, StorageUnavailable)


class PhotoUnreadable(Exception):  # noqa: N818 (a reason, shown as the photo's index error)
    """The photo's stored image cannot be used for indexing; the message says why."""


def _open(photo: Photo) -> Image.Image:
    """The upright RGB image. PhotoUnreadable when it is missing or broken (permanent),
    StorageUnavailable when the storage cannot be reached (worth a retry)."""
    try:
        return open_upright(photo)
    except FileNotFoundError:
        raise PhotoUnreadable("The original file is missing from storage.") from None
    except STORAGE_ERRORS as exc:
        if is_missing_file(exc):
            raise PhotoUnreadable("The original file is missing from storage.") from None
        raise StorageUnavailable(gettext("Photo storage is unavailable; indexing will be retried.")) from exc
    except InvalidImage as exc:
        raise PhotoUnreadable(f"The stored image cannot be read: {exc}") from None


def photos_index(*, photo_ids: Sequence[int], pipeline: FacePipeline) -> list[IndexOutcome]:
    """Detect and embed the faces of these photos in one batch and replace their index rows.

    Photos deleted meanwhile are skipped; a photo that cannot be read or processed is marked
    failed with the reason and never stops the others. Transient errors propagate (retry).
    """
    model_key = pipeline.embedder.key
    photos = {p.pk: p for p in Photo.objects.filter(pk__in=photo_ids).select_related("owner")}
    outcomes: list[IndexOutcome] = []
    ready: list[tuple[int, Image.Image]] = []
    for photo_id in photo_ids:
        photo = photos.get(photo_id)
        if photo is None:
            continue
        if not photo.owner.face_recognition:  # no consent: the image is never even opened
            off = photo_mark_index_off(photo_id=photo_id)
            if off is not None:
                outcomes.append(off)
            continue
        try:
            ready.append((photo_id, _open(photo)))
        except PhotoUnreadable as exc:
            failed = photo_mark_index_failed(photo_id=photo_id, model_key=model_key, error=str(exc))
            if failed is not None:
                outcomes.append(failed)
    if not ready:
        return outcomes
    # Each photo's faces, or the message saying why the model failed on it.
    results: list[list[FaceEmbedding] | str]
    try:
        results = list(pipeline.predict([image for _, image in ready]))
    except TRANSIENT_ERRORS:
        raise
    except Exception:
        logger.warning("Batch of %d photos failed; retrying one by one", len(ready), exc_info=True)
        results = []
        for photo_id, image in ready:
            try:
                results.append(pipeline.predict([image])[0])
            except Exception as exc:
                logger.exception("Face detection failed for photo %s", photo_id)
                results.append(f"Face detection failed: {exc}")
    for (photo_id, _), faces in zip(ready, results, strict=True):
        if isinstance(faces, str):
            outcome = photo_mark_index_failed(photo_id=photo_id, model_key=model_key, error=faces)
        else:
            outcome = photo_faces_replace(photo_id=photo_id, model_key=model_key, faces=faces)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def photos_to_index(*, model_key: str, owner_id: int | None = None, missing_only: bool = False) -> list[int]:
    """Ids of the photos to (re)index, oldest first so an interrupted run resumes where it stopped."""
    photos = Photo.objects.filter(owner__face_recognition=True)
    if owner_id is not None:
        photos = photos.filter(owner_id=owner_id)
    if missing_only:
        done = [Photo.IndexStatus.INDEXED, Photo.IndexStatus.NO_FACES]
        photos = photos.exclude(index_model=model_key, index_status__in=done)
    return list(photos.order_by("pk").values_list("pk", flat=True))
