"""Fixtures for the recognition engine: the real models, loaded once per test session."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from recognition.ml.detection import FaceDetector
from recognition.ml.dlib_resnet import DlibModel, read_dlib_model
from recognition.ml.embedders import DlibResNetEmbedder
from recognition.ml.images import load_rgb
from recognition.ml.pipeline import FacePipeline


@pytest.fixture(scope="session")
def dlib_model() -> DlibModel:
    return read_dlib_model()


@pytest.fixture(scope="session")
def dlib_embedder() -> DlibResNetEmbedder:
    embedder = DlibResNetEmbedder(device="cpu")
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def detector() -> FaceDetector:
    detector = FaceDetector(device="cpu")
    detector.load()
    return detector


@pytest.fixture(scope="session")
def pipeline(detector: FaceDetector, dlib_embedder: DlibResNetEmbedder) -> FacePipeline:
    return FacePipeline(detector, dlib_embedder, batch_size=4)


@pytest.fixture(scope="session")
def portrait_path(faces_dir: Path) -> Path:
    """A small colour photo with one clear face."""
    return faces_dir / "angelina_jolie" / "img10.jpg"


@pytest.fixture(scope="session")
def portrait(portrait_path: Path) -> Image.Image:
    return load_rgb(portrait_path.read_bytes())


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def runtime_pipeline() -> FacePipeline:
    """The process-wide pipeline built from settings: the one uploads are indexed with."""
    from recognition.runtime import get_pipeline

    return get_pipeline()


@pytest.fixture
def upload_photo(django_capture_on_commit_callbacks: Any) -> Any:
    """Upload a file as `owner` through the gallery service and run its indexing (inline)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gallery.services import photo_create

    def upload(owner: Any, path: Path, *, title: str = "") -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            photo = photo_create(
                owner=owner, upload=SimpleUploadedFile(path.name, path.read_bytes()), title=title
            )
        photo.refresh_from_db()
        return photo

    return upload


def person_photos(faces_dir: Path, person: str) -> list[Path]:
    return sorted(p for p in (faces_dir / person).iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
