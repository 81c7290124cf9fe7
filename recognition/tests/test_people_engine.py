"""The People engine (recognition.ml.people): assignment rules and clustering guarantees."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import recognition.ml.people as people
from recognition.ml.images import load_rgb
from recognition.ml.people import (
    CandidateFaces,
    LabelledFaces,
    PeopleParams,
    PersonIndex,
    cluster_faces,
    default_params,
)
from recognition.ml.pipeline import FacePipeline

pytestmark = pytest.mark.nodb

DIM = 128
PARAMS = PeopleParams(
    assign_similarity=0.93,
    assign_margin=0.02,
    suggest_similarity=0.90,
    cluster_similarity=0.93,
    min_cluster_size=3,
    min_seed_size=40.0,
    min_seed_score=0.95,
)


def unit(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)
    return out


class Faces:
    """Synthetic embeddings with dlib-like geometry: a common direction, identity offsets, noise.

    Two faces of one identity have cosine similarity ~0.97, of two identities ~0.8.
    """

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.mean = unit(self.rng.standard_normal(DIM))

    def identity(self) -> np.ndarray:
        return unit(0.9 * self.mean + 0.45 * unit(self.rng.standard_normal(DIM)))

    def sibling(self, of: np.ndarray, similarity: float) -> np.ndarray:
        """An identity whose centre has exactly this cosine similarity with `of`."""
        other = self.rng.standard_normal(DIM)
        other = unit(other - (other @ of) * of)
        return unit(similarity * of + math.sqrt(1 - similarity**2) * other)

    def faces(self, centre: np.ndarray, n: int, noise: float = 0.15) -> np.ndarray:
        return unit(centre + noise * unit(self.rng.standard_normal((n, DIM))))


def candidates(
    vectors: np.ndarray,
    photo_ids: list[int] | np.ndarray | None = None,
    *,
    sizes: list[float] | np.ndarray | None = None,
    scores: list[float] | np.ndarray | None = None,
    rejected: list[frozenset[int]] | None = None,
    first_id: int = 1000,
) -> CandidateFaces:
    m = len(vectors)
    return CandidateFaces(
        face_ids=np.arange(first_id, first_id + m, dtype=np.int64),
        vectors=np.asarray(vectors, dtype=np.float32).reshape(m, DIM),
        photo_ids=np.asarray(
            photo_ids if photo_ids is not None else np.arange(first_id, first_id + m), np.int64
        ),
        sizes=np.asarray(sizes if sizes is not None else [200.0] * m, dtype=np.float32),
        scores=np.asarray(scores if scores is not None else [0.999] * m, dtype=np.float32),
        rejected=rejected if rejected is not None else [frozenset()] * m,
    )


def clusters_of(labels: np.ndarray, truth: np.ndarray) -> list[Counter[int]]:
    return [Counter(truth[labels == k].tolist()) for k in range(int(labels.max(initial=-1)) + 1)]


# --- params ----------------------------------------------------------------------------------


def test_default_params_are_measured_for_dlib_and_derived_for_other_models():
    dlib = default_params("dlib-resnet", threshold=0.93)
    assert dlib.assign_similarity == pytest.approx(0.93)
    assert dlib.suggest_similarity < dlib.assign_similarity
    other = default_params("facenet-vggface2", threshold=0.4)
    assert other.assign_similarity == pytest.approx(0.4)
    assert -1.0 <= other.suggest_similarity < other.assign_similarity
    assert other.assign_margin > dlib.assign_margin  # scaled with the model's spread
    with pytest.raises(ValueError, match="threshold"):
        default_params("unknown", threshold=1.5)


@pytest.mark.parametrize(
    "change",
    [
        {"suggest_similarity": 0.95},  # above assign
        {"cluster_similarity": 1.2},
        {"assign_margin": -0.1},
        {"min_cluster_size": 0},
        {"knn": 0},
        {"min_seed_score": 2.0},
    ],
)
def test_invalid_params_are_refused(change):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        replace(PARAMS, **change)


# --- clustering ------------------------------------------------------------------------------


def test_clusters_identities_purely_largest_first():
    gen = Faces(1)
    sizes = [4, 9, 6, 3, 7]
    vectors = np.concatenate([gen.faces(gen.identity(), n) for n in sizes])
    truth = np.repeat(np.arange(len(sizes)), sizes)
    labels = cluster_faces(candidates(vectors), PARAMS).labels
    assert labels.dtype == np.int64
    found = clusters_of(labels, truth)
    assert [len(c) for c in found] == [1] * len(sizes)  # every cluster is one identity
    assert sorted(next(iter(c)) for c in found) == list(range(len(sizes)))  # none split
    assert [sum(c.values()) for c in found] == sorted(sizes, reverse=True)  # largest first


def test_two_faces_of_one_photo_never_share_a_cluster():
    gen = Faces(2)
    centre = gen.identity()
    vectors = gen.faces(centre, 8, noise=0.05)
    vectors[1] = vectors[0]  # the same person twice in a photo (a mirror, a poster): identical
    photo_ids = [1, 1, 2, 3, 4, 5, 6, 7]
    labels = cluster_faces(candidates(vectors, photo_ids), PARAMS).labels
    assert labels[0] != labels[1] or labels[0] == -1
    assert (labels >= 0).sum() >= 7
    # Several faces per photo, all of one person: at most one of them per cluster.
    photo_ids = [1, 1, 1, 2, 2, 2, 3, 3]
    labels = cluster_faces(candidates(vectors, photo_ids), PARAMS).labels
    for k in set(labels[labels >= 0].tolist()):
        photos = np.asarray(photo_ids)[labels == k]
        assert len(photos) == len(set(photos.tolist()))


def test_clusters_below_min_cluster_size_dissolve():
    gen = Faces(3)
    vectors = np.concatenate([gen.faces(gen.identity(), 2), gen.faces(gen.identity(), 5)])
    labels = cluster_faces(candidates(vectors), PARAMS).labels
    assert labels[:2].tolist() == [-1, -1]
    assert set(labels[2:].tolist()) == {0}
    labels = cluster_faces(candidates(vectors), replace(PARAMS, min_cluster_size=2)).labels
    assert set(labels.tolist()) == {0, 1}


def test_small_or_low_score_faces_join_a_cluster_but_never_start_one():
    gen = Faces(4)
    a, b = gen.identity(), gen.identity()
    vectors = np.concatenate([gen.faces(a, 4), gen.faces(a, 3), gen.faces(b, 6)])
    sizes = [200.0] * 4 + [25.0, 30.0, 200.0] + [20.0, 30.0, 39.0, 25.0, 200.0, 200.0]
    scores = [0.999] * 6 + [0.91] + [0.999] * 4 + [0.92, 0.93]
    labels = cluster_faces(candidates(vectors, sizes=sizes, scores=scores), PARAMS).labels
    # Identity a: four seeds start the cluster, its small and low-score faces join it.
    assert labels[:7].tolist() == [0] * 7
    # Identity b has no seed (small or low-score faces only): no cluster, whatever its size.
    assert labels[7:].tolist() == [-1] * 6


def test_a_non_seed_face_between_two_persons_joins_neither():
    gen = Faces(5)
    a = gen.identity()
    b = gen.sibling(a, 0.88)
    ambiguous = unit(a + b)
    vectors = np.concatenate([gen.faces(a, 5, noise=0.05), gen.faces(b, 5, noise=0.05), ambiguous[None]])
    sims = vectors[-1] @ vectors[:10].T
    assert sims[:5].mean() >= PARAMS.cluster_similarity
    assert sims[5:].mean() >= PARAMS.cluster_similarity
    sizes = [200.0] * 10 + [20.0]
    labels = cluster_faces(candidates(vectors, sizes=sizes), PARAMS).labels
    assert labels[:5].tolist() == [labels[0]] * 5
    assert labels[0] >= 0
    assert labels[5:10].tolist() == [labels[5]] * 5
    assert labels[5] >= 0
    assert labels[5] != labels[0]
    assert labels[10] == -1


def test_look_alike_siblings_stay_apart_where_single_linkage_merges_them():
    gen = Faces(6)
    a = gen.identity()
    b = gen.sibling(a, 0.88)
    va, vb = gen.faces(a, 10, noise=0.1), gen.faces(b, 10, noise=0.1)
    bridge = gen.faces(unit(a + b), 1, noise=0.05)  # one photo that looks like both siblings
    # The test is meaningful: the bridge passes the threshold with faces of both (connected
    # components would merge the siblings), the siblings' average does not.
    assert (bridge @ va.T).max() >= PARAMS.cluster_similarity
    assert (bridge @ vb.T).max() >= PARAMS.cluster_similarity
    assert (va @ vb.T).mean() < PARAMS.cluster_similarity
    labels = cluster_faces(candidates(np.concatenate([va, vb, bridge])), PARAMS).labels
    assert len(set(labels[:10].tolist())) == 1
    assert labels[0] >= 0
    assert len(set(labels[10:20].tolist())) == 1
    assert labels[10] >= 0
    assert labels[0] != labels[10]


def test_clustering_is_deterministic_and_reports_progress():
    gen = Faces(7)
    vectors = np.concatenate(
        [gen.faces(gen.identity(), n) for n in (5, 8, 3, 12)] + [gen.faces(gen.identity(), 1)]
    )
    photo_ids = np.arange(len(vectors)) // 2
    calls: list[tuple[int, int]] = []
    first = cluster_faces(
        candidates(vectors, photo_ids), PARAMS, progress=lambda done, total: calls.append((done, total))
    )
    second = cluster_faces(candidates(vectors, photo_ids), PARAMS)
    assert np.array_equal(first.labels, second.labels)
    assert calls[-1] == (len(vectors), len(vectors))
    assert all(done <= total == len(vectors) for done, total in calls)


def test_cell_index_path_gives_the_same_clusters(monkeypatch):
    gen = Faces(8)
    sizes = [30, 25, 20, 15, 10, 10, 5]
    vectors = np.concatenate([gen.faces(gen.identity(), n) for n in sizes])
    photo_ids = np.arange(len(vectors)) % 40  # up to three faces of different persons per photo
    small = np.tile([200.0, 200.0, 200.0, 30.0], len(vectors))[: len(vectors)]
    exact = cluster_faces(candidates(vectors, photo_ids, sizes=small), PARAMS).labels
    monkeypatch.setattr(people, "IVF_MIN_FACES", 16)
    through_cells = cluster_faces(candidates(vectors, photo_ids, sizes=small), PARAMS).labels
    assert np.array_equal(exact, through_cells)
    assert exact.max() == len(sizes) - 1


def test_empty_inputs():
    none = candidates(np.zeros((0, DIM), np.float32))
    assert cluster_faces(none, PARAMS).labels.shape == (0,)
    gen = Faces(9)
    only_small = candidates(gen.faces(gen.identity(), 5), sizes=[10.0] * 5)
    assert cluster_faces(only_small, PARAMS).labels.tolist() == [-1] * 5
    empty_index = PersonIndex(
        LabelledFaces(np.zeros((0, DIM), np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64)), PARAMS
    )
    (result,) = empty_index.assign(candidates(gen.faces(gen.identity(), 1)))
    assert (result.person_id, result.suggested_person_id) == (None, None)
    assert math.isnan(result.similarity)
    assert empty_index.assign(none) == []


def test_candidate_faces_validate_their_shapes():
    with pytest.raises(ValueError, match="one entry per face"):
        CandidateFaces(
            face_ids=np.arange(2),
            vectors=np.zeros((2, DIM), np.float32),
            photo_ids=np.arange(3),
            sizes=np.ones(2, np.float32),
            scores=np.ones(2, np.float32),
        )


# --- assignment ------------------------------------------------------------------------------


class Library:
    """Persons 1..n with `per` labelled faces each, one photo per face."""

    def __init__(self, n: int = 4, per: int = 6, seed: int = 10) -> None:
        self.gen = Faces(seed)
        self.centres = {p: self.gen.identity() for p in range(1, n + 1)}
        vectors, persons = [], []
        for p, centre in self.centres.items():
            vectors.append(self.gen.faces(centre, per))
            persons += [p] * per
        self.labelled = LabelledFaces(
            vectors=np.concatenate(vectors),
            person_ids=np.array(persons, np.int64),
            photo_ids=np.arange(len(persons), dtype=np.int64),
        )
        self.index = PersonIndex(self.labelled, PARAMS)

    def new_face(self, person: int) -> np.ndarray:
        return self.gen.faces(self.centres[person], 1)


def test_new_faces_join_their_person():
    lib = Library()
    vectors = np.concatenate([lib.new_face(p) for p in (1, 2, 3, 4, 2)])
    results = lib.index.assign(candidates(vectors))
    assert [r.person_id for r in results] == [1, 2, 3, 4, 2]
    assert [r.face_id for r in results] == [1000, 1001, 1002, 1003, 1004]
    assert all(r.suggested_person_id is None and r.similarity >= PARAMS.assign_similarity for r in results)


def test_score_is_the_mean_of_the_k_best_similarities():
    lib = Library()
    face = lib.new_face(2)
    rows = lib.labelled.person_ids == 2
    sims = np.sort(lib.labelled.vectors[rows] @ face[0])[::-1]
    (scores,) = lib.index.scores(face, floor=0.5)
    assert scores[2] == pytest.approx(sims[: PARAMS.assign_top_k].mean(), abs=1e-6)
    (result,) = lib.index.assign(candidates(face))
    assert result.similarity == pytest.approx(scores[2], abs=1e-6)


def test_a_stranger_gets_nothing():
    lib = Library()
    (result,) = lib.index.assign(candidates(lib.gen.faces(lib.gen.identity(), 1)))
    assert (result.person_id, result.suggested_person_id) == (None, None)
    assert math.isnan(result.similarity)


def test_rejected_persons_are_never_assigned_or_suggested():
    lib = Library()
    face = lib.new_face(1)
    (result,) = lib.index.assign(candidates(face, rejected=[frozenset({1})]))
    assert result.person_id != 1
    assert result.suggested_person_id != 1
    (result,) = lib.index.assign(candidates(face, rejected=[frozenset({3})]))
    assert result.person_id == 1


def test_a_person_already_in_the_photo_is_excluded():
    lib = Library()
    photo_of_person_1 = int(lib.labelled.photo_ids[lib.labelled.person_ids == 1][0])
    face = lib.new_face(1)
    (result,) = lib.index.assign(candidates(face, [photo_of_person_1]))
    assert result.person_id != 1
    assert result.suggested_person_id != 1
    assert lib.index.persons_in_photo(photo_of_person_1) == {1}


def test_two_candidates_of_one_photo_never_get_the_same_person():
    lib = Library()
    a, b = lib.new_face(1), lib.new_face(1)
    sims = lib.index.scores(np.concatenate([a, b]), floor=0.0)
    better = 0 if sims[0][1] >= sims[1][1] else 1
    results = lib.index.assign(candidates(np.concatenate([a, b]), [500, 500]))
    assert results[better].person_id == 1
    loser = results[1 - better]
    assert loser.person_id != 1
    assert loser.suggested_person_id != 1
    # In different photos both join person 1.
    results = lib.index.assign(candidates(np.concatenate([a, b]), [500, 600]))
    assert [r.person_id for r in results] == [1, 1]


def test_the_loser_of_a_photo_gets_its_next_allowed_person():
    lib = Library()
    twin = lib.new_face(1)
    # A face that is person 1's and, a little less, person 2's: person 2 is its next choice.
    both = unit(lib.centres[1] + 0.9 * lib.centres[2])[None]
    scores = lib.index.scores(np.concatenate([twin, both]), floor=0.0)
    assert scores[1][1] > scores[1][2] >= PARAMS.suggest_similarity
    assert scores[0][1] > scores[1][1]
    results = lib.index.assign(candidates(np.concatenate([twin, both]), [900, 900]))
    assert results[0].person_id == 1
    assert 2 in (results[1].person_id, results[1].suggested_person_id)


def test_margin_rule_ambiguous_face_is_suggested_not_assigned():
    lib = Library()
    lib2 = PersonIndex(
        LabelledFaces(
            vectors=np.concatenate([lib.labelled.vectors, lib.gen.faces(lib.centres[1], 6, noise=0.02)]),
            person_ids=np.concatenate([lib.labelled.person_ids, np.full(6, 9, np.int64)]),
            photo_ids=np.arange(len(lib.labelled.person_ids) + 6, dtype=np.int64),
        ),
        PARAMS,
    )
    # Person 9 looks exactly like person 1: a face of either is ambiguous.
    face = lib.new_face(1)
    (scores,) = lib2.scores(face, floor=0.0)
    assert min(scores[1], scores[9]) >= PARAMS.assign_similarity
    assert abs(scores[1] - scores[9]) < PARAMS.assign_margin
    (result,) = lib2.assign(candidates(face))
    assert result.person_id is None
    best = max((1, 9), key=lambda p: (scores[p], -p))
    assert result.suggested_person_id == best
    assert result.similarity == pytest.approx(scores[best], abs=1e-6)
    # Once the user rejects one of them, the other is no longer ambiguous.
    (result,) = lib2.assign(candidates(face, rejected=[frozenset({9})]))
    assert result.person_id == 1


def test_a_face_below_assign_but_above_suggest_is_a_suggestion():
    lib = Library()
    centre = lib.centres[3]
    for mix in np.linspace(0.0, 1.0, 41):
        face = unit((1 - mix) * centre + mix * lib.gen.identity())[None]
        (scores,) = lib.index.scores(face, floor=0.0)
        if PARAMS.suggest_similarity <= scores[3] < PARAMS.assign_similarity - 0.005:
            break
    else:
        pytest.fail("no face in the suggestion band")
    (result,) = lib.index.assign(candidates(face))
    assert (result.person_id, result.suggested_person_id) == (None, 3)
    assert PARAMS.suggest_similarity <= result.similarity < PARAMS.assign_similarity


def test_batches_answer_like_single_faces_and_check_dimensions():
    lib = Library()
    vectors = np.concatenate([lib.new_face(p) for p in (4, 3, 2, 1)] + [lib.gen.faces(lib.gen.identity(), 2)])
    batch = lib.index.assign(candidates(vectors))
    single = [
        lib.index.assign(candidates(vectors[i : i + 1], first_id=1000 + i))[0] for i in range(len(vectors))
    ]
    assert [(r.person_id, r.suggested_person_id) for r in batch] == [
        (r.person_id, r.suggested_person_id) for r in single
    ]
    with pytest.raises(ValueError, match="dimension"):
        lib.index.scores(np.zeros((1, 64), np.float32), floor=0.0)


# --- real photos ---------------------------------------------------------------------------------

REAL = {"angelina_jolie": 6, "fp_kate_siegel": 1, "deepface_g10": 6, "bbt_penny": 5}


@pytest.fixture(scope="module")
def real_faces(faces_dir: Path, pipeline: FacePipeline) -> tuple[np.ndarray, np.ndarray]:
    """Largest face of a few photos of look-alikes (single linkage merges Penny and deepface_g10)."""
    vectors, truth = [], []
    for person, count in REAL.items():
        paths = sorted((faces_dir / person).iterdir())[:count]
        for faces in pipeline.predict([load_rgb(p.read_bytes()) for p in paths]):
            vectors.append(faces[0].vector)
            truth.append(person)
    return np.stack(vectors).astype(np.float32), np.array(truth)


def test_real_photos_cluster_then_assign(real_faces):
    vectors, truth = real_faces
    params = default_params("dlib-resnet", threshold=0.93)
    labels = cluster_faces(candidates(vectors), params).labels
    for k in range(int(labels.max()) + 1):
        assert len(set(truth[labels == k].tolist())) == 1, "a cluster mixes two persons"
    assert labels.max() >= 2  # at least three of the four persons found
    # Name the clusters, then assign the faces left out: right person or nobody.
    clustered = labels >= 0
    index = PersonIndex(
        LabelledFaces(vectors[clustered], labels[clustered], np.arange(len(vectors))[clustered]), params
    )
    names = {k: truth[labels == k][0] for k in range(int(labels.max()) + 1)}
    rest = np.flatnonzero(~clustered)
    for i, result in zip(rest, index.assign(candidates(vectors[rest], rest + 100)), strict=True):
        if result.person_id is not None:
            assert names[result.person_id] == truth[i]
