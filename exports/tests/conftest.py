"""Export fixtures: a library on a local storage of its own (so that its files can be listed),
photos with named faces (synthetic embeddings; no model needed)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from django.core.files.storage import Storage

from exports.models import Export
from gallery.models import Photo
from gallery.storage import photo_storage
from gallery.tests.conftest import photo_factory, storages_for  # noqa: F401 (fixture)
from people.services import person_create
from recognition.ml.types import DetectedFace, FaceEmbedding
from recognition.models import Face
from recognition.services import photo_faces_replace

MODEL = "dlib-resnet"
MARKS = ((1.0, 1.0), (2.0, 1.0), (1.5, 2.0), (1.0, 3.0), (2.0, 3.0))


@pytest.fixture
def local_storage(settings: Any, tmp_path: Any) -> Storage:
    settings.STORAGES = storages_for(
        "django.core.files.storage.FileSystemStorage", {"location": str(tmp_path), "base_url": None}, settings
    )
    return photo_storage()


def stored_names(storage: Storage, folder: str) -> set[str]:
    """Every file under `folder` of a local storage."""
    if not storage.exists(folder):
        return set()
    directories, files = storage.listdir(folder)
    found = {f"{folder}/{name}" for name in files}
    for directory in directories:
        found |= stored_names(storage, f"{folder}/{directory}")
    return found


def add_faces(photo: Photo, boxes: list[tuple[float, float, float, float]]) -> list[Face]:
    """Give `photo` faces with these boxes (pixels of the upright image), distinct embeddings."""
    rng = np.random.default_rng(photo.pk)
    faces = []
    for box in boxes:
        vector = rng.normal(size=128).astype(np.float32)
        vector /= np.linalg.norm(vector)
        faces.append(FaceEmbedding(face=DetectedFace(box=box, score=0.99, landmarks=MARKS), vector=vector))
    photo_faces_replace(photo_id=photo.pk, model_key=MODEL, faces=faces)
    return list(Face.objects.filter(photo=photo).order_by("id"))


def name_face(face: Face, name: str) -> Any:
    return person_create(owner=face.owner, faces=[face], name=name)


def set_taken_at(photo: Photo, moment: datetime) -> None:
    Photo.objects.filter(pk=photo.pk).update(taken_at=moment)
    photo.refresh_from_db()


def export_zip(export: Export, storage: Storage | None = None) -> zipfile.ZipFile:
    storage = storage or photo_storage()
    with storage.open(export.file_name, "rb") as stored:
        return zipfile.ZipFile(io.BytesIO(stored.read()))


@pytest.fixture
def run_export(django_capture_on_commit_callbacks: Any) -> Callable[..., Export]:
    """Start an export as the page does and run its job (inline, as without a broker)."""
    from exports.services import export_create

    def run(owner: Any) -> Export:
        with django_capture_on_commit_callbacks(execute=True):
            export = export_create(owner=owner)
        export.refresh_from_db()
        return export

    return run
