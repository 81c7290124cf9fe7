"""Model registry: embedder keys to classes, and checkpoints loaded by path."""

from __future__ import annotations

from pathlib import Path

from recognition.ml.catalog import DLIB_RESNET, is_checkpoint_path, unknown_model_message
from recognition.ml.embedders import (
    DlibResNetEmbedder,
    Embedder,
    FacenetCasiaEmbedder,
    FacenetEmbedder,
    FacenetVggface2Embedder,
)

DEFAULT_MODEL = DLIB_RESNET

_EMBEDDERS: dict[str, type[Embedder]] = {
    cls.key: cls for cls in (DlibResNetEmbedder, FacenetVggface2Embedder, FacenetCasiaEmbedder)
}


__all__ = [
    "DEFAULT_MODEL",
    "UnknownModelError",
    "available_models",
    "embedder_class",
    "get_embedder",
    "is_checkpoint_path",
]


class UnknownModelError(ValueError):
    """The model key is not registered and is not a checkpoint file."""


def available_models() -> list[str]:
    return list(_EMBEDDERS)


def embedder_class(key: str) -> type[Embedder]:
    try:
        return _EMBEDDERS[key]
    except KeyError:
        raise UnknownModelError(unknown_model_message(key)) from None


def get_embedder(
    key_or_path: str,
    *,
    device: str = "cpu",
    weights_dir: Path | None = None,
    tta_flip: bool = False,
) -> Embedder:
    """An unloaded embedder for a registered key or a fine-tuned checkpoint path (call `load()`)."""
    if key_or_path not in _EMBEDDERS and is_checkpoint_path(key_or_path):
        # Lazy: checkpoints pull in training-side code only when one is actually used.
        from recognition.ml.checkpoint import (  # type: ignore[import-not-found,unused-ignore]
            load_checkpoint_embedder,
        )

        embedder: Embedder = load_checkpoint_embedder(key_or_path, device=device, tta_flip=tta_flip)
        return embedder
    cls = embedder_class(key_or_path)
    if issubclass(cls, FacenetEmbedder):
        return cls(device=device, tta_flip=tta_flip, weights_dir=weights_dir)
    return cls(device=device, tta_flip=tta_flip)
