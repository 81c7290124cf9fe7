"""Verification and identification metrics on hand-checkable embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from recognition.ml.metrics import best_threshold, evaluate_embeddings, roc_auc

pytestmark = pytest.mark.nodb


def _angles(*degrees: float) -> np.ndarray:
    radians = np.radians(degrees)
    return np.stack([np.cos(radians), np.sin(radians)], axis=1) * 3.0  # not unit length on purpose


def test_separable_identities() -> None:
    # a: 0/10 deg, b: 90/100 deg, c: 200 deg (a single image: a distractor, never a query).
    report = evaluate_embeddings(_angles(0, 10, 90, 100, 200), ["a", "a", "b", "b", "c"], threshold=0.9)
    assert (report.images, report.identities) == (5, 3)
    assert (report.positive_pairs, report.negative_pairs) == (2, 8)
    assert report.auc == 1.0
    assert report.rank1 == 1.0
    assert report.rank1_queries == 4
    assert (report.accuracy, report.precision, report.recall, report.f1) == (1.0, 1.0, 1.0, 1.0)
    # cos 10 deg = 0.985 (same) vs cos 80 deg = 0.174 (closest different): the cut lies between.
    assert 0.17 < report.best_threshold < 0.985
    assert report.best_accuracy == 1.0


def test_threshold_errors_are_counted() -> None:
    # b's pair is 85 deg apart (cos 0.09): missed at threshold 0.9, so recall is 1/2.
    report = evaluate_embeddings(_angles(0, 10, 90, 175), ["a", "a", "b", "b"], threshold=0.9)
    assert report.recall == 0.5
    assert report.precision == 1.0
    assert report.accuracy == pytest.approx(5 / 6)
    assert report.f1 == pytest.approx(2 / 3)
    # 90 deg's nearest is 10 deg (a, 80 deg away): one rank-1 miss among 4 queries.
    assert report.rank1 == 0.75
    # That pair (cos 0.09) ranks below the a/b pair at 80 deg (cos 0.17): 7 of 8 orderings right.
    assert report.auc == pytest.approx(7 / 8)
    none = evaluate_embeddings(_angles(0, 10, 90, 175), ["a", "a", "b", "b"], threshold=None)
    assert none.threshold == none.best_threshold


def test_roc_auc_counts_ties_half() -> None:
    scores = np.array([0.9, 0.5, 0.5, 0.1])
    positive = np.array([True, True, False, False])
    assert roc_auc(scores, positive) == pytest.approx(0.875)
    assert np.isnan(roc_auc(scores, np.ones(4, dtype=bool)))


def test_best_threshold_maximises_accuracy() -> None:
    scores = np.array([0.95, 0.9, 0.8, 0.7, 0.3, 0.2])
    positive = np.array([True, True, False, True, False, False])
    threshold = best_threshold(scores, positive)
    predicted = scores >= threshold
    assert (predicted == positive).sum() == 5


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="one label per row"):
        evaluate_embeddings(np.ones((3, 4)), ["a", "b"], threshold=None)
