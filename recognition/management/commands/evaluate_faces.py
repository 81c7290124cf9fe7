"""Evaluate a face model on a folder of `<person>/<image>` photos."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from recognition.ml.evaluation import FolderEvaluation, evaluate_folder
from recognition.ml.folders import list_labelled_images
from recognition.ml.pairs import PairsEvaluation, PairsFileError, evaluate_pairs, parse_pairs
from recognition.runtime import RecognitionUnavailableError, build_pipeline


class Command(BaseCommand):
    help = (
        "Detect the face every DIR/<person>/<image> is about (large, central, whole), embed it and "
        "report verification (accuracy, precision, recall, F1 at the model's threshold, ROC-AUC, "
        "best threshold) and leave-one-out rank-1 identification. With --pairs, LFW's protocol "
        "instead: DIR laid out like LFW (<name>/<name>_NNNN.jpg) and a pairs file in LFW's format."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="Folder holding <person>/<image> files.")
        parser.add_argument("--model", help="Embedder key or checkpoint path (default: RECOGNITION_MODEL).")
        parser.add_argument(
            "--threshold", type=float, help="Cosine-similarity threshold (default: the model's)."
        )
        parser.add_argument(
            "--json", type=Path, dest="json_path", help="Also write the results as JSON here."
        )
        parser.add_argument(
            "--pairs",
            type=Path,
            help="A pairs file in LFW's format (e.g. LFW's pairs.txt, or one written by "
            "scripts/make_lfw_pairs.py): k-fold verification accuracy, without and with flip averaging.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["pairs"] is not None:
            self.handle_pairs(options)
            return
        root: Path = options["directory"]
        try:
            total = len(list_labelled_images(root))
            pipeline = build_pipeline(model=options["model"])
            pipeline.load()
        except (FileNotFoundError, RecognitionUnavailableError) as exc:
            raise CommandError(str(exc)) from exc
        except (OSError, ValueError) as exc:
            raise CommandError(f"Could not load the face model: {exc}") from exc
        # tqdm writes to the real stderr: Django's OutputWrapper would end every redraw with a newline.
        with tqdm(total=total, unit="img", desc="Evaluating", file=sys.stderr) as bar:
            result = evaluate_folder(pipeline, root, threshold=options["threshold"], progress=bar.update)
        self.stdout.write(format_table(result))
        if options["json_path"]:
            options["json_path"].write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
            self.stdout.write(f"JSON written to {options['json_path']}")

    def handle_pairs(self, options: dict[str, Any]) -> None:
        root: Path = options["directory"]
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory.")
        try:
            protocol = parse_pairs(options["pairs"].read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"Could not read the pairs file: {exc}") from exc
        except (PairsFileError, UnicodeDecodeError) as exc:
            raise CommandError(f"{options['pairs']}: {exc}") from exc
        try:
            pipeline = build_pipeline(model=options["model"])
            pipeline.load()
        except RecognitionUnavailableError as exc:
            raise CommandError(str(exc)) from exc
        except (OSError, ValueError) as exc:
            raise CommandError(f"Could not load the face model: {exc}") from exc
        with tqdm(total=len(protocol.images), unit="img", desc="Evaluating pairs", file=sys.stderr) as bar:
            result = evaluate_pairs(pipeline, root, protocol, progress=bar.update)
        if result.missing:
            raise CommandError(
                f"{len(result.missing)} image(s) named by the pairs are not under {root}, e.g. "
                + ", ".join(result.missing[:5])
            )
        self.stdout.write(format_pairs_table(result))
        if options["json_path"]:
            options["json_path"].write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
            self.stdout.write(f"JSON written to {options['json_path']}")


def format_pairs_table(result: PairsEvaluation) -> str:
    timing = result.to_dict()["timing"]
    rows = [
        ("model", f"{result.model} on {result.device}"),
        (
            "protocol",
            f"{result.folds} folds x ({result.pairs_per_fold} matched + {result.pairs_per_fold} mismatched)",
        ),
        ("images", str(result.images)),
        ("faces found", str(result.faces)),
        ("images without a face", str(len(result.images_without_face))),
    ]
    if result.unreadable:
        rows.append(("unreadable files", str(len(result.unreadable))))
    for name, report in (("", result.plain), ("flip-averaged ", result.flip)):
        if report is None:
            continue
        rows += [
            (
                f"{name}accuracy",
                f"{report.accuracy_mean:.4f} +- {report.accuracy_std:.4f} (std), "
                f"+- {report.accuracy_standard_error:.4f} (standard error)",
            ),
            (f"{name}ROC-AUC", f"{report.auc:.4f}"),
            (f"{name}thresholds", ", ".join(f"{fold.threshold:.3f}" for fold in report.folds)),
        ]
    if result.plain is not None and result.plain.failed_pairs:
        rows.append(("pairs counted as errors (no face)", str(result.plain.failed_pairs)))
    rows += [
        ("decode per image", f"{timing['decode_s_per_image'] * 1000:.1f} ms"),
        ("detect + align per image", f"{timing['detect_align_s_per_image'] * 1000:.1f} ms"),
        ("embed per face", f"{timing['embed_s_per_face'] * 1000:.1f} ms"),
        ("embed per face, flip-averaged", f"{timing['embed_flip_s_per_face'] * 1000:.1f} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name.ljust(width)}  {value}" for name, value in rows]
    lines += [f"  no face: {path}" for path in result.images_without_face]
    lines += [f"  unreadable: {path}" for path in result.unreadable]
    return "\n".join(lines)


def format_table(result: FolderEvaluation) -> str:
    data = result.to_dict()
    timing = data["timing"]
    rows = [
        ("model", f"{result.model} on {result.device}{' (flip TTA)' if result.tta_flip else ''}"),
        ("identities", str(result.identities)),
        ("images", str(result.images)),
        ("faces found", str(result.faces)),
        ("images without a face", str(len(result.images_without_face))),
    ]
    if result.unreadable:
        rows.append(("unreadable files", str(len(result.unreadable))))
    report = result.report
    if report is not None:
        rows += [
            ("pairs (same / different)", f"{report.positive_pairs} / {report.negative_pairs}"),
            ("threshold (cosine similarity)", f"{report.threshold:.3f}"),
            ("accuracy", f"{report.accuracy:.4f}"),
            ("precision", f"{report.precision:.4f}"),
            ("recall", f"{report.recall:.4f}"),
            ("F1", f"{report.f1:.4f}"),
            ("ROC-AUC", f"{report.auc:.4f}"),
            ("best threshold", f"{report.best_threshold:.3f}"),
            ("accuracy / F1 at best", f"{report.best_accuracy:.4f} / {report.best_f1:.4f}"),
            ("rank-1 (leave-one-out)", f"{report.rank1:.4f} ({report.rank1_queries} queries)"),
        ]
    else:
        rows.append(("metrics", "not enough faces found"))
    rows += [
        ("decode per image", f"{timing['decode_s_per_image'] * 1000:.1f} ms"),
        ("detect + align per image", f"{timing['detect_s_per_image'] * 1000:.1f} ms"),
        ("embed per face", f"{timing['embed_s_per_face'] * 1000:.1f} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name.ljust(width)}  {value}" for name, value in rows]
    lines += [f"  no face: {path}" for path in result.images_without_face]
    lines += [f"  unreadable: {path}" for path in result.unreadable]
    return "\n".join(lines)
