"""Per-process, in-memory face index: one `FaceMatrix` snapshot per (owner, model).

Each query pays one cheap primary-key read of `FaceIndexVersion`; a snapshot whose version is
stale is refreshed with the rows added since and without the faces deleted since (their ids come
from the `FaceDeletion` log), and loaded in full only when that log no longer reaches back to the
snapshot. Several web and worker processes therefore stay correct without any shared cache or
message bus.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from recognition.ml.knn import FaceMatrix
from recognition.models import Face, FaceDeletion, FaceIndexVersion

_Key = tuple[int, str]


@dataclass(frozen=True)
class _Entry:
    version: int
    deletions: int
    matrix: FaceMatrix


_entries: OrderedDict[_Key, _Entry] = OrderedDict()
_entries_lock = threading.Lock()
# Refreshes of one key are serialised by one of a fixed set of locks (keys share a lock now and
# then; the number of locks never grows with the owners served).
_KEY_LOCKS = tuple(threading.Lock() for _ in range(64))


def _max_cached_owners() -> int:
    return int(getattr(settings, "RECOGNITION_INDEX_CACHE_OWNERS", 64))


def _key_lock(key: _Key) -> threading.Lock:
    return _KEY_LOCKS[hash(key) % len(_KEY_LOCKS)]


def _deleted_since(owner_id: int, model_key: str, deletions: int) -> list[int]:
    return list(
        FaceDeletion.objects.filter(owner_id=owner_id, model_key=model_key, seq__gt=deletions).values_list(
            "face_id", flat=True
        )
    )


def _load(owner_id: int, model_key: str, *, after_id: int, base: FaceMatrix | None) -> FaceMatrix | None:
    rows = (
        Face.objects.for_owner(owner_id)
        .for_model(model_key)
        .filter(id__gt=after_id)
        .order_by("id")
        .values_list("id", "photo_id", "dim", "embedding")
    )
    ids: list[int] = []
    photo_ids: list[int] = []
    chunks: list[bytes] = []
    dim = base.dim if base is not None else 0
    for face_id, photo_id, face_dim, embedding in rows.iterator(chunk_size=4000):
        if dim == 0:
            dim = face_dim
        if face_dim != dim:
            raise ValueError(f"face {face_id} has dimension {face_dim}, expected {dim} for {model_key}")
        ids.append(face_id)
        photo_ids.append(photo_id)
        chunks.append(bytes(embedding))
    if base is None and not ids:
        return None
    vectors = np.frombuffer(b"".join(chunks), dtype="<f4").reshape(-1, dim) if ids else np.empty((0, dim))
    if base is None:
        return FaceMatrix(ids, photo_ids, vectors, dim)
    return base.extended(ids, photo_ids, vectors)


def face_matrix(*, owner_id: int, model_key: str) -> FaceMatrix | None:
    """The owner's current face matrix for `model_key`, or None when they have no faces."""
    key = (owner_id, model_key)
    state = (
        FaceIndexVersion.objects.filter(owner_id=owner_id, model_key=model_key)
        .values_list("version", "deletions", "pruned_deletions")
        .first()
    )
    version, deletions, pruned = state if state is not None else (0, 0, 0)
    with _entries_lock:
        entry = _entries.get(key)
        if entry is not None:
            _entries.move_to_end(key)
    if entry is not None and entry.version == version:
        return entry.matrix
    with _key_lock(key):
        with _entries_lock:
            entry = _entries.get(key)
        if entry is not None and entry.version == version:
            return entry.matrix
        if entry is not None and entry.version < version and pruned <= entry.deletions <= deletions:
            base = entry.matrix
            if entry.deletions < deletions:
                base = base.without(_deleted_since(owner_id, model_key, entry.deletions))
            matrix = _load(owner_id, model_key, after_id=entry.matrix.max_face_id, base=base)
            if matrix is not None and not len(matrix):
                matrix = None
        else:
            matrix = _load(owner_id, model_key, after_id=0, base=None)
        with _entries_lock:
            if matrix is None:
                _entries.pop(key, None)
            else:
                _entries[key] = _Entry(version=version, deletions=deletions, matrix=matrix)
                _entries.move_to_end(key)
                while len(_entries) > _max_cached_owners():
                    _entries.popitem(last=False)
        return matrix


def clear_cache() -> None:
    with _entries_lock:
        _entries.clear()
