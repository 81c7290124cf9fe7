"""Shared helpers of the People benchmarks: embedded labelled photo folders and result files.

Every photo of a `<person>/<photo>` folder is run through the real pipeline (MTCNN detector,
the chosen embedder); its faces (box, score, vector; largest first) are cached under
`$MEMORY_STUDIO_DATA_DIR/bench-cache/people/<model>/` (default `./var`), keyed by the SHA-256 of
the file and the detector settings, so reruns skip the models entirely.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DETECTOR_SETTINGS = {"max_side": 1024, "min_face_size": 20, "min_prob": 0.9}


def default_faces_dir() -> Path:
    return Path(os.environ.get("MEMORY_STUDIO_FACES_DIR", str(ROOT.parent / "shared" / "faces")))


@dataclass(frozen=True)
class EmbeddedPhoto:
    path: Path
    label: str  # the folder name: the identity of the photo's largest face
    boxes: npt.NDArray[np.float32]  # (f, 4) x1, y1, x2, y2 in original pixels, largest face first
    scores: npt.NDArray[np.float32]  # (f,)
    vectors: npt.NDArray[np.float32]  # (f, d)

    @property
    def sizes(self) -> npt.NDArray[np.float32]:
        """Shorter side of each box."""
        w = self.boxes[:, 2] - self.boxes[:, 0]
        h = self.boxes[:, 3] - self.boxes[:, 1]
        sizes: npt.NDArray[np.float32] = np.minimum(w, h).astype(np.float32)
        return sizes


def _cache_dir(model: str) -> Path:
    data_dir = Path(os.environ.get("MEMORY_STUDIO_DATA_DIR", str(ROOT / "var")))
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    return data_dir / "bench-cache" / "people" / safe


def embed_folder(root: Path, *, model: str = "dlib-resnet", verbose: bool = True) -> list[EmbeddedPhoto]:
    """Every photo of `root/<person>/<photo>` with all its faces, from the cache where possible."""
    from recognition.ml.folders import list_labelled_images

    items = list_labelled_images(root)
    cache = _cache_dir(model)
    cache.mkdir(parents=True, exist_ok=True)
    settings_tag = hashlib.sha256(json.dumps(DETECTOR_SETTINGS, sort_keys=True).encode()).hexdigest()[:8]
    pipeline = None
    photos: list[EmbeddedPhoto] = []
    computed = 0
    began = time.perf_counter()
    for item in items:
        blob = item.path.read_bytes()
        key = hashlib.sha256(blob).hexdigest()
        path = cache / f"{key}-{settings_tag}.npz"
        if path.is_file():
            with np.load(path) as data:
                boxes, scores, vectors = data["boxes"], data["scores"], data["vectors"]
        else:
            if pipeline is None:
                pipeline = _build_pipeline(model)
            boxes, scores, vectors = _embed(pipeline, blob)
            np.savez(path, boxes=boxes, scores=scores, vectors=vectors)
            computed += 1
        photos.append(
            EmbeddedPhoto(
                path=item.path,
                label=item.label,
                boxes=boxes.astype(np.float32),
                scores=scores.astype(np.float32),
                vectors=vectors.astype(np.float32),
            )
        )
    if verbose and computed:
        print(f"embedded {computed} photos of {root} in {time.perf_counter() - began:.1f} s (now cached)")
    return photos


def _build_pipeline(model: str) -> Any:
    from recognition.ml.detection import FaceDetector
    from recognition.ml.pipeline import FacePipeline
    from recognition.ml.registry import get_embedder

    detector = FaceDetector(device="cpu", **DETECTOR_SETTINGS)  # type: ignore[arg-type]
    pipeline = FacePipeline(detector, get_embedder(model, device="cpu"))
    pipeline.load()
    return pipeline


def _embed(
    pipeline: Any, source: Any
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Boxes, scores and vectors of every face of `source` (file bytes or a PIL image)."""
    from recognition.ml.images import load_rgb

    faces = pipeline.predict([load_rgb(source)])[0]
    dim = pipeline.embedder.dim
    boxes = np.array([f.face.box for f in faces], dtype=np.float32).reshape(-1, 4)
    scores = np.array([f.face.score for f in faces], dtype=np.float32)
    vectors = np.array([f.vector for f in faces], dtype=np.float32).reshape(-1, dim)
    return boxes, scores, vectors


def environment() -> dict[str, Any]:
    """Commit, CPU, threads and load: what a reader needs to compare two result files."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    # OpenBLAS uses every core unless one of these limits it.
    blas_threads = {
        name: os.environ[name]
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
        if name in os.environ
    } or "all cores"
    return {
        "commit": commit,
        "dirty": dirty,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "blas_threads": blas_threads,
        "load_average": list(os.getloadavg()),
        "reference_gemm_gflops": reference_gflops(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
    }


def reference_gflops() -> float:
    """float32 matrix-product speed right now (best of 5): on a shared machine, timings of the
    same code scale with it (a similar product ran at ~120 when this machine was idle)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((512, 128), dtype=np.float32)
    b = rng.standard_normal((20_000, 128), dtype=np.float32)
    best = math.inf
    for _ in range(5):
        began = time.perf_counter()
        a @ b.T
        best = min(best, time.perf_counter() - began)
    return 2 * 512 * 20_000 * 128 / best / 1e9


def write_result(name: str, figures: dict[str, Any]) -> Path:
    """bench/results/<name>.json: the environment (load average now, at the end) and figures."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    data = {"benchmark": name, "environment": environment(), **figures}
    path.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n", encoding="utf-8")
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def contingency_metrics(labels: npt.NDArray[np.int64], truth: npt.NDArray[np.int64]) -> dict[str, float]:
    """Pairwise and BCubed precision/recall of `labels` (-1: unclustered, each its own
    singleton) against integer identities `truth`, from the cluster x identity table (fast)."""
    n = len(labels)
    cluster = np.where(labels >= 0, labels, labels.max(initial=-1) + 1 + np.arange(n))
    _, c = np.unique(cluster, return_inverse=True)
    _, t = np.unique(truth, return_inverse=True)
    _cells, cell_of, n_ct = np.unique(c * (t.max() + 1) + t, return_inverse=True, return_counts=True)
    n_c = np.bincount(c)
    n_t = np.bincount(t)

    def pairs(x: npt.NDArray[np.int64]) -> float:
        return float((x.astype(np.float64) * (x - 1) / 2).sum())

    same_cluster, same_truth, both = pairs(n_c), pairs(n_t), pairs(n_ct)
    per_face_both = n_ct[cell_of].astype(np.float64)
    bp = float((per_face_both / n_c[c]).mean())
    br = float((per_face_both / n_t[t]).mean())
    return {
        "pairwise_precision": both / same_cluster if same_cluster else 1.0,
        "pairwise_recall": both / same_truth if same_truth else 1.0,
        "bcubed_precision": bp,
        "bcubed_recall": br,
        "bcubed_f": 2 * bp * br / (bp + br),
    }


@dataclass(frozen=True)
class ScaledFace:
    photo: EmbeddedPhoto
    target: int  # the shorter side the largest face was scaled to, px
    vector: npt.NDArray[np.float32] | None  # None: no face found at that size
    score: float
    size: float  # shorter side of the face found


def embed_scaled(
    photos: list[EmbeddedPhoto], targets: list[int], *, model: str = "dlib-resnet", min_size: float = 80.0
) -> list[ScaledFace]:
    """The largest face of each photo again, after scaling the photo down so that the face's
    shorter side is `target` px (photos whose face is under `min_size` px are left out)."""
    from PIL import Image

    from recognition.ml.images import load_rgb

    cache = _cache_dir(model) / "scaled"
    cache.mkdir(parents=True, exist_ok=True)
    pipeline = None
    out: list[ScaledFace] = []
    for photo in photos:
        if not len(photo.scores) or photo.sizes[0] < min_size:
            continue
        blob = photo.path.read_bytes()
        key = hashlib.sha256(blob).hexdigest()
        for target in targets:
            path = cache / f"{key}-{target}.npz"
            if not path.is_file():
                if pipeline is None:
                    pipeline = _build_pipeline(model)
                image = load_rgb(blob)
                scale = target / float(photo.sizes[0])
                small = image.resize(
                    (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                    Image.Resampling.LANCZOS,
                )
                boxes, scores, vectors = _embed(pipeline, small)
                np.savez(path, boxes=boxes / scale, scores=scores, vectors=vectors, scale=scale)
            with np.load(path) as data:
                boxes, scores, vectors = data["boxes"], data["scores"], data["vectors"]
            match = _same_face(photo.boxes[0], boxes)
            if match is None:
                out.append(ScaledFace(photo, target, None, 0.0, 0.0))
            else:
                w, h = boxes[match, 2] - boxes[match, 0], boxes[match, 3] - boxes[match, 1]
                scale = target / float(photo.sizes[0])
                out.append(
                    ScaledFace(
                        photo,
                        target,
                        vectors[match].astype(np.float32),
                        float(scores[match]),
                        float(min(w, h) * scale),
                    )
                )
    return out


def _same_face(box: npt.NDArray[np.float32], boxes: npt.NDArray[np.float32]) -> int | None:
    """The box (in original pixels) overlapping `box` most, if their IoU is >= 0.3."""
    if not len(boxes):
        return None
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    iou = inter / (area + areas - inter)
    best = int(np.argmax(iou))
    return best if iou[best] >= 0.3 else None
