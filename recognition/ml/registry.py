"""Model registry: embedder keys to classes, and checkpoints loaded by path."""

from __future__ import annotations

from pathlib import Path

from recognition.ml.embedders import (
    DlibResNetEmbedder,
    Embedder,
    FacenetCasiaEmbedder,
    FacenetEmbedder,
    FacenetVggface2Embedder,
)

DEFAULT_MODEL = "dlib-resnet"

_EMBEDDERS: dict[str, type[Embedder]] = {
    cls.key: cls for cls in (DlibResNetEmbedder, FacenetVggface2Embedder, FacenetCasiaEmbedder)
}


class UnknownModelError(ValueError):
    """The model key is not registered and is not a checkpoint file."""


def available_models() -> list[str]:
    return list(_EMBEDDERS)


def embedder_class(key: str) -> type[Embedder]:
    try:
        return _EMBEDDERS[key]
    except KeyError:
        raise UnknownModelError(
            f"Unknown face model {key!r}; use one of {', '.join(_EMBEDDERS)} or the path of a .pt checkpoint."
        ) from None


def is_checkpoint_path(key_or_path: str) -> bool:
    return key_or_path.endswith(".pt") or Path(key_or_path).is_file()


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
