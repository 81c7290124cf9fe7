"""People engine (interim simple version; replaced by the measured one from the `cluster` branch)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class PeopleParams:
    assign_similarity: float
    assign_margin: float
    suggest_similarity: float
    cluster_similarity: float
    min_cluster_size: int = 3
    min_seed_size: float = 40.0
    min_seed_score: float = 0.95


def default_params(model_key: str, *, threshold: float) -> PeopleParams:
    return PeopleParams(
        assign_similarity=threshold,
        assign_margin=0.02,
        suggest_similarity=threshold - 0.04,
        cluster_similarity=threshold + 0.01,
    )


@dataclass(frozen=True)
class LabelledFaces:
    vectors: npt.NDArray[np.float32]
    person_ids: npt.NDArray[np.int64]
    photo_ids: npt.NDArray[np.int64]


@dataclass(frozen=True)
class CandidateFaces:
    face_ids: npt.NDArray[np.int64]
    vectors: npt.NDArray[np.float32]
    photo_ids: npt.NDArray[np.int64]
    sizes: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float32]
    rejected: Sequence[frozenset[int]]


@dataclass(frozen=True)
class Assignment:
    face_id: int
    person_id: int | None
    suggested_person_id: int | None
    similarity: float


class PersonIndex:
    def __init__(self, labelled: LabelledFaces, params: PeopleParams) -> None:
        self.labelled = labelled
        self.params = params
        self.persons = np.unique(labelled.person_ids)

    def assign(self, candidates: CandidateFaces) -> list[Assignment]:
        out: list[Assignment] = []
        taken: dict[int, set[int]] = {}
        for person, photo in zip(
            self.labelled.person_ids.tolist(), self.labelled.photo_ids.tolist(), strict=True
        ):
            taken.setdefault(int(photo), set()).add(int(person))
        if not len(self.labelled.person_ids):
            return [Assignment(int(f), None, None, math.nan) for f in candidates.face_ids]
        sims = candidates.vectors @ self.labelled.vectors.T
        for i, face_id in enumerate(candidates.face_ids.tolist()):
            scores: dict[int, float] = {}
            for person in self.persons.tolist():
                mask = self.labelled.person_ids == person
                top = np.sort(sims[i, mask])[-3:]
                scores[int(person)] = float(top.mean())
            banned = set(candidates.rejected[i]) | taken.get(int(candidates.photo_ids[i]), set())
            ranked = sorted(((s, p) for p, s in scores.items() if p not in banned), reverse=True)
            if not ranked:
                out.append(Assignment(int(face_id), None, None, math.nan))
                continue
            best_s, best_p = ranked[0]
            second = ranked[1][0] if len(ranked) > 1 else -1.0
            if best_s >= self.params.assign_similarity and best_s - second >= self.params.assign_margin:
                taken.setdefault(int(candidates.photo_ids[i]), set()).add(best_p)
                out.append(Assignment(int(face_id), best_p, None, best_s))
            elif best_s >= self.params.suggest_similarity:
                out.append(Assignment(int(face_id), None, best_p, best_s))
            else:
                out.append(Assignment(int(face_id), None, None, math.nan))
        return out


@dataclass(frozen=True)
class ClusterResult:
    labels: npt.NDArray[np.int64]


def cluster_faces(
    candidates: CandidateFaces,
    params: PeopleParams,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ClusterResult:
    m = len(candidates.face_ids)
    labels = np.full(m, -1, dtype=np.int64)
    if m == 0:
        return ClusterResult(labels)
    sims = candidates.vectors @ candidates.vectors.T
    order = np.argsort(-sims, axis=None)
    parent = list(range(m))
    photos: list[set[int]] = [{int(p)} for p in candidates.photo_ids]

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for flat in order.tolist():
        i, j = divmod(flat, m)
        if i >= j:
            continue
        if sims[i, j] < params.cluster_similarity:
            break
        a, b = find(i), find(j)
        if a == b or photos[a] & photos[b]:
            continue
        parent[b] = a
        photos[a] |= photos[b]
    groups: dict[int, list[int]] = {}
    for i in range(m):
        groups.setdefault(find(i), []).append(i)
    seeds = (candidates.sizes >= params.min_seed_size) & (candidates.scores >= params.min_seed_score)
    kept = [g for g in groups.values() if len(g) >= params.min_cluster_size and seeds[g].any()]
    kept.sort(key=lambda g: (-len(g), g[0]))
    for label, members in enumerate(kept):
        labels[members] = label
    return ClusterResult(labels)
