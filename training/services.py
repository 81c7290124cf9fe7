"""Writes of TrainingRun records, and the training service `train_arcface` calls."""

from __future__ import annotations

import math
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from training.config import TrainingConfig
from training.models import TrainingRun
from training.trainer import Log, TrainingResult, train


def _json_safe(value: Any) -> Any:
    """NaN/inf are not JSON: store them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


@transaction.atomic
def training_run_start(*, dataset: Path, checkpoint: Path, config: TrainingConfig) -> TrainingRun:
    return TrainingRun.objects.create(
        dataset=str(dataset),
        backbone=config.backbone,
        config=_json_safe(config.to_dict()),
        checkpoint=str(checkpoint),
        status=TrainingRun.Status.RUNNING,
    )


@transaction.atomic
def training_run_finish(
    *, run: TrainingRun, result: TrainingResult | None = None, error: str = ""
) -> TrainingRun:
    run.finished_at = timezone.now()
    fields = ["finished_at", "status"]
    if result is not None:
        run.status = TrainingRun.Status.SUCCEEDED
        run.metrics = _json_safe(result.metrics)
        run.best_epoch = result.best_epoch
        run.checkpoint = str(result.best_path)
        run.dataset_fingerprint = result.dataset_fingerprint
        fields += ["metrics", "best_epoch", "checkpoint", "dataset_fingerprint"]
    else:
        run.status = TrainingRun.Status.FAILED
        run.error = error
        fields.append("error")
    run.save(update_fields=fields)
    return run


def train_arcface(
    *,
    dataset: Path,
    output: Path,
    config: TrainingConfig,
    resume: Path | None = None,
    cache_dir: Path | None = None,
    log: Log,
    progress_file: IO[str] | None = None,
) -> tuple[TrainingRun, TrainingResult]:
    """Train, recording the run; a failure is recorded on the run and re-raised."""
    run = training_run_start(dataset=dataset, checkpoint=output, config=config)
    try:
        result = train(
            dataset,
            output=output,
            config=config,
            resume=resume,
            cache_dir=cache_dir,
            log=log,
            progress_file=progress_file,
        )
    except Exception as exc:
        training_run_finish(run=run, error=f"{type(exc).__name__}: {exc}")
        raise
    return training_run_finish(run=run, result=result), result
