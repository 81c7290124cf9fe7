"""Search by face: turn a query (an image, a kept query photo or one of the user's faces) into
ranked photos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from django.utils.translation import gettext as _
from PIL import Image

from recognition.ml.prominence import most_prominent
from recognition.ml.types import DetectedFace
from recognition.models import Face, SearchQuery
from recognition.runtime import active_model_key, search_threshold
from recognition.selectors import SearchHit, face_search
from recognition.services import search_query_create

if TYPE_CHECKING:  # torch is imported where the pipeline is built (recognition.runtime)
    from accounts.models import User
    from recognition.ml.pipeline import FacePipeline

# How strict a search is, in plain words. The page asks for "loose" once and filters in the
# browser; the API answers the similarity each word stands for with every result.
STRICTNESS = ("loose", "default", "strict")
# Loose and strict sit a fixed share of the way from the model's threshold towards 0 and 1
# similarity, so the words mean the same on every model's scale.
_LOOSE_SHARE, _STRICT_SHARE = 0.4, 0.35


class SearchError(Exception):
    """A query that cannot be answered; the message is shown to the user."""


class NoFaceInQueryError(SearchError):
    pass


class FaceRecognitionOffError(SearchError):
    pass


def check_face_recognition_on(user: User) -> None:
    """Search by face needs the user's consent to face recognition (and keeps nothing without it)."""
    if not user.face_recognition:
        raise FaceRecognitionOffError(
            _("Face recognition is off for your account. Turn it on in your settings to search by face.")
        )


class FaceIndexOutOfRangeError(SearchError):
    pass


class FaceOfAnotherModelError(SearchError):
    pass


def strictness_thresholds(default: float) -> dict[str, float]:
    """The similarity that "loose", "default" and "strict" stand for, given the model's threshold."""
    span = max(0.0, 1.0 - default)
    return {
        "loose": round(default - _LOOSE_SHARE * span, 4),
        "default": round(default, 4),
        "strict": round(default + _STRICT_SHARE * span, 4),
    }


@dataclass(frozen=True)
class SearchResult:
    model_key: str
    threshold: float
    thresholds: dict[str, float]
    query_faces: list[DetectedFace]
    used_face: int | None
    hits: list[SearchHit]
    query: SearchQuery | None = None


def search_by_image(
    *,
    user: User,
    image: Image.Image,
    pipeline: FacePipeline,
    face_index: int | None = None,
    threshold: float | None = None,
    strictness: str = "default",
    limit: int = 100,
) -> SearchResult:
    """Detect the query's faces, keep them as a SearchQuery (with a preview), take the face the
    photo is about (see `default_face_index`) or `face_index`, and rank the user's photos."""
    check_face_recognition_on(user)
    faces = pipeline.predict([image])[0]
    if not faces:
        raise NoFaceInQueryError(
            _("No face was found in this photo. Try a photo where the face is larger and in focus.")
        )
    _check_face_index(face_index, len(faces))
    query = search_query_create(owner=user, image=image, faces=faces, model_key=pipeline.embedder.key)
    return search_by_query(
        user=user,
        query=query,
        pipeline=pipeline,
        face_index=face_index,
        threshold=threshold,
        strictness=strictness,
        limit=limit,
    )


def search_by_query(
    *,
    user: User,
    query: SearchQuery,
    pipeline: FacePipeline,
    face_index: int | None = None,
    threshold: float | None = None,
    strictness: str = "default",
    limit: int = 100,
) -> SearchResult:
    """Search again with a kept query photo: another of its faces, another strictness."""
    check_face_recognition_on(user)
    if query.model_key != pipeline.embedder.key:
        raise FaceOfAnotherModelError(
            _("The face model has changed since this photo was searched. Choose the photo again.")
        )
    query_faces = [
        DetectedFace(box=tuple(face["box"]), score=float(face["score"]), landmarks=()) for face in query.faces
    ]
    _check_face_index(face_index, len(query_faces))
    if face_index is None:
        face_index = default_face_index(query)
    return _rank(
        user=user,
        vector=query.vectors()[face_index],
        pipeline=pipeline,
        threshold=threshold,
        strictness=strictness,
        limit=limit,
        query_faces=query_faces,
        used_face=face_index,
        query=query,
    )


def search_by_face(
    *,
    user: User,
    face: Face,
    pipeline: FacePipeline,
    threshold: float | None = None,
    strictness: str = "default",
    limit: int = 100,
) -> SearchResult:
    """Rank the user's photos by similarity to one of their indexed faces."""
    check_face_recognition_on(user)
    if face.model_key != pipeline.embedder.key:
        raise FaceOfAnotherModelError(
            _(
                "This face was indexed with model %(old)s, but search uses %(new)s. "
                "Re-index the library (manage.py reindex_faces) and try again."
            )
            % {"old": repr(face.model_key), "new": repr(pipeline.embedder.key)}
        )
    return _rank(
        user=user,
        vector=face.vector(),
        pipeline=pipeline,
        threshold=threshold,
        strictness=strictness,
        limit=limit,
        query_faces=[],
        used_face=None,
    )


def default_face_index(query: SearchQuery) -> int:
    """The face a query photo is about: large, near the centre and not cut by the frame
    (`recognition.ml.prominence`), not merely the largest, which is often a neighbour cut off
    at the edge."""
    boxes = [
        (float(x1), float(y1), float(x2), float(y2)) for x1, y1, x2, y2 in (f["box"] for f in query.faces)
    ]
    return most_prominent(boxes, (query.width, query.height))


def _check_face_index(face_index: int | None, count: int) -> None:
    if face_index is not None and not 0 <= face_index < count:
        raise FaceIndexOutOfRangeError(
            _("face_index %(index)s is out of range: this photo has %(count)s face(s), numbered from 0.")
            % {"index": face_index, "count": count}
        )


def _rank(
    *,
    user: User,
    vector: npt.ArrayLike,
    pipeline: FacePipeline,
    threshold: float | None,
    strictness: str,
    limit: int,
    query_faces: list[DetectedFace],
    used_face: int | None,
    query: SearchQuery | None = None,
) -> SearchResult:
    thresholds = strictness_thresholds(search_threshold(pipeline))
    min_similarity = thresholds[strictness] if threshold is None else threshold
    model_key = pipeline.embedder.key
    hits = face_search(
        user=user,
        vector=np.asarray(vector, dtype=np.float32),
        model_key=model_key,
        min_similarity=min_similarity,
        limit=limit,
    )
    return SearchResult(
        model_key=model_key,
        threshold=min_similarity,
        thresholds=thresholds,
        query_faces=query_faces,
        used_face=used_face,
        hits=hits,
        query=query,
    )


# The search page asks for this many results at the loose strictness and filters them there.
PAGE_RESULTS_LIMIT = 1000


def ranked_photo_ids(
    *,
    user: User,
    query: SearchQuery | None = None,
    face: Face | None = None,
    face_index: int | None = None,
    strictness: str = "default",
) -> list[int]:
    """The ids of the photos the search page lists for a kept query photo (its `face_index`,
    else the face it is about) or one of the user's faces, best first, at this strictness: the
    viewer steps through them in that order. Needs the stored embeddings only, never the
    loaded model."""
    model_key = active_model_key()
    if query is not None:
        if query.model_key != model_key:
            raise FaceOfAnotherModelError(
                _("The face model has changed since this photo was searched. Choose the photo again.")
            )
        _check_face_index(face_index, len(query.faces))
        if face_index is None:
            face_index = default_face_index(query)
        vector = query.vectors()[face_index]
    elif face is not None:
        if face.model_key != model_key:
            raise FaceOfAnotherModelError(_("This face was indexed with another model. Search again."))
        vector = face.vector()
    else:
        raise ValueError("ranked_photo_ids needs a query or a face")
    thresholds = strictness_thresholds(search_threshold())
    hits = face_search(
        user=user,
        vector=vector,
        model_key=model_key,
        min_similarity=thresholds["loose"],
        limit=PAGE_RESULTS_LIMIT,
    )
    minimum = thresholds.get(strictness, thresholds["default"])
    # Compared as the page does: the API rounds similarities to 4 places.
    return [hit.photo.pk for hit in hits if round(hit.similarity, 4) >= minimum]
