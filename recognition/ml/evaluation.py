"""Evaluate a pipeline on a folder of `<person>/<image>` files (the training-data layout)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recognition.ml.folders import list_labelled_images
from recognition.ml.images import ImageDecodeError, load_rgb
from recognition.ml.metrics import EvaluationReport, evaluate_embeddings
from recognition.ml.pipeline import FacePipeline
from recognition.ml.prominence import most_prominent_face


@dataclass
class FolderEvaluation:
    model: str
    device: str
    tta_flip: bool
    images: int  # image files read
    faces: int  # images in which a face was found (the one the photo is about is evaluated)
    identities: int
    report: EvaluationReport | None  # None when fewer than two faces were found
    images_without_face: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    decode_seconds: float = 0.0
    detect_seconds: float = 0.0
    embed_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        report = data.pop("report") or {}
        # NaN (e.g. AUC with one identity) is not JSON: report it as null.
        data.update({k: None if isinstance(v, float) and math.isnan(v) else v for k, v in report.items()})
        data["images"] = self.images
        data["identities"] = self.identities
        data["timing"] = {
            "decode_s_per_image": self.decode_seconds / max(self.images, 1),
            "detect_s_per_image": self.detect_seconds / max(self.images, 1),
            "embed_s_per_face": self.embed_seconds / max(self.faces, 1),
        }
        return data


def evaluate_folder(
    pipeline: FacePipeline,
    root: Path,
    *,
    threshold: float | None = None,
    progress: Callable[[int], object] | None = None,
) -> FolderEvaluation:
    """Detect the face every image is about (`prominence.most_prominent_face`), embed it, and
    compute the metrics.

    `threshold` (cosine similarity) defaults to the embedder's own.
    """
    items = list_labelled_images(root)
    pipeline.load()
    embedder = pipeline.embedder
    result = FolderEvaluation(
        model=embedder.key,
        device=embedder.device,
        tta_flip=embedder.tta_flip,
        images=0,
        faces=0,
        identities=len({item.label for item in items}),
        report=None,
    )
    chips: list[np.ndarray] = []
    labels: list[str] = []
    for start in range(0, len(items), pipeline.batch_size):
        batch = items[start : start + pipeline.batch_size]
        images, kept = [], []
        began = time.perf_counter()
        for item in batch:
            try:
                images.append(load_rgb(item.path.read_bytes()))
                kept.append(item)
            except ImageDecodeError:
                result.unreadable.append(str(item.path.relative_to(root)))
        result.decode_seconds += time.perf_counter() - began
        result.images += len(images)
        began = time.perf_counter()
        found = pipeline.detect(images)
        for item, image, faces in zip(kept, images, found, strict=True):
            if faces:
                chosen = faces[most_prominent_face(faces, image.size)]
                chips.append(pipeline.align(image, [chosen])[0])
                labels.append(item.label)
            else:
                result.images_without_face.append(str(item.path.relative_to(root)))
        result.detect_seconds += time.perf_counter() - began
        if progress is not None:
            progress(len(batch))
    result.faces = len(chips)
    if chips:
        began = time.perf_counter()
        vectors = embedder.predict(np.stack(chips))
        result.embed_seconds = time.perf_counter() - began
        if len(vectors) >= 2:
            result.report = evaluate_embeddings(
                vectors, labels, threshold=embedder.threshold if threshold is None else threshold
            )
    return result
