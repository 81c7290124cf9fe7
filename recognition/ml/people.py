"""People: put faces into persons (Django-free, numpy only).

Two operations on L2-normalised embeddings (cosine similarity = dot product):

* `PersonIndex.assign`: faces that already belong to persons (named by the user) are the index;
  each new face gets a score per person, the mean of its `assign_top_k` best similarities with
  that person's faces, and joins the best allowed person when the score is high enough and
  beats the runner-up by a margin. Otherwise it may be suggested for review.
* `cluster_faces`: faces that belong to nobody are grouped into new persons by constrained
  average-linkage agglomerative clustering over a k-nearest-neighbour graph:

  1. Seed faces (large enough, confidently detected) get a k-NN graph of the edges with
     similarity >= `cluster_similarity` (exact blocked search below `IVF_MIN_FACES`, above it
     an inverted file of spherical k-means cells, `CellIndex`; similarities are always exact,
     only the neighbour candidates are pruned).
  2. Average linkage: two clusters merge when the mean similarity of all their cross pairs,
     `sum(A) . sum(B) / (|A| |B|)` (exact, from the running vector sums), is >= the threshold
     and they share no photo (cannot-link). Merges happen in rounds: reciprocal best pairs
     merge, as sequential average linkage would (RAC, Sumengen et al. 2021), and so do the
     clusters whose best partner is in such a pair if their mean similarity with the whole new
     cluster stays >= the threshold; every round is a few vectorised passes over the edges.
     Average linkage does not chain: one look-alike pair (siblings, a blurred photo) cannot
     join two persons, unlike single linkage (connected components) or label propagation
     (Chinese whispers), whose precision falls apart a little below their best threshold
     (bench/people_clustering.py, bench/people_scale.py).
  3. Small or low-score faces then join the cluster whose mean similarity is best (with the
     same threshold and margin rule as assignment, one face per photo per cluster), but never
     start or bridge clusters: their noisy embeddings are the usual cause of merged persons.
  4. Clusters below `min_cluster_size` faces dissolve (their faces stay unassigned).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float32]
IdArray = npt.NDArray[np.int64]
Progress = Callable[[int, int], None]

# Below this many faces the neighbour graph is computed exactly (all pairs, in blocks).
IVF_MIN_FACES = 12_000
# Similarity blocks are kept below this many float32 cells (64 MiB).
_BLOCK_CELLS = 16 * 2**20
# Blocks of the cell scans stay small enough for the CPU caches (they are post-processed).
_SCAN_CELLS = 2**20


@dataclass(frozen=True)
class PeopleParams:
    """Thresholds of assignment and clustering (cosine similarities of L2-normalised vectors)."""

    assign_similarity: float  # a face joins a person when its score for that person >= this ...
    assign_margin: float  # ... and beats the runner-up person's score by at least this
    suggest_similarity: float  # below assign (or ambiguous) but >= this: a suggestion for review
    cluster_similarity: float  # average-linkage threshold of the clustering
    min_cluster_size: int = 3  # a new person needs at least this many faces
    min_seed_size: float = 40.0  # shorter box side (original px) below this: may join, not start
    min_seed_score: float = 0.95  # detection probability below this: may join, not start
    assign_top_k: int = 3  # a person's score is the mean of the face's k best similarities with it
    knn: int = 30  # neighbours per face in the clustering graph
    ivf_probes: int = 8  # cells searched per face by clustering's inverted-file index (large sets)

    def __post_init__(self) -> None:
        for name in ("assign_similarity", "suggest_similarity", "cluster_similarity"):
            value = getattr(self, name)
            if not -1.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a cosine similarity in [-1, 1], got {value}.")
        if not 0.0 <= self.assign_margin <= 2.0:
            raise ValueError(f"assign_margin must be in [0, 2], got {self.assign_margin}.")
        if self.suggest_similarity > self.assign_similarity:
            raise ValueError("suggest_similarity must not be above assign_similarity.")
        for name in ("min_cluster_size", "assign_top_k", "knn", "ivf_probes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1.")
        if self.min_seed_size < 0 or not 0.0 <= self.min_seed_score <= 1.0:
            raise ValueError("min_seed_size must be >= 0 and min_seed_score in [0, 1].")


# Measured on ../shared/faces with bench/people_clustering.py (bench/results/people_clustering.json):
# clustering precision stays 1.0 from 0.93 up, recall falls from 0.95 at 0.93 to 0.92 at 0.94;
# the most similar faces of two different persons reach 0.935. Assignment: wrong best persons
# (faces of persons not in the index) score <= 0.925, right ones >= 0.927 with margins >= 0.024.
_MEASURED: dict[str, PeopleParams] = {
    "dlib-resnet": PeopleParams(
        assign_similarity=0.93,
        assign_margin=0.02,
        suggest_similarity=0.90,
        cluster_similarity=0.93,
    ),
}


def default_params(model_key: str, *, threshold: float) -> PeopleParams:
    """Measured defaults for known models; for others, derived from the model's same-person
    cosine threshold (`Embedder.threshold`, 0.93 for dlib-resnet).

    The derived rule scales dlib-resnet's measured offsets by the model's distance from 1:
    with `gap = 1 - threshold`, assign and cluster at the threshold, suggest at
    `1 - 1.43 gap`, margin `0.29 gap`.
    """
    measured = _MEASURED.get(model_key)
    if measured is not None:
        return measured
    if not -1.0 < threshold < 1.0:
        raise ValueError(f"threshold must be a cosine similarity in (-1, 1), got {threshold}.")
    reference = _MEASURED["dlib-resnet"]
    ref_gap = 1.0 - 0.93
    gap = 1.0 - threshold
    return PeopleParams(
        assign_similarity=threshold,
        assign_margin=reference.assign_margin / ref_gap * gap,
        suggest_similarity=max(-1.0, 1.0 - (1.0 - reference.suggest_similarity) / ref_gap * gap),
        cluster_similarity=1.0 - (1.0 - reference.cluster_similarity) / ref_gap * gap,
    )


@dataclass(frozen=True)
class LabelledFaces:
    """Faces that already belong to persons."""

    vectors: FloatMatrix  # (n, d)
    person_ids: IdArray  # (n,)
    photo_ids: IdArray  # (n,)


@dataclass(frozen=True)
class CandidateFaces:
    """Faces to place."""

    face_ids: IdArray  # (m,)
    vectors: FloatMatrix  # (m, d)
    photo_ids: IdArray  # (m,)
    sizes: FloatArray  # (m,) shorter side of the box, original px
    scores: FloatArray  # (m,) detection probability
    rejected: Sequence[frozenset[int]] = field(default=())  # per candidate: never these person ids

    def __post_init__(self) -> None:
        m = len(self.face_ids)
        if self.vectors.ndim != 2 or len(self.vectors) != m:
            raise ValueError("vectors must be an (m, d) matrix with one row per face id.")
        for name in ("photo_ids", "sizes", "scores"):
            if len(getattr(self, name)) != m:
                raise ValueError(f"{name} must have one entry per face id.")
        if self.rejected and len(self.rejected) != m:
            raise ValueError("rejected must be empty or have one entry per face id.")

    def __len__(self) -> int:
        return len(self.face_ids)

    def rejected_for(self, index: int) -> frozenset[int]:
        return self.rejected[index] if self.rejected else frozenset()

    def seed_mask(self, params: PeopleParams) -> npt.NDArray[np.bool_]:
        """Faces good enough to start a cluster (see `PeopleParams.min_seed_size`)."""
        mask: npt.NDArray[np.bool_] = (np.asarray(self.sizes) >= params.min_seed_size) & (
            np.asarray(self.scores) >= params.min_seed_score
        )
        return mask


@dataclass(frozen=True)
class Assignment:
    face_id: int
    person_id: int | None  # auto-assign to this person, or None
    suggested_person_id: int | None  # when not assigned: the best allowed person if >= suggest
    similarity: float  # the score for person_id / suggested_person_id (nan if neither)


def _as_matrix(vectors: npt.ArrayLike) -> FloatMatrix:
    matrix: FloatMatrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError("vectors must be a 2-d matrix.")
    return matrix


class PersonIndex:
    """The labelled faces of one owner (and one model), ready to score new faces against."""

    def __init__(self, labelled: LabelledFaces, params: PeopleParams) -> None:
        self.params = params
        vectors = _as_matrix(labelled.vectors)
        person_ids = np.asarray(labelled.person_ids, dtype=np.int64).reshape(-1)
        photo_ids = np.asarray(labelled.photo_ids, dtype=np.int64).reshape(-1)
        if not len(vectors) == len(person_ids) == len(photo_ids):
            raise ValueError("vectors, person_ids and photo_ids must have the same number of rows.")
        self.dim = vectors.shape[1]
        # Rows grouped by person: a person is the slice starts[p]:starts[p + 1].
        order = np.argsort(person_ids, kind="stable")
        self._vectors: FloatMatrix = np.ascontiguousarray(vectors[order])
        sorted_persons = person_ids[order]
        self.persons, starts = np.unique(sorted_persons, return_index=True)
        self._starts: IdArray = starts.astype(np.int64)
        self._ends: IdArray = np.append(self._starts[1:], len(sorted_persons)).astype(np.int64)
        # (photo, person) pairs sorted by photo: which persons each photo already holds.
        by_photo = np.lexsort((person_ids, photo_ids))
        self._photo_sorted: IdArray = photo_ids[by_photo]
        self._photo_persons: IdArray = person_ids[by_photo]

    def __len__(self) -> int:
        return len(self._vectors)

    def persons_in_photo(self, photo_id: int) -> set[int]:
        lo = np.searchsorted(self._photo_sorted, photo_id, side="left")
        hi = np.searchsorted(self._photo_sorted, photo_id, side="right")
        return {int(p) for p in self._photo_persons[lo:hi]}

    def scores(self, vectors: npt.ArrayLike, *, floor: float) -> list[dict[int, float]]:
        """Per face: {person id: score} for every person whose score may be >= `floor`.

        A person's score is the mean of the face's `assign_top_k` best similarities with the
        person's faces (all of them when it has fewer). Persons whose best similarity is below
        `floor` cannot score >= floor and are left out.
        """
        queries = _as_matrix(vectors)
        if queries.shape[1] != self.dim and len(self):
            raise ValueError(f"faces have dimension {queries.shape[1]}, the index has {self.dim}.")
        out: list[dict[int, float]] = [{} for _ in range(len(queries))]
        if not len(self) or not len(queries):
            return out
        k = self.params.assign_top_k
        block = max(1, _BLOCK_CELLS // max(len(self), 1))
        for start in range(0, len(queries), block):
            sims = queries[start : start + block] @ self._vectors.T
            best = np.maximum.reduceat(sims, self._starts, axis=1)
            rows, cols = np.nonzero(best >= floor)
            for r, p in zip(rows.tolist(), cols.tolist(), strict=True):
                lo, hi = int(self._starts[p]), int(self._ends[p])
                if hi - lo <= k:
                    score = float(sims[r, lo:hi].mean())
                elif k == 1:
                    score = float(best[r, p])
                else:
                    score = float(np.partition(sims[r, lo:hi], hi - lo - k)[hi - lo - k :].mean())
                out[start + r][int(self.persons[p])] = score
        return out

    def assign(self, candidates: CandidateFaces) -> list[Assignment]:
        """Assignments (or suggestions) for `candidates`, in their order.

        Never a rejected person, never a person that already has a labelled face in the same
        photo, and within one call no two candidates of one photo get the same person (best
        similarity first; the loser gets its next allowed person or none).
        """
        params = self.params
        floor = min(params.suggest_similarity, params.assign_similarity - params.assign_margin)
        all_scores = self.scores(candidates.vectors, floor=floor)
        photo_ids = np.asarray(candidates.photo_ids, dtype=np.int64)
        # Allowed options per candidate, best first (ties: the lower person id).
        options: list[list[tuple[float, int]]] = []
        for i, scores in enumerate(all_scores):
            banned = candidates.rejected_for(i) | self.persons_in_photo(int(photo_ids[i]))
            options.append(
                sorted(((s, p) for p, s in scores.items() if p not in banned), key=lambda o: (-o[0], o[1]))
            )
        results: list[Assignment | None] = [None] * len(candidates)
        by_photo: dict[int, list[int]] = {}
        for i, photo in enumerate(photo_ids.tolist()):
            by_photo.setdefault(photo, []).append(i)
        for members in by_photo.values():
            pending = list(members)
            while pending:
                # The candidate whose best remaining option is highest decides first.
                pending.sort(key=lambda i: (-options[i][0][0], i) if options[i] else (math.inf, i))
                i = pending.pop(0)
                decided = self._decide(int(candidates.face_ids[i]), options[i])
                results[i] = decided
                taken = decided.person_id if decided.person_id is not None else decided.suggested_person_id
                if taken is not None:
                    for j in pending:
                        options[j] = [o for o in options[j] if o[1] != taken]
        return [r for r in results if r is not None]

    def _decide(self, face_id: int, options: list[tuple[float, int]]) -> Assignment:
        params = self.params
        if not options:
            return Assignment(face_id, None, None, math.nan)
        score, person = options[0]
        runner_up = options[1][0] if len(options) > 1 else -math.inf
        if score >= params.assign_similarity and score - runner_up >= params.assign_margin:
            return Assignment(face_id, person, None, score)
        if score >= params.suggest_similarity:
            return Assignment(face_id, None, person, score)
        return Assignment(face_id, None, None, math.nan)


@dataclass(frozen=True)
class ClusterResult:
    labels: IdArray  # (m,) new-cluster index per candidate, -1 = stays unassigned

    @property
    def n_clusters(self) -> int:
        return int(self.labels.max()) + 1 if len(self.labels) else 0


# --- neighbour graph -------------------------------------------------------------------------


class _TopK:
    """The k best (similarity, column) >= a floor of every query row, merged block by block."""

    def __init__(self, rows: int, k: int, floor: float) -> None:
        self.k = k
        self.floor = floor
        self.sims = np.full((rows, k), -np.inf, dtype=np.float32)
        self.cols = np.full((rows, k), -1, dtype=np.int64)

    def add(self, rows: IdArray, sims: FloatMatrix, cols: IdArray) -> None:
        """Offer sims[i, j] (query rows[i], base column cols[j]); rows must be distinct."""
        k = self.k
        # A row whose k slots are full only needs entries above its current k-th best.
        floor = np.maximum(self.sims[rows].min(axis=1), self.floor)
        mask = sims >= floor[:, None]
        count = np.count_nonzero(mask, axis=1)
        heavy = np.flatnonzero(count > k)
        light = np.flatnonzero((count > 0) & (count <= k))
        parts_r: list[IdArray] = []
        parts_c: list[IdArray] = []
        parts_s: list[FloatArray] = []
        if len(light):
            r, c = np.nonzero(mask[light])
            parts_r.append(light[r])
            parts_c.append(cols[c])
            parts_s.append(sims[light[r], c])
        if len(heavy):
            # Rows with more than k entries above the floor (large persons): partial sort.
            heavy_sims = sims[heavy]
            width = heavy_sims.shape[1]
            top = np.argpartition(heavy_sims, width - k, axis=1)[:, width - k :]
            parts_r.append(np.repeat(heavy, k))
            parts_c.append(cols[top].reshape(-1))
            parts_s.append(np.take_along_axis(heavy_sims, top, axis=1).reshape(-1))
        if not parts_r:
            return
        local = np.concatenate(parts_r)
        touched = _distinct(local)
        # Merge with what these rows already hold, keep the k best per row.
        held = self.sims[rows[touched]] > -np.inf
        hr, hs = np.nonzero(held)
        all_r = np.concatenate([touched[hr], local])
        all_c = np.concatenate([self.cols[rows[touched]][hr, hs], *parts_c])
        all_s = np.concatenate([self.sims[rows[touched]][hr, hs], *parts_s])
        order = np.lexsort((all_c, -all_s, all_r))
        all_r, all_c, all_s = all_r[order], all_c[order], all_s[order]
        starts = np.searchsorted(all_r, touched)
        rank = np.arange(len(all_r)) - np.repeat(starts, np.diff(np.r_[starts, len(all_r)]))
        keep = rank < k
        target = rows[all_r[keep]]
        self.sims[rows[touched]] = -np.inf
        self.cols[rows[touched]] = -1
        self.sims[target, rank[keep]] = all_s[keep]
        self.cols[target, rank[keep]] = all_c[keep]

    def full(self) -> npt.NDArray[np.bool_]:
        """Rows holding k entries."""
        full: npt.NDArray[np.bool_] = self.sims.min(axis=1) > -np.inf
        return full

    def edges(self) -> tuple[IdArray, IdArray, FloatArray]:
        rows, slots = np.nonzero(self.sims > -np.inf)
        return rows.astype(np.int64), self.cols[rows, slots], self.sims[rows, slots]


def _spherical_kmeans(vectors: FloatMatrix, n_cells: int, *, iterations: int = 8) -> FloatMatrix:
    """Cell centroids (unit vectors) from a deterministic sample of `vectors`."""
    rng = np.random.default_rng(0)
    sample = vectors[np.sort(rng.choice(len(vectors), size=min(len(vectors), 40 * n_cells), replace=False))]
    centroids = sample[np.sort(rng.choice(len(sample), size=n_cells, replace=False))].copy()
    for _ in range(iterations):
        assign = _nearest_cells(sample, centroids, 1)[:, 0]
        sums = _group_sums(sample, assign, n_cells)
        empty = np.bincount(assign, minlength=n_cells) == 0
        # An empty cell restarts at a (deterministically chosen) sample point.
        sums[empty] = sample[np.arange(int(empty.sum())) * 7919 % len(sample)]
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centroids = (sums / np.maximum(norms, 1e-12)).astype(np.float32)
    return centroids


def _group_sums(values: npt.NDArray[np.floating], groups: IdArray, n_groups: int) -> npt.NDArray[np.float64]:
    """Row sums of `values` per group id (a sorted reduce: much faster than np.add.at)."""
    out = np.zeros((n_groups, values.shape[1]), dtype=np.float64)
    if not len(groups):
        return out
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    out[sorted_groups[starts]] = np.add.reduceat(values[order].astype(np.float64), starts, axis=0)
    return out


def _nearest_cells(vectors: FloatMatrix, centroids: FloatMatrix, probes: int) -> IdArray:
    out = np.empty((len(vectors), probes), dtype=np.int64)
    block = max(1, _BLOCK_CELLS // len(centroids))
    for start in range(0, len(vectors), block):
        sims = vectors[start : start + block] @ centroids.T
        if probes == 1:
            out[start : start + block, 0] = np.argmax(sims, axis=1)
        else:
            part = np.argpartition(-sims, probes - 1, axis=1)[:, :probes]
            rank = np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1, kind="stable")
            out[start : start + block] = np.take_along_axis(part, rank, axis=1)
    return out


class CellIndex:
    """An inverted file over `base`: ~2 sqrt(n) spherical k-means cells, rows stored by cell.

    Searching a query's `probes` nearest cells finds nearly all of its close neighbours (a face
    and its look-alikes sit in the same or adjacent cells); similarities are always exact.
    """

    def __init__(self, base: FloatMatrix) -> None:
        self.n_cells = min(len(base), max(16, int(2 * math.sqrt(len(base)))))
        self.centroids = _spherical_kmeans(base, self.n_cells)
        cell = _nearest_cells(base, self.centroids, 1)[:, 0]
        self.order: IdArray = np.argsort(cell, kind="stable")  # cell-sorted position -> base row
        self.bounds: IdArray = np.searchsorted(cell[self.order], np.arange(self.n_cells + 1))
        self._sorted: FloatMatrix = np.ascontiguousarray(base[self.order])  # rows cell by cell
        self.cell_of: IdArray = cell
        self.position: IdArray = np.empty(len(base), dtype=np.int64)  # base row -> sorted position
        self.position[self.order] = np.arange(len(base))

    def __len__(self) -> int:
        return len(self.order)

    def members(self, cell: int) -> IdArray:
        """The base rows in a cell."""
        return self.order[self.bounds[cell] : self.bounds[cell + 1]]

    def cell_vectors(self, cell: int) -> FloatMatrix:
        return self._sorted[self.bounds[cell] : self.bounds[cell + 1]]

    def probe(self, queries: FloatMatrix, probes: int) -> IdArray:
        """The `probes` nearest cells of each query, nearest first, (m, probes)."""
        return _nearest_cells(queries, self.centroids, min(probes, self.n_cells))

    def search(
        self,
        queries: FloatMatrix,
        *,
        k: int,
        min_similarity: float,
        same_set: bool,
        probes: int,
        shortcut: bool = False,
        progress: Progress | None = None,
    ) -> tuple[IdArray, IdArray, FloatArray]:
        """Like `neighbours`, through the cells.

        Every query searches its nearest cell first. With `shortcut`, only queries that did
        not find k neighbours there go on to their other probes: faces of persons with many
        faces fill their k slots at once (their cell is full of the same person), which keeps
        large persons cheap, and the edges between such a person's cells come from its border
        faces. Without it (when every candidate matters, e.g. a runner-up), all probes are
        searched.
        """
        best = _TopK(len(queries), min(k, len(self)), min_similarity)
        query_cells = self.probe(queries, probes)
        rows = np.arange(len(queries), dtype=np.int64)
        self._scan(queries, rows, query_cells[:, 0], best, same_set)
        if progress is not None:
            progress(len(queries) // 2, len(queries))
        if query_cells.shape[1] > 1:
            pending = np.flatnonzero(~best.full()) if shortcut else rows
            more = query_cells[pending, 1:]
            self._scan(queries, np.repeat(pending, more.shape[1]), more.reshape(-1), best, same_set)
        if progress is not None:
            progress(len(queries), len(queries))
        return best.edges()

    def _scan(self, queries: FloatMatrix, rows: IdArray, cells: IdArray, best: _TopK, same_set: bool) -> None:
        """Offer best the similarities of queries[rows[i]] with every member of cells[i]."""
        order = np.lexsort((rows, cells))
        rows, cells = rows[order], cells[order]
        bounds = np.searchsorted(cells, np.arange(self.n_cells + 1))
        for cell in np.unique(cells).tolist():
            lo, hi = int(self.bounds[cell]), int(self.bounds[cell + 1])
            asking = rows[bounds[cell] : bounds[cell + 1]]
            if hi == lo:
                continue
            members = self.order[lo:hi]
            vectors = self.cell_vectors(cell)
            block = max(1, _SCAN_CELLS // (hi - lo))
            for start in range(0, len(asking), block):
                part = asking[start : start + block]
                sims = queries[part] @ vectors.T
                if same_set:
                    own = np.flatnonzero(self.cell_of[part] == cell)
                    sims[own, self.position[part[own]] - lo] = -np.inf
                best.add(part, sims, members)


def neighbours(
    queries: FloatMatrix,
    base: FloatMatrix,
    *,
    k: int,
    min_similarity: float,
    same_set: bool,
    probes: int = 8,
    index: CellIndex | None = None,
    shortcut: bool = False,
    progress: Progress | None = None,
) -> tuple[IdArray, IdArray, FloatArray]:
    """Up to k (query row, base row, similarity) entries per query with similarity >= the floor.

    Exact for fewer than IVF_MIN_FACES base rows; above, each query searches the `probes`
    nearest cells of a `CellIndex` of the base (built here unless given; similarities stay
    exact, a neighbour in an unsearched cell is missed). With `same_set`, queries are the base
    and a row is never its own neighbour.
    """
    if not len(queries) or not len(base):
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    if index is not None or len(base) >= IVF_MIN_FACES:
        index = index if index is not None else CellIndex(base)
        return index.search(
            queries,
            k=k,
            min_similarity=min_similarity,
            same_set=same_set,
            probes=probes,
            shortcut=shortcut,
            progress=progress,
        )
    best = _TopK(len(queries), min(k, len(base)), min_similarity)
    total = len(queries)
    columns = np.arange(len(base), dtype=np.int64)
    block = max(1, _BLOCK_CELLS // len(base))
    for start in range(0, len(queries), block):
        rows = np.arange(start, min(start + block, total), dtype=np.int64)
        sims = queries[rows] @ base.T
        if same_set:
            sims[rows - start, rows] = -np.inf
        best.add(rows, sims, columns)
        if progress is not None:
            progress(int(rows[-1]) + 1, total)
    return best.edges()


def _distinct(values: IdArray) -> IdArray:
    """Sorted distinct values (a plain sort: numpy's hash-based unique is slower on these)."""
    out = np.sort(values)
    keep: IdArray = out[np.r_[True, out[1:] != out[:-1]]] if len(out) else out
    return keep


def _undirected(rows: IdArray, cols: IdArray, n: int) -> tuple[IdArray, IdArray]:
    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    codes = _distinct(lo * n + hi)
    return codes // n, codes % n


def same_photo_pairs(photo_ids: IdArray) -> tuple[IdArray, IdArray]:
    """Every pair (i < j) of rows that share a photo."""
    order = np.argsort(photo_ids, kind="stable")
    sorted_photos = photo_ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_photos[1:] != sorted_photos[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    left: list[IdArray] = []
    right: list[IdArray] = []
    for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
        group = np.sort(order[start : start + size])
        i, j = np.triu_indices(size, 1)
        left.append(group[i])
        right.append(group[j])
    if not left:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(left).astype(np.int64), np.concatenate(right).astype(np.int64)


# --- average linkage -----------------------------------------------------------------------


def average_linkage(
    vectors: FloatMatrix,
    edges: tuple[IdArray, IdArray],
    cannot_link: tuple[IdArray, IdArray],
    threshold: float,
) -> IdArray:
    """Cluster id (a row index) per row: constrained average-linkage agglomeration.

    Candidate merges are pairs of clusters joined by an edge of the graph; a merge needs a mean
    cross-pair similarity >= threshold and no cannot-link pair between the clusters. Each
    round, every cluster finds its best partner; reciprocal best pairs merge (as sequential
    average linkage would), and so do the clusters whose best partner is in such a pair when
    their mean similarity with the rest of the new cluster is still >= threshold. Without the
    second rule a large cluster could only grow by one partner per round.
    """
    n = len(vectors)
    label = np.arange(n, dtype=np.int64)
    if not n:
        return label
    sums = vectors.astype(np.float64)
    counts = np.ones(n, dtype=np.float64)
    ea, eb = _undirected(edges[0], edges[1], n)
    keep = ea != eb
    ea, eb = ea[keep], eb[keep]
    weight = _linkage(sums, counts, ea, eb)
    if len(cannot_link[0]):
        ca, cb = _undirected(cannot_link[0], cannot_link[1], n)
    else:
        ca, cb = np.empty(0, np.int64), np.empty(0, np.int64)
    keep = (weight >= threshold) & ~np.isin(ea * n + eb, ca * n + cb)
    ea, eb, weight = ea[keep], eb[keep], weight[keep]
    while len(ea):
        group, merged = _merge_groups(sums, counts, ea, eb, weight, ca, cb, threshold)
        # Group members take the group's id (its pair head); sums and counts move there.
        members = np.flatnonzero(group >= 0)
        heads = group[members]
        unique_heads, compact = np.unique(heads, return_inverse=True)
        sums[unique_heads] = _group_sums(sums[members], compact, len(unique_heads))
        counts[unique_heads] = np.bincount(compact, weights=counts[members], minlength=len(unique_heads))
        mapping = np.arange(n, dtype=np.int64)
        mapping[members] = heads
        label = mapping[label]
        # Edges touching a merged cluster: relabel, deduplicate, re-weigh, re-check conflicts.
        ea, eb = mapping[ea], mapping[eb]
        touched = merged[ea] | merged[eb]
        ta, tb = ea[touched], eb[touched]
        ok = ta != tb
        ta, tb = _undirected(ta[ok], tb[ok], n)
        tw = _linkage(sums, counts, ta, tb)
        ca, cb = mapping[ca], mapping[cb]
        conflict_touched = merged[ca] | merged[cb]
        if conflict_touched.any():
            xa, xb = ca[conflict_touched], cb[conflict_touched]
            codes = _distinct(np.minimum(xa, xb) * n + np.maximum(xa, xb))
            ca = np.concatenate([ca[~conflict_touched], codes // n])
            cb = np.concatenate([cb[~conflict_touched], codes % n])
        good = (tw >= threshold) & ~np.isin(ta * n + tb, ca * n + cb)
        ea = np.concatenate([ea[~touched], ta[good]])
        eb = np.concatenate([eb[~touched], tb[good]])
        weight = np.concatenate([weight[~touched], tw[good]])
    return label


def _merge_groups(
    sums: npt.NDArray[np.float64],
    counts: npt.NDArray[np.float64],
    ea: IdArray,
    eb: IdArray,
    weight: npt.NDArray[np.float64],
    ca: IdArray,
    cb: IdArray,
    threshold: float,
) -> tuple[IdArray, npt.NDArray[np.bool_]]:
    """One round: (group head per cluster or -1, mask of the heads that changed)."""
    n = len(sums)
    src = np.concatenate([ea, eb])
    dst = np.concatenate([eb, ea])
    w = np.concatenate([weight, weight])
    # Each cluster's best partner (ties: the lower id).
    best_w = np.full(n, -np.inf)
    np.maximum.at(best_w, src, w)
    top = w == best_w[src]
    best = np.full(n, n, dtype=np.int64)
    np.minimum.at(best, src[top], dst[top])
    clusters = np.flatnonzero(best < n)
    best[best == n] = -1
    partner = best[clusters]
    pair = (best[partner] == clusters) & (clusters < partner)
    heads, others = clusters[pair], partner[pair]
    group = np.full(n, -1, dtype=np.int64)
    group[heads] = heads
    group[others] = heads
    priority = np.full(n, -np.inf)
    priority[heads] = np.inf
    priority[others] = np.inf
    # Clusters whose best partner is in a pair join that pair's group (if they still fit).
    leaves = clusters[(group[clusters] < 0) & (group[partner] >= 0)]
    group[leaves] = group[best[leaves]]
    priority[leaves] = best_w[leaves]
    while len(leaves):
        dropped = np.zeros(n, dtype=bool)
        # No cannot-link pair inside a group: the lower-priority leaf leaves.
        inside = (group[ca] >= 0) & (group[ca] == group[cb])
        if inside.any():
            xa, xb = ca[inside], cb[inside]
            loser = np.where(priority[xa] < priority[xb], xa, xb)
            dropped[loser] = True
        # Each leaf's mean similarity with the rest of its group must stay >= threshold.
        members = np.flatnonzero(group >= 0)
        unique_heads, compact = np.unique(group[members], return_inverse=True)
        total = _group_sums(sums[members], compact, len(unique_heads))
        total_n = np.bincount(compact, weights=counts[members], minlength=len(unique_heads))
        g = np.searchsorted(unique_heads, group[leaves])
        rest = total[g] - sums[leaves]
        fit = np.einsum("ij,ij->i", sums[leaves], rest) / (counts[leaves] * (total_n[g] - counts[leaves]))
        dropped[leaves[fit < threshold]] = True
        dropped[heads] = False
        dropped[others] = False
        if not dropped.any():
            break
        group[dropped] = -1
        leaves = leaves[~dropped[leaves]]
    merged = np.zeros(n, dtype=bool)
    merged[heads] = True
    return group, merged


def _linkage(
    sums: npt.NDArray[np.float64], counts: npt.NDArray[np.float64], a: IdArray, b: IdArray
) -> npt.NDArray[np.float64]:
    """Mean similarity of clusters a[i] and b[i] (in blocks: bounded memory)."""
    out = np.empty(len(a), dtype=np.float64)
    block = max(1, _BLOCK_CELLS // (2 * sums.shape[1]))
    for start in range(0, len(a), block):
        sa, sb = a[start : start + block], b[start : start + block]
        out[start : start + block] = np.einsum("ij,ij->i", sums[sa], sums[sb]) / (counts[sa] * counts[sb])
    return out


# --- clustering ----------------------------------------------------------------------------


def cluster_faces(
    candidates: CandidateFaces,
    params: PeopleParams,
    *,
    progress: Progress | None = None,
) -> ClusterResult:
    """Group `candidates` into new persons (see the module docstring).

    Guarantees: no cluster holds two faces of one photo; every cluster has >= min_cluster_size
    faces and at least one seed face; labels are 0..k-1, largest cluster first (ties: the
    cluster with the lowest candidate index); the same input gives the same labels.
    `progress(done, total)` reports the faces searched so far (the neighbour searches are
    most of the time), ending with (total, total).
    """
    m = len(candidates)
    labels = np.full(m, -1, dtype=np.int64)
    if not m:
        return ClusterResult(labels)
    vectors = _as_matrix(candidates.vectors)
    photo_ids = np.asarray(candidates.photo_ids, dtype=np.int64)
    is_seed = candidates.seed_mask(params)
    seed_rows = np.flatnonzero(is_seed)
    other_rows = np.flatnonzero(~is_seed)
    if not len(seed_rows):
        return ClusterResult(labels)
    seeds = np.ascontiguousarray(vectors[seed_rows])
    index = CellIndex(seeds) if len(seeds) >= IVF_MIN_FACES else None

    def report(offset: int) -> Progress | None:
        if progress is None:
            return None
        return lambda done, _: progress(offset + done, m)

    qi, bj, _ = neighbours(
        seeds,
        seeds,
        k=params.knn,
        min_similarity=params.cluster_similarity,
        same_set=True,
        probes=params.ivf_probes,
        index=index,
        shortcut=True,
        progress=report(0),
    )
    cannot = same_photo_pairs(photo_ids[seed_rows])
    cluster_of = np.full(m, -1, dtype=np.int64)  # cluster ids are seed-row indices
    cluster_of[seed_rows] = average_linkage(seeds, (qi, bj), cannot, params.cluster_similarity)
    if len(other_rows):
        others = np.ascontiguousarray(vectors[other_rows])
        # Candidate clusters of each non-seed face: those of its seed neighbours, down to the
        # margin below the threshold (a close runner-up makes the face ambiguous).
        qi, bj, _ = neighbours(
            others,
            seeds,
            k=params.knn,
            min_similarity=params.cluster_similarity - params.assign_margin,
            same_set=False,
            probes=params.ivf_probes,
            index=index,
            progress=report(len(seed_rows)),
        )
        cluster_of[other_rows] = _attach(
            seeds=seeds,
            seed_cluster=cluster_of[seed_rows],
            seed_photos=photo_ids[seed_rows],
            others=others,
            other_photos=photo_ids[other_rows],
            edges=(qi, bj),
            params=params,
        )

    assigned = cluster_of >= 0
    ids, first, sizes = np.unique(cluster_of[assigned], return_index=True, return_counts=True)
    big = sizes >= params.min_cluster_size
    ids, first, sizes = ids[big], np.flatnonzero(assigned)[first[big]], sizes[big]
    order = np.lexsort((first, -sizes))
    new_label = np.full(len(seed_rows), -1, dtype=np.int64)
    new_label[ids[order]] = np.arange(len(order))
    labels[assigned] = new_label[cluster_of[assigned]]
    if progress is not None:
        progress(m, m)
    return ClusterResult(labels)


def _attach(
    *,
    seeds: FloatMatrix,
    seed_cluster: IdArray,
    seed_photos: IdArray,
    others: FloatMatrix,
    other_photos: IdArray,
    edges: tuple[IdArray, IdArray],
    params: PeopleParams,
) -> IdArray:
    """The cluster each non-seed face joins (-1: none).

    A face joins the cluster with the best mean similarity when it is >= cluster_similarity and
    beats the runner-up cluster by assign_margin, unless the cluster already holds a face of its
    photo (faces of one photo are placed best score first). Non-seeds never change the clusters'
    sums: they cannot pull two persons together.
    """
    joined = np.full(len(others), -1, dtype=np.int64)
    qi, bj = edges
    if not len(qi):
        return joined
    cluster_ids, compact = np.unique(seed_cluster, return_inverse=True)
    n_clusters = len(cluster_ids)
    sums = _group_sums(seeds, compact, n_clusters)
    counts = np.bincount(compact, minlength=n_clusters).astype(np.float64)
    codes = _distinct(qi * n_clusters + compact[bj])
    fq, fc = codes // n_clusters, codes % n_clusters
    score = np.einsum("ij,ij->i", others[fq].astype(np.float64), sums[fc]) / counts[fc]
    order = np.lexsort((fc, -score, fq))
    fq, fc, score = fq[order], fc[order], score[order]
    first = np.flatnonzero(np.r_[True, fq[1:] != fq[:-1]])
    last = np.r_[first[1:], len(fq)]
    runner = np.where(first + 1 < last, score[np.minimum(first + 1, len(fq) - 1)], -np.inf)
    face, cluster, best = fq[first], fc[first], score[first]
    ok = (best >= params.cluster_similarity) & (best - runner >= params.assign_margin)
    face, cluster, best = face[ok], cluster[ok], best[ok]
    occupied = set(zip(compact.tolist(), seed_photos.tolist(), strict=True))
    for i in np.lexsort((face, -best)).tolist():
        key = (int(cluster[i]), int(other_photos[face[i]]))
        if key not in occupied:
            occupied.add(key)
            joined[face[i]] = cluster_ids[cluster[i]]
    return joined
