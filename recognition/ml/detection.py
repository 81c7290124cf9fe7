"""Face detection with facenet-pytorch's MTCNN (P/R/O-net weights ship in its wheel)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from recognition.ml.device import resolve_device
from recognition.ml.types import DetectedFace

# MTCNN's smallest window is 12 px at the detection resolution; asking for less only
# upsamples the pyramid (slow) without finding anything new.
_MTCNN_MIN_WINDOW = 12.0
# Default smallest face searched at the detection resolution (MTCNN's own default). Each
# step down towards 12 px roughly doubles the P-net pyramid; 20 px at <= 1024 px still finds
# faces of 2% of the photo's longest side, which become ~80 px in a 4000 px original.
DEFAULT_MIN_DETECT_SIZE = 20.0
# Default minimum O-net probability. Measured on real photos without people
# (scripts/build_noface_set.py, bench/false_faces.py): MTCNN's false faces on objects and
# animals score 0.91-0.93, real faces 0.98 and more except a few blurred background faces.
DEFAULT_MIN_PROB = 0.95
# Faces found by a retry need less: the bordered retry looks only for a face that fills the
# frame, and the context retry only re-places a face already found. A face cut by the frame
# on every side scores ~0.94 inside the border.
DEFAULT_RETRY_MIN_PROB = 0.9
# Border added around an image in which nothing was found: faces that fill or overflow
# the frame are invisible to MTCNN until they have some context around them.
RETRY_PAD_FRACTION = 0.3
# The bordered retry looks only for faces at least this fraction of the image's shorter
# side: the faces that fill the frame, which are all it is for. Its detection pyramid then
# starts at a few dozen pixels instead of 1.6 times the image, and it no longer finds
# small "faces" in the landscape next to the border.
RETRY_MIN_FACE_FRACTION = 0.4
# Context added on each side of a face that touches the frame, as a fraction of its size,
# before detecting it again (MTCNN misplaces the landmarks of cut-off faces).
REFINE_CONTEXT = 0.5
_CHUNK = 16


@dataclass(frozen=True)
class _Job:
    """One MTCNN input: `image` shows the scaled original shifted by `origin` (detection px)."""

    image: Image.Image
    origin: tuple[float, float]  # where image pixel (0, 0) lies in the scaled original
    factors: tuple[float, float]  # scaled / original, per axis
    size: tuple[int, int]  # original size
    scale: float
    min_size: float = 0.0  # smallest face searched, detection px (besides the detector's own)


class FaceDetector:
    """MTCNN on a copy scaled to at most `max_side` px, results mapped back to the original.

    `min_face_size` is in original-image pixels (the shorter box side); `min_prob` is the
    O-net probability below which a face is dropped (`retry_min_prob` for faces found by a
    retry). `min_detect_size` is the smallest face searched at the detection resolution
    (>= 12): on images scaled down to `max_side`, faces smaller than `min_detect_size / scale`
    original pixels are not found.

    With `pad_retry`, an image without faces is searched again with a black border around it
    for faces at least `retry_min_face_fraction` of its shorter side (faces that fill or
    overflow the frame), and a face touching the frame is searched again in a bordered crop
    around it.
    `channels_last` runs the three nets in channels-last memory layout (faster on CPU, same
    faces). `stage_seconds` adds up the wall time of each stage, for benchmarks.
    """

    def __init__(
        self,
        *,
        device: str = "cpu",
        max_side: int = 1024,
        min_face_size: int = 20,
        min_prob: float = DEFAULT_MIN_PROB,
        pad_retry: bool = True,
        min_detect_size: float = DEFAULT_MIN_DETECT_SIZE,
        retry_min_prob: float = DEFAULT_RETRY_MIN_PROB,
        retry_min_face_fraction: float = RETRY_MIN_FACE_FRACTION,
        channels_last: bool = True,
    ) -> None:
        self.device = resolve_device(device)
        self.max_side = max_side
        self.min_face_size = min_face_size
        self.min_prob = min_prob
        self.pad_retry = pad_retry
        self.min_detect_size = max(float(min_detect_size), _MTCNN_MIN_WINDOW)
        self.retry_min_prob = retry_min_prob
        self.retry_min_face_fraction = retry_min_face_fraction
        self.channels_last = channels_last
        self.stage_seconds: dict[str, float] = defaultdict(float)
        self._mtcnn: dict[float, Any] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        self._get_mtcnn(max(float(self.min_face_size), self.min_detect_size))

    def _get_mtcnn(self, min_size: float) -> Any:
        # One MTCNN per distinct detection-resolution minimum size (its pyramid depends on it);
        # each holds its own copy of the three small nets (~0.5M parameters together).
        key = round(max(min_size, _MTCNN_MIN_WINDOW), 1)
        with self._lock:
            mtcnn = self._mtcnn.get(key)
            if mtcnn is None:
                from facenet_pytorch import MTCNN

                mtcnn = MTCNN(keep_all=True, min_face_size=key, post_process=False, device=self.device)
                mtcnn.eval()
                if self.channels_last:
                    for net in (mtcnn.pnet, mtcnn.rnet, mtcnn.onet):
                        net.to(memory_format=torch.channels_last)
                self._mtcnn[key] = mtcnn
        return mtcnn

    def _job(self, image: Image.Image) -> _Job:
        if image.mode != "RGB":
            image = image.convert("RGB")
        longest = max(image.size)
        if longest <= self.max_side:
            return _Job(image, (0.0, 0.0), (1.0, 1.0), image.size, 1.0)
        scale = self.max_side / longest
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        scaled = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
        # Per-axis factors: the scaled size was rounded to whole pixels.
        return _Job(scaled, (0.0, 0.0), (size[0] / image.width, size[1] / image.height), image.size, scale)

    @contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds[stage] += time.perf_counter() - began

    def predict(self, images: list[Image.Image]) -> list[list[DetectedFace]]:
        """Faces per image (RGB, upright), each list sorted largest first."""
        jobs = [self._job(image) for image in images]
        with self._timed("detect"):
            results = self._run(jobs, self.min_prob)
        if not self.pad_retry:
            return results
        retry_jobs: list[_Job] = []
        retry_for: list[tuple[int, int | None]] = []  # (image index, face index or None = whole image)
        for i, (job, faces) in enumerate(zip(jobs, results, strict=True)):
            if not faces:
                retry_jobs.append(_padded(job, self.retry_min_face_fraction))
                retry_for.append((i, None))
            for k, face in enumerate(faces):
                if _touches_border(face, job):
                    retry_jobs.append(_context_crop(job, face))
                    retry_for.append((i, k))
        if not retry_jobs:
            return results
        with self._timed("retry"):
            found_again = self._run(retry_jobs, min(self.min_prob, self.retry_min_prob))
        for (i, which), found in zip(retry_for, found_again, strict=True):
            if which is None:
                results[i] = found
            elif found:
                # The face of the bordered crop that is this face, if MTCNN agrees it is one.
                overlaps = [_iou(candidate.box, results[i][which].box) for candidate in found]
                best = int(np.argmax(overlaps))
                if overlaps[best] > 0.3:
                    results[i][which] = found[best]
        for faces in results:
            faces.sort(key=lambda face: face.area, reverse=True)
        return results

    def _run(self, jobs: list[_Job], min_prob: float) -> list[list[DetectedFace]]:
        results: list[list[DetectedFace]] = [[] for _ in jobs]
        # MTCNN batches only images of equal size and equal pyramid.
        groups: dict[tuple[int, int, float], list[int]] = defaultdict(list)
        for i, job in enumerate(jobs):
            min_size = max(self.min_face_size * job.scale, self.min_detect_size, job.min_size)
            groups[(job.image.width, job.image.height, round(min_size, 1))].append(i)
        for (width, height, min_size), indices in groups.items():
            if min(width, height) < min_size:
                continue  # no face of the minimum size fits (MTCNN's pyramid would be empty)
            mtcnn = self._get_mtcnn(min_size)
            for start in range(0, len(indices), _CHUNK):
                chunk = indices[start : start + _CHUNK]
                arrays = np.stack([np.asarray(jobs[i].image, dtype=np.uint8) for i in chunk])
                with torch.inference_mode():
                    boxes, probs, points = mtcnn.detect(arrays, landmarks=True)
                for i, b, p, lm in zip(chunk, boxes, probs, points, strict=True):
                    results[i] = self._faces(b, p, lm, jobs[i], min_prob)
        return results

    def _faces(self, boxes: Any, probs: Any, points: Any, job: _Job, min_prob: float) -> list[DetectedFace]:
        if boxes is None:
            return []
        width, height = job.size
        shift = np.asarray(job.origin, dtype=np.float64)
        factors = np.asarray(job.factors, dtype=np.float64)
        faces = []
        for box, prob, landmarks in zip(boxes, probs, points, strict=True):
            if prob is None or float(prob) < min_prob:
                continue
            corners = (np.asarray(box, dtype=np.float64).reshape(2, 2) + shift) / factors
            x1, x2 = np.clip(corners[:, 0], 0.0, float(width)).tolist()
            y1, y2 = np.clip(corners[:, 1], 0.0, float(height)).tolist()
            if min(x2 - x1, y2 - y1) < self.min_face_size:
                continue
            marks = (np.asarray(landmarks, dtype=np.float64) + shift) / factors
            faces.append(
                DetectedFace(
                    box=(x1, y1, x2, y2),
                    score=float(prob),
                    landmarks=tuple((float(x), float(y)) for x, y in marks),
                )
            )
        faces.sort(key=lambda face: face.area, reverse=True)
        return faces


def _padded(job: _Job, min_face_fraction: float) -> _Job:
    """The whole (scaled) image inside a black border, searched for faces at least
    `min_face_fraction` of its shorter side."""
    border = max(1, round(RETRY_PAD_FRACTION * max(job.image.size)))
    canvas = Image.new("RGB", (job.image.width + 2 * border, job.image.height + 2 * border))
    canvas.paste(job.image, (border, border))
    min_size = min_face_fraction * min(job.image.size)
    return _Job(canvas, (-border, -border), job.factors, job.size, job.scale, min_size)


def _context_crop(job: _Job, face: DetectedFace) -> _Job:
    """A crop around `face` with REFINE_CONTEXT of its size on every side, black outside the image."""
    fx, fy = job.factors
    x1, y1, x2, y2 = face.box[0] * fx, face.box[1] * fy, face.box[2] * fx, face.box[3] * fy
    margin = REFINE_CONTEXT * max(x2 - x1, y2 - y1)
    left, top = round(x1 - margin), round(y1 - margin)
    right, bottom = round(x2 + margin), round(y2 + margin)
    # Pillow fills the part of a crop box outside the image with black.
    return _Job(job.image.crop((left, top, right, bottom)), (left, top), job.factors, job.size, job.scale)


def _touches_border(face: DetectedFace, job: _Job) -> bool:
    """Whether the (clipped) box reaches the image edge, within a detection-resolution pixel."""
    tolerance = 1.0 / job.scale
    x1, y1, x2, y2 = face.box
    width, height = job.size
    return x1 <= tolerance or y1 <= tolerance or x2 >= width - tolerance or y2 >= height - tolerance


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
