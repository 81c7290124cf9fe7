"""Does ArcFace fine-tuning of dlib-resnet help? Before/after on identities held apart from training.

Splits the identities of the face folder (default ../shared/faces): every third identity with
2+ photos, plus every single-photo identity (distractors), is held apart for evaluation; the
rest are fine-tuned on with `training.trainer.train`. The held-apart faces are embedded with
the pretrained model (before), the best checkpoint (after) and the last epoch's weights,
and scored with `recognition.ml.metrics.evaluate_embeddings` (the code of evaluate_faces).

    python bench/finetune_dlib.py [--faces DIR] [--work DIR] [--epochs N] [--lr X] [--unfreeze]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recognition.ml.backbones import backbone_spec  # noqa: E402
from recognition.ml.checkpoint import load_checkpoint_embedder  # noqa: E402
from recognition.ml.detection import FaceDetector  # noqa: E402
from recognition.ml.embedders import DlibResNetEmbedder, Embedder  # noqa: E402
from recognition.ml.metrics import EvaluationReport, evaluate_embeddings  # noqa: E402
from training.config import build_config  # noqa: E402
from training.data import FaceDataset, prepare_dataset  # noqa: E402
from training.trainer import train  # noqa: E402


def split_identities(faces: Path, work: Path) -> tuple[Path, Path, list[str], list[str]]:
    train_dir, test_dir = work / "train", work / "heldout"
    train_dir.mkdir(parents=True, exist_ok=True)
    test_dir.mkdir(parents=True, exist_ok=True)
    people = sorted(p for p in faces.iterdir() if p.is_dir() and not p.name.startswith("."))
    multi = [p for p in people if len(list(p.iterdir())) >= 2]
    held = {p.name for i, p in enumerate(multi) if i % 3 == 2} | {p.name for p in people if p not in multi}
    trained: list[str] = []
    kept: list[str] = []
    for person in people:
        target = (test_dir if person.name in held else train_dir) / person.name
        if not target.exists():
            target.symlink_to(person, target_is_directory=True)
        (kept if person.name in held else trained).append(person.name)
    return train_dir, test_dir, trained, kept


def evaluate(embedder: Embedder, data: FaceDataset) -> EvaluationReport:
    embedder.load()
    vectors = embedder.predict(data.chips)
    names = [data.names[i] for i in data.labels]
    return evaluate_embeddings(vectors, names, threshold=None)


def row(label: str, r: EvaluationReport) -> str:
    return (
        f"{label:<28} AUC {r.auc:.4f}  rank-1 {r.rank1:.3f} ({r.rank1_queries} queries)  "
        f"acc {r.best_accuracy:.4f} @ {r.best_threshold:.3f}  F1 {r.best_f1:.3f}"
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
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="finetune-dlib-"))
    train_dir, test_dir, trained, held = split_identities(args.faces.resolve(), work)
    print(f"work folder {work}")
    print(f"training identities: {len(trained)}; held-apart identities: {len(held)}")

    overrides: dict[str, object] = {"epochs": args.epochs, "device": "cpu", "lr": args.lr, "val_split": 0.34}
    overrides["patience"] = args.patience
    if args.unfreeze:
        overrides["freeze_backbone"] = False
    config = build_config(overrides=overrides)
    shown = ("backbone", "epochs", "margin", "scale", "freeze_backbone", "head_warmup_epochs", "patience")
    print("config:", {k: v for k, v in config.to_dict().items() if k in shown}, "lr", config.effective_lr)
    began, cpu = time.perf_counter(), time.process_time()
    result = train(train_dir, output=work / "dlib-arcface.pt", config=config, show_progress=False)
    print(
        f"trained {result.epochs_run} epoch(s), best epoch {result.best_epoch}, "
        f"{time.perf_counter() - began:.0f} s wall, {time.process_time() - cpu:.0f} s CPU"
    )

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
    print(row("before (pretrained)", evaluate(DlibResNetEmbedder(device="cpu"), held_data)))
    print(
        row(
            f"after (best, epoch {result.best_epoch})",
            evaluate(load_checkpoint_embedder(result.best_path), held_data),
        )
    )
    print(
        row(
            f"after (last, epoch {result.epochs_run})",
            evaluate(load_checkpoint_embedder(result.last_path), held_data),
        )
    )


if __name__ == "__main__":
    main()
