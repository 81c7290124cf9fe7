"""`manage.py train_arcface DATASET_DIR --output PATH ...`: fine-tune a face model with ArcFace."""

from __future__ import annotations

import math
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognition.ml.backbones import BACKBONES
from recognition.ml.checkpoint import CheckpointError, read_checkpoint
from training.config import ConfigError, build_config
from training.data import DatasetError
from training.services import train_arcface

# Command-line option -> config key (None values mean "not given": the file or default applies).
_OVERRIDES = {
    "backbone": "backbone",
    "epochs": "epochs",
    "batch_size": "batch_size",
    "lr": "lr",
    "margin": "margin",
    "scale": "scale",
    "val_mode": "val_mode",
    "val_identities": "val_identities",
    "val_split": "val_split",
    "min_val_pairs": "min_val_pairs",
    "seed": "seed",
    "device": "device",
    "optimizer": "optimizer",
    "patience": "patience",
    "head_warmup_epochs": "head_warmup_epochs",
    "freeze_backbone": "freeze_backbone",
}


class Command(BaseCommand):
    help = (
        "Fine-tune a face embedding model with an ArcFace loss on DATASET_DIR (<person>/<photo> files), "
        "validating on people held out of training. Writes the best checkpoint (by validation, the "
        "starting model included; its threshold chosen on those people) to --output and a "
        "resumable <output>.last.pt; serve it with RECOGNITION_MODEL=<path>."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dataset_dir", type=Path, metavar="DATASET_DIR")
        parser.add_argument("--output", type=Path, required=True, help="checkpoint file to write (.pt)")
        parser.add_argument("--config", type=Path, help="TOML config file (see training/example_config.toml)")
        parser.add_argument("--backbone", choices=list(BACKBONES))
        parser.add_argument("--epochs", type=int)
        parser.add_argument("--batch-size", type=int)
        parser.add_argument("--lr", type=float, help="backbone learning rate")
        parser.add_argument("--margin", type=float, help="ArcFace additive angular margin (radians)")
        parser.add_argument("--scale", type=float, help="ArcFace logit scale")
        parser.add_argument(
            "--val-identities",
            type=float,
            metavar="N_OR_FRACTION",
            help="people held out of training to validate on: a number, or a fraction (< 1) of those "
            "with 2+ photos (default 0.25)",
        )
        parser.add_argument(
            "--val-mode",
            choices=["identities", "images"],
            help="identities (default): validate on whole people never trained on; images: on a "
            "share of each person's photos (people the model trains on: optimistic)",
        )
        parser.add_argument(
            "--val-split",
            type=float,
            help="validate on this fraction of each identity's images (implies --val-mode images)",
        )
        parser.add_argument(
            "--min-val-pairs",
            type=int,
            help="refuse a validation set with fewer same-person pairs (default 20)",
        )
        parser.add_argument("--seed", type=int)
        parser.add_argument("--device", help="auto | cpu | cuda | cuda:N")
        parser.add_argument("--optimizer", choices=["adamw", "sgd"])
        parser.add_argument("--patience", type=int, help="early stop after N epochs without improvement")
        parser.add_argument(
            "--head-warmup-epochs", type=int, help="epochs training the head alone before the backbone"
        )
        freeze = parser.add_mutually_exclusive_group()
        freeze.add_argument(
            "--freeze-backbone",
            dest="freeze_backbone",
            action="store_true",
            default=None,
            help="train only the backbone's last stages (default for the config)",
        )
        freeze.add_argument("--no-freeze-backbone", dest="freeze_backbone", action="store_false")
        parser.add_argument(
            "--resume", type=Path, metavar="CHECKPOINT", help="continue a run from its checkpoint"
        )
        parser.add_argument(
            "--cache-dir", type=Path, help="aligned-chip cache (default: <DATA_DIR>/training-cache)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        overrides = {key: options[option] for option, key in _OVERRIDES.items()}
        try:
            base = read_checkpoint(options["resume"])["config"] if options["resume"] else None
            config = build_config(file=options["config"], overrides=overrides, base=base)
        except (ConfigError, CheckpointError) as exc:
            raise CommandError(str(exc)) from exc
        cache_dir = options["cache_dir"] or Path(settings.DATA_DIR) / "training-cache"
        try:
            run, result = train_arcface(
                dataset=options["dataset_dir"],
                output=options["output"],
                config=config,
                resume=options["resume"],
                cache_dir=cache_dir,
                log=self.stdout.write,
                progress_file=cast(IO[str], self.stderr._out),  # tqdm redraws lines itself
            )
        except (DatasetError, CheckpointError, ConfigError, ValueError, FloatingPointError) as exc:
            raise CommandError(str(exc)) from exc
        best = result.best_metrics

        def fmt(value: object) -> str:
            return "n/a" if not isinstance(value, float) or math.isnan(value) else f"{value:.4f}"

        self.stdout.write(
            self.style.SUCCESS(
                f"Training run {run.pk}: best epoch {result.best_epoch} of {result.epochs_run}"
                f"{' (stopped early)' if result.stopped_early else ''}: AUC {fmt(best['auc'])}, "
                f"rank-1 {fmt(best['rank1'])}, accuracy {fmt(best['accuracy'])}, precision "
                f"{fmt(best['precision'])}, recall {fmt(best['recall'])}, F1 {fmt(best['f1'])}."
            )
        )
        validation = result.validation
        self.stdout.write(
            f"Validated on {validation['identities']} identities ({validation['images']} images, "
            f"{validation['positive_pairs']} same-person pairs); threshold {fmt(best['best_threshold'])} "
            f"chosen on {validation['threshold_from']}."
        )
        self.stdout.write(
            f"Best checkpoint: {result.best_path}  (serve: RECOGNITION_MODEL={result.best_path})"
        )
        self.stdout.write(f"Last epoch (resumable): {result.last_path}")
