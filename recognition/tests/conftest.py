"""Fixtures for the recognition engine: the real models, loaded once per test session."""

from __future__ import annotations

import io
from pathlib import Path

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
