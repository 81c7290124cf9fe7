"""Fine-tuned face models: the checkpoint format written by `train_arcface`, and serving it.

A checkpoint is `torch.save` of a plain dict (tensors, numbers, strings, lists, dicts), so
it loads with `torch.load(weights_only=True)`:

    format: "memory-studio-arcface", version: 1
    backbone: name in recognition.ml.backbones.BACKBONES
    embedding_size: int; input_size: [w, h]; template: [[x, y] * 5]
    normalisation: {"mean": [r, g, b], "std": [r, g, b]}  (x = (pixel - mean) / std)
    threshold: cosine similarity at which two faces are the same person
    identities: number of training identities; config: the training configuration
    metrics: one dict per epoch; dataset_fingerprint: sha256 of the training data
    state_dict: the backbone's weights; head_state_dict, optimizer, ... (training only)
"""

from __future__ import annotations

import hashlib
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from recognition.ml.alignment import AlignmentTemplate
from recognition.ml.backbones import BackboneSpec, backbone_spec, build_backbone
from recognition.ml.embedders import Embedder
from recognition.ml.normalisation import Normalisation

CHECKPOINT_FORMAT = "memory-studio-arcface"
CHECKPOINT_VERSION = 1
# Same-person cosine similarity when a checkpoint records none (ArcFace-trained embeddings).
DEFAULT_THRESHOLD = 0.5


class CheckpointError(ValueError):
    """The file is missing, unreadable, or not a Memory Studio ArcFace checkpoint."""


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def checkpoint_metadata(
    spec: BackboneSpec, *, embedding_size: int, threshold: float | None = None
) -> dict[str, Any]:
    """The serving metadata of a checkpoint for backbone `spec`."""
    return {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "backbone": spec.name,
        "embedding_size": embedding_size,
        "input_size": list(spec.input_size),
        "template": [list(point) for point in spec.template.points],
        "normalisation": {"mean": list(spec.normalisation.mean), "std": list(spec.normalisation.std)},
        "threshold": DEFAULT_THRESHOLD if threshold is None else float(threshold),
    }


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load and validate a checkpoint dict (weights_only); raises CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Checkpoint {path} does not exist.")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a readable PyTorch checkpoint: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} is not a Memory Studio ArcFace checkpoint (written by `manage.py train_arcface`)."
        )
    if data.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: unsupported checkpoint version {data.get('version')!r}.")
    missing = [
        key
        for key in ("backbone", "embedding_size", "input_size", "template", "normalisation", "state_dict")
        if key not in data
    ]
    if missing:
        raise CheckpointError(f"{path}: checkpoint lacks {', '.join(missing)}.")
    return data


def build_network(data: dict[str, Any], *, source: str = "checkpoint") -> nn.Module:
    """The backbone of a checkpoint dict with its weights, in eval mode."""
    try:
        net = build_backbone(data["backbone"], embedding_size=int(data["embedding_size"]), pretrained=False)
        net.load_state_dict(data["state_dict"])
    except (ValueError, RuntimeError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{source}: weights do not fit backbone {data['backbone']!r}: {exc}") from exc
    return net.eval()


def checkpoint_key(path: Path) -> str:
    """The model key of a checkpoint file: `ckpt:<file stem>:<sha256[:12]>` (reads the file, no torch)."""
    return f"ckpt:{path.stem}:{file_sha256(path)[:12]}"


class CheckpointEmbedder(Embedder):
    """Serves a fine-tuned checkpoint: its backbone, template and normalisation.

    The key is `ckpt:<file stem>:<sha256[:12]>`, so embeddings record exactly which file made them.
    Similarity: cosine of L2-normalised vectors (the space ArcFace trains).
    """

    native_metric = "cosine similarity of L2-normalised vectors"

    def __init__(self, path: str | Path, *, device: str = "cpu", tta_flip: bool = False) -> None:
        super().__init__(device=device, tta_flip=tta_flip)
        self.path = Path(path)
        data = read_checkpoint(self.path)
        self.metadata = {k: v for k, v in data.items() if not k.endswith("state_dict") and k != "optimizer"}
        self._state: dict[str, Any] | None = data
        spec = backbone_spec(data["backbone"])
        self.backbone = spec.name
        self.key = checkpoint_key(self.path)
        self.dim = int(data["embedding_size"])
        points = tuple((float(x), float(y)) for x, y in data["template"])
        width, height = (int(v) for v in data["input_size"])
        self.template = AlignmentTemplate(size=(width, height), points=points)
        norm = data["normalisation"]
        self.normalisation = Normalisation(
            mean=tuple(float(v) for v in norm["mean"]),  # type: ignore[arg-type]
            std=tuple(float(v) for v in norm["std"]),  # type: ignore[arg-type]
        )
        self.threshold = float(data.get("threshold", DEFAULT_THRESHOLD))
        self.distance_threshold = float(np.sqrt(max(0.0, 2.0 - 2.0 * self.threshold)))

    def build(self) -> nn.Module:
        if self._state is None:
            self._state = read_checkpoint(self.path)
        net = build_network(self._state, source=str(self.path))
        self._state = None  # the weights now live in the network
        return net


def load_checkpoint_embedder(path: str | Path, *, device: str = "cpu", tta_flip: bool = False) -> Embedder:
    """An unloaded embedder for a `train_arcface` checkpoint (the registry calls this for paths)."""
    return CheckpointEmbedder(path, device=device, tta_flip=tta_flip)
