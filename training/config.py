"""Training configuration: defaults, a TOML file, then command-line overrides (in that order)."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from recognition.ml.backbones import BACKBONES, resolve_embedding_size

# Backbone learning rates when none is configured. dlib's conv weights are tiny (mean |w| ~ 5e-4
# in its last stage): an AdamW step of 1e-4 rewrites them and measurably hurt unseen identities
# (bench/finetune_dlib.py); 1e-5 keeps fine-tuning gentle. From-scratch backbones need large steps.
DEFAULT_LR = {"dlib-resnet": 1e-5, "facenet": 1e-4, "resnet18": 1e-3, "mobilenet_v3_small": 1e-3}


class ConfigError(ValueError):
    """The configuration file or an option is invalid; the message names the key."""


@dataclass(frozen=True)
class TrainingConfig:
    """Every training option. Defaults protect a pretrained backbone: a low learning rate,
    frozen early stages, and early stopping on validation (the best checkpoint includes epoch 0,
    the untouched pretrained model)."""

    backbone: str = "dlib-resnet"
    embedding_size: int | None = None  # None: the backbone's own (fixed for dlib-resnet / facenet)
    pretrained: bool = True
    epochs: int = 10
    batch_size: int = 32
    optimizer: str = "adamw"  # adamw | sgd
    lr: float | None = None  # backbone learning rate; None: the backbone's default (DEFAULT_LR)
    head_lr_scale: float = 10.0  # the ArcFace head starts random: it learns faster
    # Epochs that train the head alone (backbone fixed) first, so a random head's gradients
    # do not distort the pretrained features ("linear probe, then fine-tune").
    head_warmup_epochs: int = 2
    # Start each class centre at the mean embedding of its training images ("weight imprinting"):
    # with pretrained features the head is sensible from step one.
    imprint_head: bool = True
    weight_decay: float = 5e-4
    momentum: float = 0.9  # SGD only
    warmup_epochs: float = 1.0
    margin: float = 0.3
    scale: float = 32.0
    easy_margin: bool = False
    # Validation holds out whole identities (people the model never trains on, as search meets
    # them): `val_identities` of the identities with 2+ photos, a fraction (< 1) or a count.
    # "images" holds out `val_split` of each identity's images instead (people it trains on).
    val_mode: str = "identities"
    val_identities: float = 0.25
    val_split: float | None = None  # val_mode "images" only (giving it selects it); None there: 0.25
    # Fewer same-person validation pairs than this and the run is refused: the best epoch and
    # the threshold chosen on them would be noise.
    min_val_pairs: int = 20
    seed: int = 0
    device: str = "auto"
    amp: bool = True  # mixed precision, on CUDA only
    freeze_backbone: bool = True  # train only the backbone's last stages (and the head)
    patience: int = 3  # epochs without validation improvement before stopping; 0 = never stop early
    flip: bool = True
    color_jitter: float = 0.15
    crop_jitter: float = 0.05  # maximum shift, as a fraction of the chip size
    detect_max_side: int = 1024
    min_face_size: int = 20
    min_face_prob: float = 0.9

    @property
    def effective_lr(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.backbone]

    @property
    def effective_val_split(self) -> float:
        return self.val_split if self.val_split is not None else 0.25

    @property
    def effective_embedding_size(self) -> int:
        return resolve_embedding_size(self.backbone, self.embedding_size)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_CHOICES: dict[str, tuple[str, ...]] = {
    "backbone": tuple(BACKBONES),
    "optimizer": ("adamw", "sgd"),
    "val_mode": ("identities", "images"),
}


def _field_types() -> dict[str, str]:
    return {f.name: str(f.type) for f in fields(TrainingConfig)}


def _coerce(key: str, value: Any) -> Any:
    kind = _field_types()[key]
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}.")
        return value
    if kind in {"int", "int | None"}:
        if value is None and kind == "int | None":
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}.")
        return value
    if kind in {"float", "float | None"}:
        if value is None and kind == "float | None":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ConfigError(f"{key} must be a number, got {value!r}.")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string, got {value!r}.")
    return value


def _validate(config: TrainingConfig) -> None:
    for key, choices in _CHOICES.items():
        if getattr(config, key) not in choices:
            raise ConfigError(f"{key} must be one of {', '.join(choices)}, got {getattr(config, key)!r}.")
    positive = ("epochs", "batch_size", "detect_max_side")
    for key in positive:
        if getattr(config, key) < 1:
            raise ConfigError(f"{key} must be at least 1, got {getattr(config, key)}.")
    if config.batch_size < 2:
        raise ConfigError("batch_size must be at least 2 (batch statistics need two samples).")
    if config.lr is not None and config.lr <= 0:
        raise ConfigError(f"lr must be positive, got {config.lr}.")
    for key in ("scale", "head_lr_scale"):
        if getattr(config, key) <= 0:
            raise ConfigError(f"{key} must be positive, got {getattr(config, key)}.")
    for key in ("weight_decay", "warmup_epochs", "color_jitter", "crop_jitter", "momentum"):
        if getattr(config, key) < 0:
            raise ConfigError(f"{key} must not be negative, got {getattr(config, key)}.")
    if not 0.0 <= config.margin < math.pi / 2:
        raise ConfigError(f"margin must be in [0, {math.pi / 2:.4f}) radians, got {config.margin}.")
    if config.val_split is not None:
        if config.val_mode != "images":
            raise ConfigError(
                'val_split is the per-image split\'s fraction: it needs val_mode = "images" '
                "(--val-mode images). The default validation holds out whole identities (val_identities)."
            )
        if not 0.0 < config.val_split < 1.0:
            raise ConfigError(f"val_split must be between 0 and 1 (exclusive), got {config.val_split}.")
    if config.val_identities <= 0 or (config.val_identities >= 1 and not config.val_identities.is_integer()):
        raise ConfigError(
            "val_identities must be a fraction between 0 and 1 or a whole number of identities, "
            f"got {config.val_identities}."
        )
    if config.min_val_pairs < 1:
        raise ConfigError(f"min_val_pairs must be at least 1, got {config.min_val_pairs}.")
    if config.head_warmup_epochs < 0:
        raise ConfigError(f"head_warmup_epochs must not be negative, got {config.head_warmup_epochs}.")
    if config.patience < 0:
        raise ConfigError(f"patience must not be negative, got {config.patience}.")
    if config.crop_jitter >= 0.5 or config.color_jitter >= 1.0:
        raise ConfigError("crop_jitter must be < 0.5 and color_jitter < 1.")
    if not 0.0 <= config.min_face_prob <= 1.0:
        raise ConfigError(f"min_face_prob must be in [0, 1], got {config.min_face_prob}.")
    try:
        config.effective_embedding_size  # noqa: B018
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def read_config_file(path: Path) -> dict[str, Any]:
    """The options of a TOML file: top-level keys, or a `[training]` table."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    if set(data) == {"training"} and isinstance(data["training"], dict):
        data = data["training"]
    return data


def build_config(
    *,
    file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
) -> TrainingConfig:
    """Defaults, updated by `base` (a resumed checkpoint's config), by `file` (TOML), then by
    `overrides` (command-line options; None values are ignored)."""
    known = _field_types()
    values: dict[str, Any] = {}
    sources: list[tuple[str, dict[str, Any]]] = []
    if base is not None:
        sources.append(("checkpoint config", {k: v for k, v in base.items() if k in known}))
    if file is not None:
        sources.append((str(file), read_config_file(file)))
    sources.append(("options", {k: v for k, v in (overrides or {}).items() if v is not None}))
    for source, data in sources:
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(
                f"Unknown option(s) in {source}: {', '.join(unknown)}. Known: {', '.join(sorted(known))}."
            )
        for key, value in data.items():
            values[key] = _coerce(key, value)
    if values.get("val_split") is not None and "val_mode" not in values:
        # A per-image fraction is a request for the per-image split (and checkpoints from before
        # identity-disjoint validation resume with the split they started with).
        values["val_mode"] = "images"
    config = TrainingConfig(**values)
    _validate(config)
    return config
