"""Training checkpoints: what a run writes each epoch, how a run resumes from one.

The serving part of the format (backbone, template, threshold, weights) is
`recognition.ml.checkpoint`; this module adds the training state (head, optimiser, scheduler,
metric history, best epoch so far) and writes files atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from recognition.ml.backbones import BackboneSpec
from recognition.ml.checkpoint import checkpoint_metadata, read_checkpoint
from training.config import TrainingConfig
from training.data import DatasetError, FaceDataset
from training.files import write_atomically


@dataclass
class TrainingState:
    """Where a run stands: the metric history and the best epoch so far."""

    metrics: list[dict[str, Any]] = field(default_factory=list)
    next_epoch: int = 1
    best_epoch: int = 0
    best_score: tuple[float, ...] | None = None
    best_threshold: float | None = None


@dataclass
class Optimisation:
    """The objects whose state a resumed run continues."""

    backbone: nn.Module
    head: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler


def last_path_for(output: Path) -> Path:
    return output.with_name(f"{output.stem}.last{output.suffix or '.pt'}")


def default_cache_dir(output: Path) -> Path:
    return output.parent / ".chip-cache"


def save_checkpoint(data: dict[str, Any], path: Path) -> None:
    write_atomically(path, lambda handle: torch.save(data, handle))


def read_resumable(path: Path, *, backbone: str) -> dict[str, Any]:
    """A checkpoint that holds training state for `backbone`; raises CheckpointError or ValueError."""
    data = read_checkpoint(path)
    if "head_state_dict" not in data:
        raise ValueError(f"{path} holds no training state (head, optimizer); it cannot be resumed.")
    if data["backbone"] != backbone:
        raise ValueError(f"{path} is a {data['backbone']} checkpoint, not {backbone}.")
    return data


def training_checkpoint(
    *,
    epoch: int,
    spec: BackboneSpec,
    embedding_size: int,
    config: TrainingConfig,
    dataset: FaceDataset,
    train_names: list[str],
    validation: dict[str, Any],
    state: TrainingState,
    parts: Optimisation,
) -> dict[str, Any]:
    """The checkpoint of `epoch`: servable weights and threshold, plus everything to resume."""
    data = checkpoint_metadata(spec, embedding_size=embedding_size, threshold=state.best_threshold)
    data.update(
        {
            "identities": len(train_names),
            "identity_names": list(train_names),
            "validation": dict(validation),
            "config": config.to_dict(),
            "metrics": [dict(m) for m in state.metrics],
            "dataset_fingerprint": dataset.fingerprint,
            "epoch": epoch,
            "best_epoch": state.best_epoch,
            "best_score": list(state.best_score) if state.best_score is not None else None,
            "best_threshold": state.best_threshold,
            "state_dict": {k: v.detach().cpu() for k, v in parts.backbone.state_dict().items()},
            "head_state_dict": {k: v.detach().cpu() for k, v in parts.head.state_dict().items()},
            "optimizer": parts.optimizer.state_dict(),
            "scheduler": parts.scheduler.state_dict(),
            "scaler": parts.scaler.state_dict(),
        }
    )
    return data


def restore(
    data: dict[str, Any], *, dataset: FaceDataset, train_names: list[str], parts: Optimisation
) -> TrainingState:
    """Load a checkpoint's weights and optimiser state into `parts`; the state to continue from."""
    if data.get("dataset_fingerprint") != dataset.fingerprint:
        raise DatasetError(
            "The dataset differs from the one the checkpoint was trained on (fingerprint mismatch); "
            "resume only with the same folder and files."
        )
    if data.get("identity_names") != train_names:
        raise DatasetError("The checkpoint's training identities differ from this run's.")
    parts.backbone.load_state_dict(data["state_dict"])
    parts.head.load_state_dict(data["head_state_dict"])
    if "optimizer" in data:
        parts.optimizer.load_state_dict(data["optimizer"])
        parts.scheduler.load_state_dict(data["scheduler"])
        parts.scaler.load_state_dict(data["scaler"])
    best = data.get("best_score")
    return TrainingState(
        # A best checkpoint carries the whole run's history: keep the epochs up to its own.
        metrics=[m for m in data.get("metrics", []) if int(m["epoch"]) <= int(data["epoch"])],
        next_epoch=int(data["epoch"]) + 1,
        best_epoch=int(data.get("best_epoch", data["epoch"])),
        best_score=tuple(float(v) for v in best) if best is not None else None,
        best_threshold=data.get("best_threshold"),
    )


def refresh_metrics(path: Path, metrics: list[dict[str, Any]]) -> None:
    """Rewrite the metric history of the checkpoint at `path` (written at its own epoch)."""
    data = read_checkpoint(path)
    data["metrics"] = [dict(m) for m in metrics]
    save_checkpoint(data, path)
