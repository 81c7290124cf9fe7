"""Verification and identification metrics for face embeddings (pure numpy).

Scores are cosine similarities of L2-normalised vectors; a pair is predicted "same person"
when its similarity is >= the threshold. Pairs are all unordered pairs of images.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class EvaluationReport:
    images: int
    identities: int
    positive_pairs: int
    negative_pairs: int
    auc: float
    threshold: float  # the threshold accuracy/precision/recall/f1 are reported at
    accuracy: float
    precision: float
    recall: float
    f1: float
    best_threshold: float  # the threshold that maximises pair accuracy on this data
    best_accuracy: float
    best_f1: float
    rank1: float  # leave-one-out nearest neighbour, queries whose identity has >= 2 images
    rank1_queries: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def l2_normalise(vectors: npt.ArrayLike) -> npt.NDArray[np.float32]:
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    normalised: npt.NDArray[np.float32] = (array / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised


def roc_auc(scores: npt.NDArray[np.float64], positive: npt.NDArray[np.bool_]) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    n_pos = int(positive.sum())
    n_neg = int(positive.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(scores.size, dtype=np.float64)
    sorted_scores = scores[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(average, counts)
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def _confusion(
    scores: npt.NDArray[np.float64], positive: npt.NDArray[np.bool_], threshold: float
) -> tuple[float, float, float, float]:
    predicted = scores >= threshold
    tp = int((predicted & positive).sum())
    fp = int((predicted & ~positive).sum())
    fn = int((~predicted & positive).sum())
    tn = int((~predicted & ~positive).sum())
    accuracy = (tp + tn) / max(scores.size, 1)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return accuracy, precision, recall, f1


def best_threshold(scores: npt.NDArray[np.float64], positive: npt.NDArray[np.bool_]) -> float:
    """The similarity threshold that maximises accuracy (midpoint between neighbouring scores)."""
    order = np.argsort(-scores, kind="mergesort")
    s = scores[order]
    pos = positive[order]
    n_neg = int((~positive).sum())
    tp = np.concatenate([[0], np.cumsum(pos)])
    fp = np.concatenate([[0], np.cumsum(~pos)])
    correct = tp + (n_neg - fp)  # k highest scores predicted positive, k = 0..n
    # Only cut between distinct scores.
    valid = np.ones(s.size + 1, dtype=bool)
    valid[1:-1] = s[:-1] > s[1:]
    k = int(np.argmax(np.where(valid, correct, -1)))
    if k == 0:
        return float(s[0] + 1e-6)
    if k == s.size:
        return float(s[-1] - 1e-6)
    return float((s[k - 1] + s[k]) / 2.0)


def evaluate_embeddings(
    embeddings: npt.ArrayLike, labels: Sequence[str], *, threshold: float | None
) -> EvaluationReport:
    """Pair verification (all pairs) and leave-one-out rank-1 identification.

    `threshold` is a cosine similarity; when None, metrics are reported at the best threshold.
    """
    vectors = l2_normalise(embeddings)
    if vectors.ndim != 2 or len(vectors) != len(labels):
        raise ValueError("embeddings must be (N, dim) with one label per row.")
    n = len(labels)
    if n < 2:
        raise ValueError("Need at least two embeddings to evaluate.")
    label_array = np.asarray(labels, dtype=object)
    similarity = (vectors @ vectors.T).astype(np.float64)
    rows, cols = np.triu_indices(n, k=1)
    scores = similarity[rows, cols]
    positive = label_array[rows] == label_array[cols]

    best = best_threshold(scores, positive)
    best_accuracy, _, _, best_f1 = _confusion(scores, positive, best)
    at = best if threshold is None else float(threshold)
    accuracy, precision, recall, f1 = _confusion(scores, positive, at)

    counts = Counter(labels)
    queries = np.array([counts[label] >= 2 for label in labels])
    masked = similarity.copy()
    np.fill_diagonal(masked, -np.inf)
    nearest = masked.argmax(axis=1)
    hits = label_array[nearest] == label_array
    rank1 = float(hits[queries].mean()) if queries.any() else float("nan")

    return EvaluationReport(
        images=n,
        identities=len(counts),
        positive_pairs=int(positive.sum()),
        negative_pairs=int((~positive).sum()),
        auc=roc_auc(scores, positive),
        threshold=at,
        accuracy=accuracy,
        precision=precision,
        recall=recall,
        f1=f1,
        best_threshold=best,
        best_accuracy=best_accuracy,
        best_f1=best_f1,
        rank1=rank1,
        rank1_queries=int(queries.sum()),
    )
