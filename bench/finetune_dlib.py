"""Does ArcFace fine-tuning of dlib-resnet help? Before/after on identities held apart from training.

Holds identities of the face folder (default ../shared/faces) apart for testing with the
split training validates with (`training.data.split_identities`: a share of the identities
with 2+ photos, whole), and fine-tunes on the rest with `training.trainer.train` and its
default validation (which again holds out whole identities, of the rest, to pick the best
epoch and the threshold). The held-apart faces are embedded with the pretrained model
(before), the best checkpoint (after) and the last epoch's weights, and scored with
`recognition.ml.metrics.evaluate_embeddings` (the code of evaluate_faces): at the best
threshold for the held-apart set, and at the model's own threshold (dlib's, or the one the
checkpoint chose on its validation identities), which is what search would use.

    python bench/finetune_dlib.py [--faces DIR] [--work DIR] [--epochs N] [--lr X] [--unfreeze]
        [--held-identities N_OR_FRACTION]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recognition.ml.backbones import backbone_spec  # noqa: E402
from recognition.ml.checkpoint import load_checkpoint_embedder  # noqa: E402
from recognition.ml.detection import FaceDetector  # noqa: E402
from recognition.ml.embedders import DlibResNetEmbedder, Embedder  # noqa: E402
from recognition.ml.metrics import EvaluationReport, evaluate_embeddings  # noqa: E402
from training.config import build_config  # noqa: E402
from training.data import FaceDataset, list_images, prepare_dataset, split_identities  # noqa: E402
from training.trainer import train  # noqa: E402


def hold_apart(
    faces: Path, work: Path, *, held_identities: float, seed: int
) -> tuple[Path, Path, list[str], list[str]]:
    """Symlink the person folders into `work/train` and `work/heldout` (whole identities)."""
    items = list_images(faces)
    names = sorted({item.label for item in items})
    labels = np.array([names.index(item.label) for item in items], dtype=np.int64)
    _, test_idx = split_identities(labels, val_identities=held_identities, seed=seed)
    held = {names[i] for i in labels[test_idx]}
    train_dir, test_dir = work / "train", work / "heldout"
    train_dir.mkdir(parents=True, exist_ok=True)
    test_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = (test_dir if name in held else train_dir) / name
        if not target.exists():
            target.symlink_to(faces / name, target_is_directory=True)
    return train_dir, test_dir, [n for n in names if n not in held], sorted(held)


def evaluate(embedder: Embedder, data: FaceDataset) -> EvaluationReport:
    embedder.load()
    vectors = embedder.predict(data.chips)
    names = [data.names[i] for i in data.labels]
    return evaluate_embeddings(vectors, names, threshold=embedder.threshold)


def row(label: str, r: EvaluationReport) -> str:
    return (
        f"{label:<28} AUC {r.auc:.4f}  rank-1 {r.rank1:.3f} ({r.rank1_queries} queries)  "
        f"acc {r.best_accuracy:.4f} @ best {r.best_threshold:.3f}  F1 {r.best_f1:.3f}  |  at its own "
        f"threshold {r.threshold:.3f}: acc {r.accuracy:.4f} P {r.precision:.3f} R {r.recall:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--faces",
        type=Path,
        default=Path(os.environ.get("MEMORY_STUDIO_FACES_DIR", ROOT.parent / "shared/faces")),
    )
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--unfreeze", action="store_true", help="train the whole backbone")
    parser.add_argument("--patience", type=int, default=None)
    parser.add_argument(
        "--held-identities",
        type=float,
        default=0.25,
        help="identities held apart for testing: a number or a fraction of those with 2+ photos",
    )
    args = parser.parse_args()
    overrides: dict[str, object] = {"epochs": args.epochs, "device": "cpu", "lr": args.lr}
    overrides["patience"] = args.patience
    if args.unfreeze:
        overrides["freeze_backbone"] = False
    config = build_config(overrides=overrides)
    work = args.work or Path(tempfile.mkdtemp(prefix="finetune-dlib-"))
    train_dir, test_dir, trained, held = hold_apart(
        args.faces.resolve(), work, held_identities=args.held_identities, seed=config.seed + 1
    )
    print(f"work folder {work}")
    print(f"training identities: {len(trained)}; held-apart identities: {len(held)}: {', '.join(held)}")
    shown = ("backbone", "epochs", "margin", "scale", "freeze_backbone", "head_warmup_epochs", "patience")
    print("config:", {k: v for k, v in config.to_dict().items() if k in shown}, "lr", config.effective_lr)
    began, cpu = time.perf_counter(), time.process_time()
    result = train(train_dir, output=work / "dlib-arcface.pt", config=config, show_progress=False)
    train_seconds = time.perf_counter() - began
    print(
        f"trained {result.epochs_run} epoch(s), best epoch {result.best_epoch}, "
        f"{train_seconds:.0f} s wall, {time.process_time() - cpu:.0f} s CPU"
    )
    print(f"validation inside training: {result.validation}")

    detector = FaceDetector(device="cpu")
    held_data = prepare_dataset(
        test_dir,
        template=backbone_spec("dlib-resnet").template,
        detector=detector,
        cache_dir=work / ".chip-cache",
    )
    print(
        f"held-apart faces: {len(held_data.chips)} of {held_data.images} images, "
        f"{held_data.identities} identities"
    )
    reports = {
        "before (pretrained)": evaluate(DlibResNetEmbedder(device="cpu"), held_data),
        f"after (best, epoch {result.best_epoch})": evaluate(
            load_checkpoint_embedder(result.best_path), held_data
        ),
        f"after (last, epoch {result.epochs_run})": evaluate(
            load_checkpoint_embedder(result.last_path), held_data
        ),
    }
    for label, report in reports.items():
        print(row(label, report))
    from bench.people_data import write_result

    path = write_result(
        "finetune_dlib",
        {
            "config": config.to_dict(),
            "training_identities": len(trained),
            "held_apart_identities": held,
            "held_apart_faces": len(held_data.chips),
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "validation_inside_training": result.validation,
            "train_wall_s": round(train_seconds, 1),
            "held_apart": {label: report.to_dict() for label, report in reports.items()},
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
