#!/usr/bin/env python3
"""Lay out any `<person>/<image>` folder like LFW and write a pairs file in LFW's format.

    python scripts/make_lfw_pairs.py SOURCE OUT [--folds 2] [--pairs 30] [--seed 0] [--copy]

OUT gets `<name>/<name>_NNNN.jpg` (symlinks to the source files, or copies with --copy;
images numbered from 1 in file-name order; whitespace in names becomes "_"; the link keeps
the .jpg name whatever the format, the decoder goes by the content) and OUT/pairs.txt: a
"FOLDS PAIRS" header, then per fold PAIRS matched lines `name n1 n2` and PAIRS mismatched
lines `name1 n1 name2 n2`, each fold over its own people as in LFW's View 2. Then:

    python manage.py evaluate_faces OUT --pairs OUT/pairs.txt --json bench/results/NAME.json

For ../shared/faces (34 people, 126 photos) `--folds 2 --pairs 30` fits; LFW itself comes
with its own pairs.txt (10 folds of 300).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path


def _name(folder: str) -> str:
    return re.sub(r"\s+", "_", folder.strip())


def make_lfw_folder(
    source: Path, out: Path, *, folds: int, pairs: int, seed: int = 0, copy: bool = False
) -> Path:
    """Write the LFW layout and OUT/pairs.txt; answers the pairs file's path."""
    from recognition.ml.folders import list_labelled_images
    from recognition.ml.pairs import choose_pairs, format_pairs, lfw_image

    items = list_labelled_images(source)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} exists and is not empty.")
    by_person: dict[str, list[Path]] = {}
    for item in items:
        by_person.setdefault(_name(item.label), []).append(item.path)
    chosen = choose_pairs({n: len(p) for n, p in by_person.items()}, folds=folds, pairs=pairs, seed=seed)
    for name, paths in by_person.items():
        (out / name).mkdir(parents=True)
        for number, path in enumerate(paths, start=1):
            target = out / lfw_image(name, number)
            if copy:
                shutil.copyfile(path, target)
            else:
                target.symlink_to(path.resolve())
    pairs_path = out / "pairs.txt"
    pairs_path.write_text(format_pairs(chosen, pairs), encoding="utf-8")
    return pairs_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", type=Path, help="A <person>/<image> folder.")
    parser.add_argument("out", type=Path, help="Where to write the LFW layout and pairs.txt.")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=300, help="Matched (and mismatched) pairs per fold.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--copy", action="store_true", help="Copy the images instead of linking them.")
    args = parser.parse_args(argv)
    try:
        pairs_path = make_lfw_folder(
            args.source, args.out, folds=args.folds, pairs=args.pairs, seed=args.seed, copy=args.copy
        )
    except (OSError, ValueError) as exc:
        print(f"make_lfw_pairs: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(pairs_path)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
