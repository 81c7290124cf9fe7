"""Search by face: turn a query (an image or one of the user's faces) into ranked photos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from recognition.ml.pipeline import FacePipeline
from recognition.ml.types import DetectedFace
from recognition.models import Face
from recognition.runtime import search_threshold
from recognition.selectors import SearchHit, face_search


class SearchError(Exception):
    """A query that cannot be answered; the message is shown to the user."""


class NoFaceInQueryError(SearchError):
    pass


class FaceIndexOutOfRangeError(SearchError):
    pass


class FaceOfAnotherModelError(SearchError):
    pass


@dataclass(frozen=True)
class SearchResult:
    model_key: str
    threshold: float
    query_faces: list[DetectedFace]
    used_face: int | None
    hits: list[SearchHit]


def search_by_image(
    *,
    user: Any,
    image: Image.Image,
    pipeline: FacePipeline,
    face_index: int | None = None,
    threshold: float | None = None,
    limit: int = 100,
) -> SearchResult:
    """Detect the query's faces, take the largest (or `face_index`), rank the user's photos."""
    faces = pipeline.predict([image])[0]
    if not faces:
        raise NoFaceInQueryError(
            "No face was found in this photo. Try a photo where the face is larger and in focus."
        )
    if face_index is None:
        face_index = max(range(len(faces)), key=lambda i: _area(faces[i].face))
    elif not 0 <= face_index < len(faces):
        raise FaceIndexOutOfRangeError(
            f"face_index {face_index} is out of range: this photo has {len(faces)} face(s), numbered from 0."
        )
    chosen = faces[face_index]
    return _rank(
        user=user,
        vector=chosen.vector,
        pipeline=pipeline,
        threshold=threshold,
        limit=limit,
        query_faces=[f.face for f in faces],
        used_face=face_index,
    )


def search_by_face(
    *, user: Any, face: Face, pipeline: FacePipeline, threshold: float | None = None, limit: int = 100
) -> SearchResult:
    """Rank the user's photos by similarity to one of their indexed faces."""
    if face.model_key != pipeline.embedder.key:
        raise FaceOfAnotherModelError(
            f"This face was indexed with model {face.model_key!r}, "
            f"but search uses {pipeline.embedder.key!r}. "
            "Re-index the library (manage.py reindex_faces) and try again."
        )
    return _rank(
        user=user,
        vector=face.vector(),
        pipeline=pipeline,
        threshold=threshold,
        limit=limit,
        query_faces=[],
        used_face=None,
    )


def _area(face: DetectedFace) -> float:
    x1, y1, x2, y2 = face.box
    return max(0.0, x2 - x1) * max(0.0, y2 - y1)


def _rank(
    *,
    user: Any,
    vector: npt.ArrayLike,
    pipeline: FacePipeline,
    threshold: float | None,
    limit: int,
    query_faces: list[DetectedFace],
    used_face: int | None,
) -> SearchResult:
    min_similarity = search_threshold(pipeline) if threshold is None else threshold
    model_key = pipeline.embedder.key
    hits = face_search(
        user=user,
        vector=np.asarray(vector, dtype=np.float32),
        model_key=model_key,
        min_similarity=min_similarity,
        limit=limit,
    )
    return SearchResult(
        model_key=model_key, threshold=min_similarity, query_faces=query_faces, used_face=used_face, hits=hits
    )
