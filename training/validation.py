"""Validation of a fine-tuning run: which images validate, how epochs are ranked.

By default whole identities are held out of training (`split_identities`), so the best epoch
and the threshold written into the checkpoint (which becomes the search threshold) are chosen
on people the model never saw, as search meets them. The per-image split (`split_images`) is
there on request (`val_mode="images"`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from recognition.ml.metrics import l2_normalise
from training.config import TrainingConfig
from training.data import (
    FaceDataset,
    check_validation_size,
    same_person_pairs,
    split_identities,
    split_images,
)


@dataclass(frozen=True)
class ValidationSplit:
    train: npt.NDArray[np.int64]  # indices of the training images
    val: npt.NDArray[np.int64]  # indices of the validation images
    train_names: list[str]  # the identities the head learns, in head-row order
    head_label: npt.NDArray[np.int64]  # dataset label -> head row (-1: held out, not learnt)
    summary: dict[str, Any]  # recorded in the checkpoint: mode, sizes, held-out names


def split_for_validation(dataset: FaceDataset, config: TrainingConfig) -> ValidationSplit:
    """Training and validation images per `config`; raises DatasetError when validation is too small."""
    labels = dataset.labels
    if config.val_mode == "images":
        train, val = split_images(labels, val_split=config.effective_val_split, seed=config.seed)
        how = f"val_split={config.effective_val_split:g} of each identity's images"
        held: list[str] = []
    else:
        train, val = split_identities(labels, val_identities=config.val_identities, seed=config.seed)
        held = [dataset.names[i] for i in np.unique(labels[val])]
        how = f"{len(held)} whole identities held out of training, val_identities={config.val_identities:g}"
    check_validation_size(labels[val], min_pairs=config.min_val_pairs, how=how)
    summary = {
        "mode": config.val_mode,
        "identities": len(np.unique(labels[val])),
        "held_out_identities": held,
        "images": len(val),
        "positive_pairs": same_person_pairs(labels[val]),
        "threshold_from": "unseen identities" if held else "identities seen in training",
    }
    train_classes = np.unique(labels[train])
    head_label = np.full(dataset.identities, -1, dtype=np.int64)
    head_label[train_classes] = np.arange(len(train_classes))
    return ValidationSplit(
        train=train,
        val=val,
        train_names=[dataset.names[i] for i in train_classes],
        head_label=head_label,
        summary=summary,
    )


def validation_score(metrics: dict[str, Any]) -> tuple[float, ...]:
    """Validation ranking: ROC-AUC, then rank-1, then pair accuracy, then the separation (mean
    same-person minus mean different-person similarity), which still ranks epochs when the
    others saturate at 1.0 on an easy validation set. Missing or NaN ranks lowest."""
    keys = ("auc", "rank1", "accuracy", "separation")
    values = (metrics.get(key) for key in keys)
    return tuple(-math.inf if v is None or math.isnan(v) else round(float(v), 6) for v in values)


def replaces_best(score: tuple[float, ...], best: tuple[float, ...] | None) -> bool:
    """A later epoch becomes the best when it is not worse: a tie goes to the trained epoch."""
    return best is None or score >= best


def separation(vectors: npt.NDArray[np.float32], labels: npt.NDArray[np.int64]) -> float:
    """Mean cosine similarity of same-person pairs minus that of different-person pairs."""
    unit = l2_normalise(vectors)
    rows, cols = np.triu_indices(len(unit), k=1)
    similarity = np.einsum("ij,ij->i", unit[rows], unit[cols])
    same = labels[rows] == labels[cols]
    if not same.any() or same.all():
        return math.nan
    return float(similarity[same].mean() - similarity[~same].mean())
