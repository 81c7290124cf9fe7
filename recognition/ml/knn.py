"""Exact nearest-neighbour search over one owner's face embeddings (Django-free).

A `FaceMatrix` is an immutable snapshot: a float32 matrix of L2-normalised embeddings with the
face and photo id of each row. Cosine similarity is one matrix-vector product; the result keeps
the best-matching face of each photo, ranked by similarity. Snapshots are replaced, never
mutated, so readers in other threads always see a consistent matrix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from recognition.ml.metrics import l2_normalise

__all__ = ["FaceMatrix", "Match", "l2_normalise"]

FloatMatrix = npt.NDArray[np.float32]
IdArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Match:
    face_id: int
    photo_id: int
    similarity: float

    @property
    def distance(self) -> float:
        """Euclidean distance between the two L2-normalised vectors: sqrt(2 - 2 cos)."""
        return math.sqrt(max(0.0, 2.0 - 2.0 * self.similarity))


class FaceMatrix:
    __slots__ = ("dim", "face_ids", "photo_ids", "vectors")

    def __init__(
        self, face_ids: npt.ArrayLike, photo_ids: npt.ArrayLike, vectors: npt.ArrayLike, dim: int
    ) -> None:
        self.dim = dim
        self.face_ids: IdArray = np.ascontiguousarray(face_ids, dtype=np.int64).reshape(-1)
        self.photo_ids: IdArray = np.ascontiguousarray(photo_ids, dtype=np.int64).reshape(-1)
        matrix = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
        if not (len(self.face_ids) == len(self.photo_ids) == len(matrix)):
            raise ValueError("face_ids, photo_ids and vectors must have the same number of rows")
        self.vectors: FloatMatrix = matrix

    @classmethod
    def empty(cls, dim: int) -> FaceMatrix:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, dim), np.float32), dim)

    def __len__(self) -> int:
        return len(self.face_ids)

    @property
    def max_face_id(self) -> int:
        return int(self.face_ids.max()) if len(self.face_ids) else 0

    def extended(
        self, face_ids: npt.ArrayLike, photo_ids: npt.ArrayLike, vectors: npt.ArrayLike
    ) -> FaceMatrix:
        """A new snapshot with extra rows appended (this one is left untouched)."""
        extra = FaceMatrix(face_ids, photo_ids, vectors, self.dim)
        if not len(extra):
            return self
        return FaceMatrix(
            np.concatenate([self.face_ids, extra.face_ids]),
            np.concatenate([self.photo_ids, extra.photo_ids]),
            np.concatenate([self.vectors, extra.vectors]),
            self.dim,
        )

    def without(self, face_ids: Iterable[int]) -> FaceMatrix:
        """A new snapshot without the rows of `face_ids` (ids it does not hold are ignored)."""
        drop = np.fromiter(face_ids, dtype=np.int64)
        if not len(drop):
            return self
        keep = ~np.isin(self.face_ids, drop)
        if keep.all():
            return self
        return FaceMatrix(self.face_ids[keep], self.photo_ids[keep], self.vectors[keep], self.dim)

    def search(
        self,
        query: npt.ArrayLike,
        *,
        min_similarity: float,
        limit: int | None = None,
        exclude_photo_ids: Iterable[int] = (),
    ) -> list[Match]:
        """Photos whose best face has cosine similarity >= min_similarity, best first.

        One entry per photo (its best-matching face); ties keep the lower row first.
        """
        q = l2_normalise(np.asarray(query, dtype=np.float32).reshape(-1))
        if q.shape[0] != self.dim:
            raise ValueError(f"query has dimension {q.shape[0]}, index has {self.dim}")
        if not len(self):
            return []
        similarities = self.vectors @ q
        rows = np.flatnonzero(similarities >= min_similarity)
        excluded = np.fromiter(exclude_photo_ids, dtype=np.int64)
        if len(excluded):
            rows = rows[~np.isin(self.photo_ids[rows], excluded)]
        if not len(rows):
            return []
        order = rows[np.argsort(-similarities[rows], kind="stable")]
        # np.unique returns the first occurrence of each photo in `order`: its best face.
        _, first = np.unique(self.photo_ids[order], return_index=True)
        best = order[np.sort(first)]
        if limit is not None:
            best = best[:limit]
        return [
            Match(
                face_id=int(self.face_ids[r]),
                photo_id=int(self.photo_ids[r]),
                similarity=float(similarities[r]),
            )
            for r in best
        ]
