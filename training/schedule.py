"""The learning-rate schedule of a fine-tuning run."""

from __future__ import annotations

import math
from collections.abc import Callable

LrFactor = Callable[[int], float]


def warmup_cosine(step: int, *, warmup: int, total: int) -> float:
    """Linear warm-up over `warmup` steps, then a cosine decay that stays above zero at the last step."""
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def lr_factors(
    *, epochs: int, steps_per_epoch: int, head_only_epochs: int, warmup_epochs: float
) -> tuple[LrFactor, LrFactor]:
    """Learning-rate factors per optimiser step for (backbone, head).

    The backbone's schedule starts when it starts training, after the head-only epochs (its
    factor is 0 before); the warm-up is at most a quarter of the steps it applies to, so a
    short run on a small dataset is not spent warming up.
    """
    total = epochs * steps_per_epoch
    head_only = min(head_only_epochs, epochs - 1) * steps_per_epoch
    backbone_steps = total - head_only
    wanted = round(warmup_epochs * steps_per_epoch)

    def backbone(step: int) -> float:
        if step < head_only:
            return 0.0
        warmup = min(wanted, backbone_steps // 4)
        return warmup_cosine(step - head_only, warmup=warmup, total=backbone_steps)

    def head(step: int) -> float:
        return warmup_cosine(step, warmup=min(wanted, total // 4), total=total)

    return backbone, head
