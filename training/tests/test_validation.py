"""How epochs are ranked, and the learning-rate schedule of short runs."""

import math

import pytest

from training.schedule import lr_factors
from training.validation import replaces_best, validation_score

pytestmark = pytest.mark.nodb


def _metrics(
    auc: float, rank1: float = 1.0, accuracy: float = 1.0, separation: float = 0.3
) -> dict[str, float]:
    return {"auc": auc, "rank1": rank1, "accuracy": accuracy, "separation": separation}


def _best(history: list[dict[str, float]]) -> int:
    best_epoch, best_score = 0, None
    for epoch, metrics in enumerate(history):
        score = validation_score(metrics)
        if replaces_best(score, best_score):
            best_epoch, best_score = epoch, score
    return best_epoch


def test_a_tie_goes_to_the_later_trained_epoch_a_worse_one_never_does():
    assert _best([_metrics(0.9), _metrics(0.95), _metrics(0.95), _metrics(0.93)]) == 2
    assert _best([_metrics(0.95), _metrics(0.94), _metrics(0.93)]) == 0
    # Saturated ranking metrics (1.0 everywhere): the separation decides, in either direction.
    assert _best([_metrics(1.0, separation=0.30), _metrics(1.0, separation=0.32)]) == 1
    assert _best([_metrics(1.0, separation=0.30), _metrics(1.0, separation=0.29)]) == 0
    # Rounding to 6 decimals: float noise is a tie, and a tie goes to the later epoch.
    assert _best([_metrics(0.9), _metrics(0.9 - 1e-9)]) == 1


def test_nan_or_missing_metrics_rank_lowest():
    assert validation_score({"auc": math.nan, "rank1": 1.0, "accuracy": 1.0}) == (
        -math.inf,
        1.0,
        1.0,
        -math.inf,
    )
    assert not replaces_best(validation_score(_metrics(math.nan)), validation_score(_metrics(0.5)))


def test_one_epoch_trains_the_backbone_at_a_real_learning_rate():
    """The bundled photos give 3 steps an epoch; `--epochs 1` must not be all warm-up or head-only."""
    backbone, head = lr_factors(epochs=1, steps_per_epoch=3, head_only_epochs=2, warmup_epochs=1.0)
    factors = [backbone(step) for step in range(3)]
    assert min(factors) > 0.2
    assert sum(factors) / 3 > 0.5
    assert all(head(step) > 0.2 for step in range(3))


def test_the_backbone_schedule_starts_after_the_head_only_epochs():
    backbone, _ = lr_factors(epochs=4, steps_per_epoch=10, head_only_epochs=2, warmup_epochs=1.0)
    assert [backbone(step) for step in range(20)] == [0.0] * 20
    trained = [backbone(step) for step in range(20, 40)]
    assert all(f > 0 for f in trained)
    # A warm-up (capped at a quarter of the backbone's 20 steps), the peak, then a decay.
    assert trained[:5] == sorted(trained[:5])
    assert max(trained) == pytest.approx(1.0)
    assert trained[5:] == sorted(trained[5:], reverse=True)
