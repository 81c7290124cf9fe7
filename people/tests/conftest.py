"""People fixtures: photos with synthetic faces of known identities (no model needed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import make_image_bytes
from gallery.models import Photo
from gallery.services import photo_create
from recognition.ml.knn import l2_normalise
from recognition.ml.types import DetectedFace, FaceEmbedding
from recognition.models import Face
from recognition.services import photo_faces_replace

MODEL = "dlib-resnet"  # the active model in tests: People works on its faces
DIM = 128
MARKS = ((1.0, 1.0), (2.0, 1.0), (1.5, 2.0), (1.0, 3.0), (2.0, 3.0))


class Identities:
    """Random, well-separated identity vectors; `face(k)` is a noisy view of identity k."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.centres: dict[int, np.ndarray] = {}

    def centre(self, k: int) -> np.ndarray:
        if k not in self.centres:
            self.centres[k] = l2_normalise(self.rng.standard_normal(DIM))
        return self.centres[k]

    def face(self, k: int, noise: float = 0.02) -> np.ndarray:
        return l2_normalise(self.centre(k) + noise * self.rng.standard_normal(DIM))


def vector_near(vectors: list[np.ndarray], similarity: float, seed: int = 3) -> np.ndarray:
    """A unit vector whose cosine similarity with each of `vectors` (close to each other) is about
    `similarity`: their mean direction tilted away along a random orthogonal direction."""
    centre = l2_normalise(np.mean(vectors, axis=0))
    spread = float(np.mean([centre @ v for v in vectors]))
    tilt = min(1.0, similarity / spread)
    noise = np.random.default_rng(seed).standard_normal(centre.shape[0])
    other = l2_normalise(noise - (noise @ centre) * centre)
    return l2_normalise(tilt * centre + np.sqrt(max(0.0, 1 - tilt**2)) * other)


@pytest.fixture
def identities() -> Identities:
    return Identities()


def face_embeddings(
    vectors: list[np.ndarray], *, size: float = 80.0, score: float = 0.999
) -> list[FaceEmbedding]:
    """Faces side by side, `size` px wide, in the order given."""
    return [
        FaceEmbedding(
            face=DetectedFace(
                box=(i * 100.0, 10.0, i * 100.0 + size, 10.0 + size), score=score, landmarks=MARKS
            ),
            vector=np.asarray(v, dtype=np.float32),
        )
        for i, v in enumerate(vectors)
    ]


@pytest.fixture
def face_photo() -> Callable[..., tuple[Photo, list[Face]]]:
    """A stored photo of `owner` whose faces have the given embeddings (left to right)."""
    counter = iter(range(1, 1_000_000))

    def make(
        owner: Any, *vectors: np.ndarray, model_key: str = MODEL, **kwargs: Any
    ) -> tuple[Photo, list[Face]]:
        n = next(counter)
        data = make_image_bytes(size=(48, 36), color=(n % 256, (n // 256) % 256, (n * 7) % 256))
        photo = photo_create(owner=owner, upload=SimpleUploadedFile(f"p{n}.jpg", data))
        photo_faces_replace(
            photo_id=photo.pk, model_key=model_key, faces=face_embeddings(list(vectors), **kwargs)
        )
        return photo, list(Face.objects.filter(photo=photo, model_key=model_key).order_by("x1"))

    return make
