"""The process-wide face pipeline, built from settings and loaded once, on purpose.

Web server processes load it at start (memory_studio/wsgi.py) and Celery workers when
their process starts (memory_studio/celery.py), both when RECOGNITION_PRELOAD is on;
anything else (management commands, tests, shells) loads it on first use. Importing
this module loads nothing.

Each entry point names its process's role (`set_process_role`); torch's CPU threads are set
for that role (RECOGNITION_THREADS_WEB/WORKER/COMMAND) just before the model first loads,
before torch has run anything in the process.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from recognition.ml.catalog import MODEL_KEYS, is_checkpoint_path

if TYPE_CHECKING:  # torch is imported when a pipeline is built, not with this module (URLs, checks)
    from recognition.ml.pipeline import FacePipeline
    from recognition.ml.threads import ThreadPolicy

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_pipeline: FacePipeline | None = None

PROCESS_ROLES = ("web", "worker", "command")
_role: str | None = None  # None: guessed from the command line (process_role)
_threads_applied: str | None = None  # the role whose thread policy this process runs with


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
    from recognition.ml.detection import FaceDetector
    from recognition.ml.pipeline import FacePipeline
    from recognition.ml.registry import get_embedder

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


def set_process_role(role: str) -> None:
    """What this process is for: "web" (gunicorn, runserver: short inferences for requests,
    and inline indexing when there is no broker), "worker" (Celery: indexing throughput) or
    "command" (the default: management commands, shells, tests)."""
    global _role
    if role not in PROCESS_ROLES:
        raise ValueError(f"Unknown process role {role!r}; use one of {', '.join(PROCESS_ROLES)}.")
    _role = role


def process_role() -> str:
    """The role an entry point set, else "web" for `manage.py runserver` (`make run` serves the
    site with it) and "command" for anything else."""
    if _role is not None:
        return _role
    return "web" if sys.argv[1:2] == ["runserver"] else "command"


def role_threads(role: str) -> int:
    """torch intra-op threads for `role` from settings (0: every core the process may use)."""
    setting = {
        "web": settings.RECOGNITION_THREADS_WEB,
        "worker": settings.RECOGNITION_THREADS_WORKER,
        "command": settings.RECOGNITION_THREADS_COMMAND,
    }[role]
    return int(setting)


def apply_thread_policy() -> ThreadPolicy:
    """Set torch's threads for this process's role (again only if the role changed)."""
    global _threads_applied
    from recognition.ml.threads import current_policy, lower_priority, set_torch_threads

    role = process_role()
    if _threads_applied == role:
        return current_policy()
    policy = set_torch_threads(role_threads(role))
    if role == "worker" and _threads_applied is None:
        nice = lower_priority(settings.RECOGNITION_WORKER_NICE)
    else:
        nice = os.getpriority(os.PRIO_PROCESS, 0)
    _threads_applied = role
    logger.info(
        "Face model threads for a %s process: %d intra-op, %d inter-op, OMP_WAIT_POLICY %s, nice %d",
        role,
        policy.intra_op,
        policy.inter_op,
        policy.wait_policy,
        nice,
    )
    return policy


def get_pipeline() -> FacePipeline:
    """The loaded process-wide pipeline; built and loaded on first call (thread-safe)."""
    global _pipeline
    pipeline = _pipeline
    if pipeline is not None:
        return pipeline
    with _lock:
        if _pipeline is None:
            apply_thread_policy()
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
    if model in MODEL_KEYS or not is_checkpoint_path(model):
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
    configured = settings.RECOGNITION_SEARCH_THRESHOLD  # validated when settings load
    if configured is not None:
        return float(configured)
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
