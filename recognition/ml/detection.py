"""Face detection with facenet-pytorch's MTCNN (P/R/O-net weights ship in its wheel)."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import numpy as np
import torch
from PIL import Image

from recognition.ml.device import resolve_device
from recognition.ml.types import DetectedFace

# MTCNN's smallest window is 12 px at the detection resolution; asking for less only
# upsamples the pyramid (slow) without finding anything new.
_MTCNN_MIN_WINDOW = 12.0
# Border added around an image in which nothing was found: faces that fill or overflow
# the frame are invisible to MTCNN until they have some context around them.
RETRY_PAD_FRACTION = 0.3
_CHUNK = 16


class FaceDetector:
    """MTCNN on a copy scaled to at most `max_side` px, results mapped back to the original.

    `min_face_size` is in original-image pixels (the shorter box side); `min_prob` is the
    O-net probability below which a face is dropped.
    """

    def __init__(
        self,
        *,
        device: str = "cpu",
        max_side: int = 1024,
        min_face_size: int = 20,
        min_prob: float = 0.9,
        pad_retry: bool = True,
    ) -> None:
        self.device = resolve_device(device)
        self.max_side = max_side
        self.min_face_size = min_face_size
        self.min_prob = min_prob
        self.pad_retry = pad_retry
        self._mtcnn: dict[float, Any] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        self._get_mtcnn(float(self.min_face_size))

    def _get_mtcnn(self, min_size: float) -> Any:
        # One MTCNN per distinct detection-resolution minimum size (its pyramid depends on it);
        # they share nothing heavy: the three nets are ~0.5M parameters together.
        key = round(max(min_size, _MTCNN_MIN_WINDOW), 1)
        with self._lock:
            mtcnn = self._mtcnn.get(key)
            if mtcnn is None:
                from facenet_pytorch import MTCNN

                mtcnn = MTCNN(keep_all=True, min_face_size=key, post_process=False, device=self.device)
                mtcnn.eval()
                self._mtcnn[key] = mtcnn
        return mtcnn

    def _scaled(self, image: Image.Image) -> tuple[Image.Image, float]:
        longest = max(image.size)
        if longest <= self.max_side:
            return image, 1.0
        scale = self.max_side / longest
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0), scale

    def predict(self, images: list[Image.Image]) -> list[list[DetectedFace]]:
        """Faces per image (RGB, upright), each list sorted largest first."""
        scaled = [self._scaled(image.convert("RGB") if image.mode != "RGB" else image) for image in images]
        results = self._detect([s for s, _ in scaled], [scale for _, scale in scaled], images)
        if self.pad_retry:
            # Retry on a bordered copy when nothing was found, or when a face touches the frame:
            # MTCNN then misses the face or misplaces its landmarks (measured on tight crops).
            retry = [
                i
                for i, faces in enumerate(results)
                if not faces or any(_touches_border(face, images[i].size, scaled[i][1]) for face in faces)
            ]
            if retry:
                padded = [self._pad(scaled[i][0]) for i in retry]
                retried = self._detect(
                    [p for p, _ in padded],
                    [scaled[i][1] for i in retry],
                    [images[i] for i in retry],
                    offsets=[border for _, border in padded],
                )
                for i, faces in zip(retry, retried, strict=True):
                    if faces:
                        results[i] = faces
        return results

    @staticmethod
    def _pad(image: Image.Image) -> tuple[Image.Image, int]:
        border = max(1, round(RETRY_PAD_FRACTION * max(image.size)))
        canvas = Image.new("RGB", (image.width + 2 * border, image.height + 2 * border))
        canvas.paste(image, (border, border))
        return canvas, border

    def _detect(
        self,
        inputs: list[Image.Image],
        scales: list[float],
        originals: list[Image.Image],
        offsets: list[int] | None = None,
    ) -> list[list[DetectedFace]]:
        results: list[list[DetectedFace]] = [[] for _ in inputs]
        # MTCNN batches only images of equal size and equal pyramid.
        groups: dict[tuple[int, int, float], list[int]] = defaultdict(list)
        for i, (image, scale) in enumerate(zip(inputs, scales, strict=True)):
            groups[(image.width, image.height, scale)].append(i)
        for (width, height, scale), indices in groups.items():
            min_size = max(self.min_face_size * scale, _MTCNN_MIN_WINDOW)
            if min(width, height) < min_size:
                continue  # no face of the minimum size fits (MTCNN's pyramid would be empty)
            mtcnn = self._get_mtcnn(min_size)
            for start in range(0, len(indices), _CHUNK):
                chunk = indices[start : start + _CHUNK]
                arrays = np.stack([np.asarray(inputs[i], dtype=np.uint8) for i in chunk])
                with torch.inference_mode():
                    boxes, probs, points = mtcnn.detect(arrays, landmarks=True)
                for i, b, p, lm in zip(chunk, boxes, probs, points, strict=True):
                    offset = offsets[i] if offsets else 0
                    original = originals[i].size
                    # Per-axis factors: the scaled size was rounded to whole pixels.
                    factors = (
                        (inputs[i].width - 2 * offset) / original[0],
                        (inputs[i].height - 2 * offset) / original[1],
                    )
                    results[i] = self._faces(b, p, lm, factors, offset, original)
        return results

    def _faces(
        self,
        boxes: Any,
        probs: Any,
        points: Any,
        factors: tuple[float, float],
        offset: int,
        size: tuple[int, int],
    ) -> list[DetectedFace]:
        if boxes is None:
            return []
        width, height = size
        faces = []
        for box, prob, landmarks in zip(boxes, probs, points, strict=True):
            if prob is None or float(prob) < self.min_prob:
                continue
            x1, y1, x2, y2 = ((np.asarray(box, dtype=np.float64) - offset) / (factors * 2)).tolist()
            x1, x2 = min(max(x1, 0.0), float(width)), min(max(x2, 0.0), float(width))
            y1, y2 = min(max(y1, 0.0), float(height)), min(max(y2, 0.0), float(height))
            if min(x2 - x1, y2 - y1) < self.min_face_size:
                continue
            marks = (np.asarray(landmarks, dtype=np.float64) - offset) / np.asarray(factors)
            faces.append(
                DetectedFace(
                    box=(x1, y1, x2, y2),
                    score=float(prob),
                    landmarks=tuple((float(x), float(y)) for x, y in marks),
                )
            )
        faces.sort(key=lambda face: face.area, reverse=True)
        return faces


def _touches_border(face: DetectedFace, size: tuple[int, int], scale: float) -> bool:
    """Whether the (clipped) box reaches the image edge, within a detection-resolution pixel."""
    tolerance = 1.0 / scale
    x1, y1, x2, y2 = face.box
    width, height = size
    return x1 <= tolerance or y1 <= tolerance or x2 >= width - tolerance or y2 >= height - tolerance
