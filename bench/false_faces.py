"""False faces on photos without people, faces kept on photos with them, before and after.

    python scripts/build_noface_set.py      # once: the no-face set, outside git
    python bench/false_faces.py [--faces-dir ../shared/faces] [--noface-dir var/datasets/noface]
                                [--json bench/results/false_faces.json] [--skip-eval]
    python bench/false_faces.py --timing-only 40 --json bench/results/false_faces_timing.json

Detectors compared (batch 1, CPU threads as torch sets them):
- `before`: the detector as it was: minimum O-net probability 0.9, the bordered retry
  looking for faces of any size, nets in contiguous (NCHW) layout;
- `channels_last`: `before` with the nets in channels-last layout (same faces, faster);
- `after`: today's defaults (FaceDetector()).

For each: per set the photos, photos with a face, faces, the false faces (every face on the
no-face set is one), per-stage seconds; on the face set `evaluate_faces`' ROC-AUC and rank-1.
Then what the choices rest on: how well each candidate signal separates MTCNN's candidates
on the two sets (ROC-AUC, face set = positive), the false faces and lost faces per minimum
probability, and the tight crops (cut from the face photos) that the bordered retry rescues
for each smallest face it looks for.
Django-free; writes JSON with the commit, CPU model, torch threads and load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, this file's folder would shadow the `recognition` package: use the repo root.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from recognition.ml.alignment import align_face  # noqa: E402
from recognition.ml.detection import RETRY_MIN_FACE_FRACTION, FaceDetector  # noqa: E402
from recognition.ml.embedders import DlibResNetEmbedder  # noqa: E402
from recognition.ml.evaluation import evaluate_folder  # noqa: E402
from recognition.ml.images import load_rgb  # noqa: E402
from recognition.ml.pipeline import FacePipeline  # noqa: E402
from recognition.ml.types import DetectedFace  # noqa: E402

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
DETECTORS: dict[str, Callable[[], FaceDetector]] = {
    "before": lambda: FaceDetector(min_prob=0.9, retry_min_face_fraction=0.0, channels_last=False),
    "channels_last": lambda: FaceDetector(min_prob=0.9, retry_min_face_fraction=0.0, channels_last=True),
    "after": lambda: FaceDetector(),
}
PROB_CUTS = (0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98)
RETRY_FRACTIONS = (0.0, RETRY_MIN_FACE_FRACTION)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if dirty:
            commit += "-dirty"
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "commit": commit,
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "load_average_start": list(os.getloadavg()),
    }


def auc(positive: list[float], negative: list[float]) -> float | None:
    """P(a positive scores above a negative), ties half."""
    if not positive or not negative:
        return None
    p = np.asarray(positive)[:, None]
    n = np.asarray(negative)[None, :]
    return float((p > n).mean() + 0.5 * (p == n).mean())


def geometry(face: DetectedFace) -> dict[str, float]:
    """Landmark geometry in units of the eye distance, along and across the eye line."""
    marks = np.asarray(face.landmarks, dtype=np.float64)
    left, right, nose, mouth_left, mouth_right = marks
    eye_distance = max(float(np.linalg.norm(right - left)), 1e-6)
    along = (right - left) / eye_distance
    across = np.array([-along[1], along[0]])
    middle = (left + right) / 2

    def local(point: np.ndarray) -> np.ndarray:
        offset = point - middle
        return np.array([offset @ along, offset @ across]) / eye_distance

    points = np.array([local(p) for p in marks])
    # A frontal face: eyes at (-/+0.5, 0), nose tip (0, 0.55), mouth corners (-/+0.4, 1.05).
    template = np.array([[-0.5, 0.0], [0.5, 0.0], [0.0, 0.55], [-0.4, 1.05], [0.4, 1.05]])
    mouth = local((mouth_left + mouth_right) / 2)
    return {
        "eye_distance_per_width": eye_distance / max(face.width, 1e-6),
        "nose_off_centre": abs(float(local(nose)[0])),
        "mouth_below_eyes": float(mouth[1]),
        "eye_line_tilt_deg": abs(float(np.degrees(np.arctan2(along[1], along[0])))),
        "template_misfit": float(np.abs(points - template).max()),
    }


def photos(folder: Path, nested: bool) -> list[Path]:
    pattern = "*/*" if nested else "*"
    return sorted(p for p in folder.glob(pattern) if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)


def run_detector(detector: FaceDetector, images: dict[str, Image.Image]) -> dict[str, Any]:
    detector.stage_seconds.clear()
    began = time.perf_counter()
    found = {name: detector.predict([image])[0] for name, image in images.items()}
    seconds = time.perf_counter() - began
    return {
        "photos": len(images),
        "photos_with_faces": sum(1 for faces in found.values() if faces),
        "faces": sum(len(faces) for faces in found.values()),
        "seconds": seconds,
        "ms_per_photo": 1000 * seconds / max(len(images), 1),
        "stage_seconds": dict(detector.stage_seconds),
        "found": found,
    }


def identical(a: dict[str, list[DetectedFace]], b: dict[str, list[DetectedFace]]) -> dict[str, Any]:
    same_count = all(len(a[k]) == len(b[k]) for k in a)
    box = landmark = score = 0.0
    for k in a:
        for fa, fb in zip(a[k], b[k], strict=False):
            box = max(box, float(np.abs(np.subtract(fa.box, fb.box)).max()))
            landmark = max(landmark, float(np.abs(np.subtract(fa.landmarks, fb.landmarks)).max()))
            score = max(score, abs(fa.score - fb.score))
    return {
        "same_face_counts": same_count,
        "max_box_diff_px": box,
        "max_landmark_diff_px": landmark,
        "max_score_diff": score,
    }


def tight_crops(
    images: dict[str, Image.Image], found: dict[str, list[DetectedFace]]
) -> dict[str, Image.Image]:
    """Crops that cut into each photo's largest face (insets of its box, shifted sideways)."""
    crops = {}
    for name, image in images.items():
        if not found[name]:
            continue
        x1, y1, x2, y2 = found[name][0].box
        w, h = x2 - x1, y2 - y1
        for inset in (0.1, 0.2):
            for shift in (0.0,):
                box = (x1 + (inset + shift) * w, y1 + inset * h, x2 - (inset - shift) * w, y2 - inset * h)
                left, top, right, bottom = (round(v) for v in box)
                crops[f"{name}@{inset}/{shift}"] = image.crop((left, top, right, bottom))
    return crops


def separation(
    faces: dict[str, Image.Image], noface: dict[str, Image.Image], embedder: DlibResNetEmbedder
) -> dict[str, Any]:
    """Every first-pass MTCNN candidate (O-net >= 0.7) on both sets, and what tells them apart."""
    candidates = FaceDetector(min_prob=0.7, pad_retry=False)
    rows: dict[str, list[dict[str, float]]] = {"faces": [], "noface": []}
    largest: list[float] = []
    for label, images in (("faces", faces), ("noface", noface)):
        for image in images.values():
            job_scale = min(1.0, candidates.max_side / max(image.size))
            found = candidates.predict([image])[0]
            if label == "faces" and found:
                largest.append(found[0].score)
            if not found:
                continue
            chips = np.stack([align_face(image, f.landmarks, embedder.template) for f in found])
            norms = np.linalg.norm(embedder.descriptors(chips), axis=1)
            for face, norm in zip(found, norms, strict=True):
                rows[label].append(
                    {
                        "onet_probability": face.score,
                        "size_at_detection_px": min(face.width, face.height) * job_scale,
                        "size_per_image_side": min(face.width, face.height) / max(image.size),
                        **geometry(face),
                        "dlib_descriptor_norm": float(norm),
                    }
                )
    signals = {}
    for key in rows["faces"][0]:
        positive = [r[key] for r in rows["faces"]]
        negative = [r[key] for r in rows["noface"]]
        area = auc(positive, negative)
        signals[key] = {
            "auc": area,
            # Lower-is-face signals separate as well as 1 - AUC: report the better direction.
            "separation": None if area is None else max(area, 1 - area),
            "faces_median": float(np.median(positive)),
            "noface_median": float(np.median(negative)) if negative else None,
        }
    probs_no = np.array([r["onet_probability"] for r in rows["noface"]])
    cuts = {
        str(cut): {
            "noface_candidates_kept": int((probs_no >= cut).sum()),
            "face_photos_whose_largest_face_is_lost": int((np.array(largest) < cut).sum()),
            "face_set_candidates_dropped": int(
                sum(1 for r in rows["faces"] if 0.9 <= r["onet_probability"] < cut)
            ),
        }
        for cut in PROB_CUTS
    }
    return {
        "candidates": {k: len(v) for k, v in rows.items()},
        "signals": dict(sorted(signals.items(), key=lambda kv: -(kv[1]["separation"] or 0))),
        "by_min_probability": cuts,
    }


def bordered_retry(faces: dict[str, Image.Image], found: dict[str, list[DetectedFace]]) -> dict[str, Any]:
    """Tight crops of each face photo's largest face that the first pass misses, and how many
    of them the bordered retry rescues for each smallest face (fraction of the shorter side)
    it looks for."""
    first = FaceDetector(pad_retry=False)
    crops = tight_crops(faces, found)
    missed = [crop for crop in crops.values() if not first.predict([crop])[0]]
    rescued = {}
    for fraction in RETRY_FRACTIONS:
        detector = FaceDetector(retry_min_face_fraction=fraction)
        rescued[str(fraction)] = sum(1 for crop in missed if detector.predict([crop])[0])
    return {
        "tight_crops": len(crops),
        "missed_by_first_pass": len(missed),
        "rescued_by_min_face_fraction": rescued,
        "default_fraction": RETRY_MIN_FACE_FRACTION,
    }


def interleaved_timing(sets: dict[str, dict[str, Image.Image]], count: int, repeat: int) -> dict[str, Any]:
    """Detection time per photo of each detector, the detectors taking turns on each photo
    (best of `repeat`): on a shared machine, ratios of back-to-back runs measure the load."""
    detectors = {name: make() for name, make in DETECTORS.items()}
    for detector in detectors.values():
        detector.load()
    out: dict[str, Any] = {}
    for label, images in sets.items():
        chosen = list(images.values())[:: max(1, len(images) // count)][:count]
        total = dict.fromkeys(detectors, 0.0)
        for image in chosen:
            for name, detector in detectors.items():
                best = float("inf")
                for _ in range(repeat):
                    began = time.perf_counter()
                    detector.predict([image])
                    best = min(best, time.perf_counter() - began)
                total[name] += best
        out[label] = {
            "photos": len(chosen),
            "ms_per_photo": {name: 1000 * t / len(chosen) for name, t in total.items()},
            "speedup_vs_before": {name: total["before"] / t for name, t in total.items()},
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_faces = os.environ.get("MEMORY_STUDIO_FACES_DIR", str(ROOT.parent / "shared" / "faces"))
    default_noface = os.environ.get("MEMORY_STUDIO_NOFACE_DIR", str(ROOT / "var" / "datasets" / "noface"))
    parser.add_argument("--faces-dir", type=Path, default=Path(default_faces))
    parser.add_argument("--noface-dir", type=Path, default=Path(default_noface))
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "false_faces.json")
    parser.add_argument("--skip-eval", action="store_true", help="skip evaluate_faces (embedding) runs")
    parser.add_argument(
        "--timing-only",
        type=int,
        metavar="N",
        help="only time the detectors, taking turns, on N photos of each set (best of 3)",
    )
    args = parser.parse_args()

    info = machine()
    face_paths, noface_paths = photos(args.faces_dir, nested=True), photos(args.noface_dir, nested=False)
    if not noface_paths:
        parser.error(f"No photos in {args.noface_dir}: run scripts/build_noface_set.py first.")
    faces = {str(p.relative_to(args.faces_dir)): load_rgb(p.read_bytes()) for p in face_paths}
    noface = {p.name: load_rgb(p.read_bytes()) for p in noface_paths}
    if args.timing_only:
        timing = {
            "machine": info,
            "timing": interleaved_timing({"faces": faces, "noface": noface}, args.timing_only, 3),
        }
        timing["machine"]["load_average_end"] = list(os.getloadavg())
        print(json.dumps(timing["timing"], indent=1))
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(timing, indent=1) + "\n", encoding="utf-8")
        return
    embedder = DlibResNetEmbedder(device="cpu")
    embedder.load()
    print(
        f"{len(faces)} face photos, {len(noface)} no-face photos; {info['cpu']}, {info['torch_threads']} thr"
    )

    results: dict[str, Any] = {}
    found_by: dict[str, dict[str, dict[str, list[DetectedFace]]]] = {}
    for name, make in DETECTORS.items():
        detector = make()
        detector.load()
        detector.predict([next(iter(faces.values()))])  # warm-up
        entry: dict[str, Any] = {}
        found_by[name] = {}
        for label, images in (("faces", faces), ("noface", noface)):
            run = run_detector(detector, images)
            found_by[name][label] = run.pop("found")
            entry[label] = run
        entry["noface"]["false_faces"] = [
            {"photo": photo, "score": round(face.score, 4), "box": [round(v) for v in face.box]}
            for photo, found in found_by[name]["noface"].items()
            for face in found
        ]
        entry["faces"]["photos_without_face"] = [p for p, f in found_by[name]["faces"].items() if not f]
        if not args.skip_eval and name != "channels_last":
            evaluation = evaluate_folder(FacePipeline(detector, embedder, batch_size=16), args.faces_dir)
            report = evaluation.report
            entry["faces"]["evaluate_faces"] = {
                "faces": evaluation.faces,
                "roc_auc": None if report is None else report.auc,
                "rank1": None if report is None else report.rank1,
            }
        results[name] = entry
        print(
            f"{name:>13}: no-face {entry['noface']['faces']} false faces in "
            f"{entry['noface']['photos_with_faces']}/{len(noface)} photos, "
            f"{entry['noface']['ms_per_photo']:.0f} ms/photo; faces in "
            f"{entry['faces']['photos_with_faces']}/{len(faces)} face photos, "
            f"{entry['faces']['ms_per_photo']:.0f} ms/photo; {entry['faces'].get('evaluate_faces', '')}"
        )

    # channels_last: the same faces, and the same embeddings of them.
    cosines = []
    for photo, image in faces.items():
        a, b = found_by["before"]["faces"][photo], found_by["channels_last"]["faces"][photo]
        if a and b:
            chips = np.stack([align_face(image, f.landmarks, embedder.template) for f in (a[0], b[0])])
            va, vb = embedder.predict(chips)
            cosines.append(float(va @ vb))
    speed = {
        label: {
            "channels_last": results["before"][label]["seconds"] / results["channels_last"][label]["seconds"],
            "after": results["before"][label]["seconds"] / results["after"][label]["seconds"],
        }
        for label in ("faces", "noface")
    }

    data = {
        "machine": info,
        "sets": {"faces": str(args.faces_dir), "noface": str(args.noface_dir)},
        "photos": {"faces": len(faces), "noface": len(noface)},
        "detectors": results,
        "speedup_vs_before": speed,
        "channels_last_identity": {
            "faces": identical(found_by["before"]["faces"], found_by["channels_last"]["faces"]),
            "noface": identical(found_by["before"]["noface"], found_by["channels_last"]["noface"]),
            "min_embedding_cosine_largest_face": min(cosines) if cosines else None,
        },
        "separation": separation(faces, noface, embedder),
        "bordered_retry": bordered_retry(faces, found_by["before"]["faces"]),
    }
    data["machine"]["load_average_end"] = list(os.getloadavg())
    print(json.dumps({k: data[k] for k in ("speedup_vs_before", "channels_last_identity")}, indent=1))
    print(json.dumps(data["separation"], indent=1))
    print(json.dumps(data["bordered_retry"], indent=1))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
