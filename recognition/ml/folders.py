"""The folder-per-person layout shared by evaluation, search evaluation and training data.

`<root>/<person>/<image>`: every non-hidden file one level down (in a non-hidden folder) is
an image of that person.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    label: str  # the person folder's name


def list_labelled_images(root: Path, *, suffixes: Collection[str] | None = None) -> list[LabelledImage]:
    """Every image of every person folder under `root`, sorted by person then file name.

    `suffixes` (lower-case, with the dot) keeps only files with those extensions; by default
    every non-hidden file counts. Raises FileNotFoundError when `root` is not a folder or
    holds no such files.
    """
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a directory.")
    items = [
        LabelledImage(path=path, label=person.name)
        for person in sorted(root.iterdir())
        if person.is_dir() and not person.name.startswith(".")
        for path in sorted(person.iterdir())
        if path.is_file()
        and not path.name.startswith(".")
        and (suffixes is None or path.suffix.lower() in suffixes)
    ]
    if not items:
        raise FileNotFoundError(f"No <person>/<image> files under {root}.")
    return items
