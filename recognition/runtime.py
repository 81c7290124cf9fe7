"""The process-wide face pipeline, built from settings and loaded once, on purpose.

Web server processes load it at start (memory_studio/wsgi.py) and Celery workers when
their process starts (memory_studio/celery.py), both when RECOGNITION_PRELOAD is on;
anything else (management commands, tests, shells) loads it on first use. Importing
this module loads nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from recognition.ml.detection import FaceDetector
from recognition.ml.pipeline import FacePipeline
from recognition.ml.registry import available_models, get_embedder, is_checkpoint_path

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_pipeline: FacePipeline | None = None


class RecognitionUnavailableError(RuntimeError):
    """The configured face model cannot be built or loaded; the message says why."""


@dataclass(frozen=True)
class RecognitionConfig:
    model: str
    device: str
    weights_dir: Path
    detect_max_side: int
    min_face_size: int
    min_face_prob: float
    tta_flip: bool
    batch_size: int

    @classmethod
    def from_settings(cls) -> RecognitionConfig:
        return cls(
            model=settings.RECOGNITION_MODEL,
            device=settings.RECOGNITION_DEVICE,
            weights_dir=Path(settings.RECOGNITION_WEIGHTS_DIR),
            detect_max_side=settings.RECOGNITION_DETECT_MAX_SIDE,
            min_face_size=settings.RECOGNITION_MIN_FACE_SIZE,
            min_face_prob=settings.RECOGNITION_MIN_FACE_PROB,
            tta_flip=settings.RECOGNITION_TTA_FLIP,
            batch_size=settings.RECOGNITION_BATCH_SIZE,
        )


def build_pipeline(config: RecognitionConfig | None = None, *, model: str | None = None) -> FacePipeline:
    """A new, unloaded pipeline from settings (or `config`); `model` overrides the embedder."""
    config = config or RecognitionConfig.from_settings()
    try:
        detector = FaceDetector(
            device=config.device,
            max_side=config.detect_max_side,
            min_face_size=config.min_face_size,
            min_prob=config.min_face_prob,
        )
        embedder = get_embedder(
            model or config.model,
            device=config.device,
            weights_dir=config.weights_dir,
            tta_flip=config.tta_flip,
        )
    except (ValueError, OSError) as exc:
        raise RecognitionUnavailableError(f"Face recognition is not available: {exc}") from exc
    embedder.batch_size = config.batch_size
    return FacePipeline(detector, embedder, batch_size=config.batch_size)


def get_pipeline() -> FacePipeline:
    """The loaded process-wide pipeline; built and loaded on first call (thread-safe)."""
    global _pipeline
    pipeline = _pipeline
    if pipeline is not None:
        return pipeline
    with _lock:
        if _pipeline is None:
            began = time.perf_counter()
            candidate = build_pipeline()
            try:
                candidate.load()
            except (OSError, ValueError, RuntimeError) as exc:
                raise RecognitionUnavailableError(
                    f"Face model {settings.RECOGNITION_MODEL!r} could not be loaded: {exc}"
                ) from exc
            logger.info(
                "Face pipeline %s loaded on %s in %.1f s",
                candidate.model_key,
                candidate.embedder.device,
                time.perf_counter() - began,
            )
            _pipeline = candidate
        return _pipeline


def current_pipeline() -> FacePipeline | None:
    """The pipeline if this process has loaded it, without loading anything."""
    return _pipeline


_key_cache: dict[tuple[str, int, int], str] = {}


def active_model_key() -> str:
    """The key of the model whose faces are searched and grouped, without loading the model.

    A registered model's key is its name; a checkpoint's key hashes the file (cached by its
    size and modification time, so replacing the file changes the key).
    """
    pipeline = _pipeline
    if pipeline is not None:
        return pipeline.model_key
    model = settings.RECOGNITION_MODEL
    if model in available_models() or not is_checkpoint_path(model):
        return model
    path = Path(model)
    try:
        stat = path.stat()
    except OSError as exc:
        raise RecognitionUnavailableError(f"Face model {model!r} cannot be read: {exc}") from exc
    cache_key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    key = _key_cache.get(cache_key)
    if key is None:
        from recognition.ml.checkpoint import checkpoint_key

        key = _key_cache[cache_key] = checkpoint_key(path)
    return key


def preload() -> FacePipeline | None:
    """Load the pipeline now (process start). A failure is logged, not raised: the gallery
    keeps working and face features report the error when used."""
    try:
        return get_pipeline()
    except RecognitionUnavailableError:
        logger.exception("Face recognition preload failed")
        return None


def search_threshold(pipeline: FacePipeline | None = None) -> float:
    """Minimum cosine similarity of a search match: RECOGNITION_SEARCH_THRESHOLD, else the
    model's own (`pipeline`'s, else this process's, built without loading if need be)."""
    raw = settings.RECOGNITION_SEARCH_THRESHOLD
    if raw is not None:
        try:
            value = float(raw)
        except ValueError:
            raise ImproperlyConfigured(f"RECOGNITION_SEARCH_THRESHOLD={raw!r} is not a number.") from None
        if not -1.0 <= value <= 1.0:
            raise ImproperlyConfigured(
                f"RECOGNITION_SEARCH_THRESHOLD={value} is not a cosine similarity in [-1, 1]."
            )
        return value
    pipeline = pipeline or _pipeline
    if pipeline is not None:
        return pipeline.embedder.search_threshold
    # Reading the threshold never needs the network: the embedder is built but not loaded.
    return build_pipeline().embedder.search_threshold


def reset_pipeline() -> None:
    """Forget the loaded pipeline (tests, or after changing settings)."""
    global _pipeline
    with _lock:
        _pipeline = None
