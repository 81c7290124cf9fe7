import numpy as np
import pytest

from recognition.ml.knn import FaceMatrix, l2_normalise

pytestmark = pytest.mark.nodb


def _matrix():
    vectors = l2_normalise(
        np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.8, 0.0, 0.6], [0.95, 0.05, 0.0]])
    )
    # photo 10 has two faces (rows 0 and 1), photo 11 one, photo 12 one, photo 13 one
    return FaceMatrix([1, 2, 3, 4, 5], [10, 10, 11, 12, 13], vectors, dim=3)


def test_search_ranks_photos_by_their_best_face():
    matches = _matrix().search([1, 0, 0], min_similarity=0.5)
    assert [m.photo_id for m in matches] == [10, 13, 12]
    assert matches[0].face_id == 1
    assert matches[0].similarity == pytest.approx(1.0)
    assert matches[0].distance == pytest.approx(0.0, abs=1e-3)
    sims = [m.similarity for m in matches]
    assert sims == sorted(sims, reverse=True)


def test_threshold_limit_and_exclusion():
    m = _matrix()
    assert [x.photo_id for x in m.search([1, 0, 0], min_similarity=0.9)] == [10, 13]
    assert [x.photo_id for x in m.search([1, 0, 0], min_similarity=0.0, limit=2)] == [10, 13]
    assert [x.photo_id for x in m.search([1, 0, 0], min_similarity=0.5, exclude_photo_ids=[10])] == [13, 12]
    assert m.search([0, 0, 1], min_similarity=0.99) == []


def test_query_is_normalised_and_dimension_checked():
    m = _matrix()
    assert m.search([5, 0, 0], min_similarity=0.99)[0].photo_id == 10
    with pytest.raises(ValueError, match="dimension"):
        m.search([1, 0], min_similarity=0.5)


def test_extended_returns_new_snapshot_and_empty_matrix_finds_nothing():
    empty = FaceMatrix.empty(3)
    assert empty.search([1, 0, 0], min_similarity=-1) == []
    bigger = empty.extended([7], [70], l2_normalise([[0, 0, 1]]))
    assert len(empty) == 0
    assert len(bigger) == 1
    assert bigger.max_face_id == 7
    assert bigger.search([0, 0, 1], min_similarity=0.9)[0].photo_id == 70


def test_matches_bruteforce_on_random_data():
    rng = np.random.default_rng(0)
    vectors = l2_normalise(rng.normal(size=(500, 16)))
    photo_ids = rng.integers(0, 120, size=500)
    m = FaceMatrix(np.arange(500), photo_ids, vectors, dim=16)
    q = rng.normal(size=16)
    got = m.search(q, min_similarity=0.2)
    qn = q / np.linalg.norm(q)
    expected: dict[int, float] = {}
    for v, p in zip(vectors, photo_ids, strict=True):
        s = float(v @ qn)
        if s >= 0.2:
            expected[int(p)] = max(expected.get(int(p), -2.0), s)
    assert {x.photo_id for x in got} == set(expected)
    for x in got:
        assert x.similarity == pytest.approx(expected[x.photo_id], abs=1e-5)
