"""The face models by name and where their weights are, without importing torch: system checks
run for every management command and must stay cheap (the registry builds the embedders)."""

from __future__ import annotations

from pathlib import Path

import face_recognition_models

DLIB_RESNET = "dlib-resnet"
FACENET_MODELS = ("facenet-vggface2", "facenet-casia-webface")
MODEL_KEYS = (DLIB_RESNET, *FACENET_MODELS)

DLIB_MODEL_PATH = (
    Path(face_recognition_models.__file__).resolve().parent
    / "models"
    / "dlib_face_recognition_resnet_model_v1.dat"
)


def is_checkpoint_path(key_or_path: str) -> bool:
    return key_or_path.endswith(".pt") or Path(key_or_path).is_file()


def unknown_model_message(key: str) -> str:
    return f"Unknown face model {key!r}; use one of {', '.join(MODEL_KEYS)} or the path of a .pt checkpoint."
