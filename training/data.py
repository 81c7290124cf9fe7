"""Folder-per-person face datasets: detect and align the face each image is about once, cache
the chips.

`<root>/<person>/<image>`: every non-hidden file one level down is an image of that person.
Aligned chips are cached on disk keyed by the file's content, the alignment template and
the detector settings, so later epochs and later runs never detect again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
from PIL import Image

from recognition.ml.alignment import AlignmentTemplate, align_face
from recognition.ml.detection import FaceDetector
from recognition.ml.folders import LabelledImage, list_labelled_images
from recognition.ml.images import ImageDecodeError, load_rgb
from recognition.ml.prominence import most_prominent_face
from training.files import write_atomically

Chips = npt.NDArray[np.uint8]
# Bump when the cached chip contents would change for the same inputs.
CACHE_VERSION = 2


class DatasetError(ValueError):
    """The dataset cannot be used for training; the message says why and which files."""


@dataclass
class FaceDataset:
    """Aligned chips of the face each image is about, with integer labels into `names`."""

    chips: Chips  # (N, h, w, 3) uint8
    labels: npt.NDArray[np.int64]  # (N,)
    names: list[str]  # identity name per label index
    paths: list[str]  # relative path per chip
    fingerprint: str  # sha256 over the files' relative paths and contents, and the template
    images: int  # image files read
    without_face: list[str] = field(default_factory=list)
    cached: int = 0  # chips (or "no face" results) that came from the cache

    @property
    def identities(self) -> int:
        return len(self.names)


def list_images(root: Path) -> list[LabelledImage]:
    """Every non-hidden file in the person folders of `root`, sorted; raises DatasetError."""
    if not root.is_dir():
        raise DatasetError(f"Dataset folder {root} does not exist or is not a folder.")
    try:
        items = list_labelled_images(root)
    except FileNotFoundError:
        raise DatasetError(
            f"Dataset folder {root} is empty: expected one folder per person with their photos "
            "(<dataset>/<person>/<photo>.jpg)."
        ) from None
    identities = {item.label for item in items}
    if len(identities) < 2:
        raise DatasetError(
            f"Dataset {root} has {len(identities)} identity with photos ({', '.join(sorted(identities))}); "
            "ArcFace training needs at least 2 people (one folder each)."
        )
    return items


def template_key(template: AlignmentTemplate) -> str:
    return json.dumps({"size": list(template.size), "points": [list(p) for p in template.points]})


class ChipCache:
    """`<dir>/<key[:2]>/<key>.npy` holds a chip; `<key>.none` records that no face was found."""

    def __init__(self, directory: Path, *, template: AlignmentTemplate, detector_key: str) -> None:
        self.directory = directory
        self.salt = f"v{CACHE_VERSION}|{template_key(template)}|{detector_key}"

    def key(self, content_sha: str) -> str:
        return hashlib.sha256(f"{self.salt}|{content_sha}".encode()).hexdigest()

    def _path(self, key: str, suffix: str) -> Path:
        return self.directory / key[:2] / f"{key}{suffix}"

    def get(self, key: str) -> Chips | bool | None:
        """The cached chip, None for a cached "no face", False when not cached (or unreadable)."""
        if self._path(key, ".none").is_file():
            return None
        path = self._path(key, ".npy")
        if not path.is_file():
            return False
        try:
            chip = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return False  # a damaged cache entry is recomputed
        return np.asarray(chip, dtype=np.uint8)

    def put(self, key: str, chip: Chips | None) -> None:
        def write(handle: IO[bytes]) -> None:
            if chip is not None:
                np.save(handle, chip, allow_pickle=False)

        write_atomically(self._path(key, ".none" if chip is None else ".npy"), write)


def detector_key(detector: FaceDetector) -> str:
    return (
        f"mtcnn|{detector.max_side}|{detector.min_face_size}|{detector.min_prob}|{detector.pad_retry}"
        f"|{detector.retry_min_prob}|{detector.retry_min_face_fraction}"
    )


def prepare_dataset(
    root: Path,
    *,
    template: AlignmentTemplate,
    detector: FaceDetector,
    cache_dir: Path,
    batch_size: int = 8,
    progress: Callable[[int], object] | None = None,
) -> FaceDataset:
    """Detect, align and cache the face every image under `root` is about
    (`recognition.ml.prominence`: large, central and whole, not merely the largest).

    Images without a face are reported in `without_face` and skipped. Unreadable files, or
    fewer than 2 identities with a face, raise DatasetError.
    """
    items = list_images(root)
    cache = ChipCache(cache_dir, template=template, detector_key=detector_key(detector))
    fingerprint = hashlib.sha256(template_key(template).encode())
    chips: list[Chips | None] = [None] * len(items)
    unreadable: list[str] = []
    todo: list[tuple[int, str, Image.Image]] = []
    cached = 0

    def flush() -> None:
        found = detector.predict([image for _, _, image in todo])
        for (index, key, image), faces in zip(todo, found, strict=True):
            chip = (
                align_face(image, faces[most_prominent_face(faces, image.size)].landmarks, template)
                if faces
                else None
            )
            cache.put(key, chip)
            chips[index] = chip
        if progress is not None:
            progress(len(todo))
        todo.clear()

    for index, item in enumerate(items):
        relative = str(item.path.relative_to(root))
        try:
            data = item.path.read_bytes()
        except OSError as exc:
            unreadable.append(f"{relative} ({exc.strerror or exc})")
            continue
        content_sha = hashlib.sha256(data).hexdigest()
        fingerprint.update(f"{relative}\0{content_sha}\0".encode())
        key = cache.key(content_sha)
        hit = cache.get(key)
        if hit is None or isinstance(hit, np.ndarray):
            chips[index] = hit
            cached += 1
            if progress is not None:
                progress(1)
            continue
        try:
            image = load_rgb(data)
        except ImageDecodeError:
            unreadable.append(f"{relative} (not a readable image)")
            continue
        todo.append((index, key, image))
        if len(todo) >= batch_size:
            flush()
    if todo:
        flush()
    if unreadable:
        raise DatasetError(
            f"{len(unreadable)} unreadable file(s) in {root}; remove or fix them: " + "; ".join(unreadable)
        )
    kept = [i for i, chip in enumerate(chips) if chip is not None]
    without_face = [str(items[i].path.relative_to(root)) for i, chip in enumerate(chips) if chip is None]
    names = sorted({items[i].label for i in kept})
    if len(names) < 2:
        raise DatasetError(
            f"Faces were found for {len(names)} identity in {root} ({len(without_face)} image(s) without a "
            "face); training needs faces of at least 2 people."
        )
    index_of = {name: i for i, name in enumerate(names)}
    height, width = template.size[1], template.size[0]
    stacked = (
        np.stack([chip for chip in chips if chip is not None])
        if kept
        else np.zeros((0, height, width, 3), np.uint8)
    )
    return FaceDataset(
        chips=np.ascontiguousarray(stacked, dtype=np.uint8),
        labels=np.array([index_of[items[i].label] for i in kept], dtype=np.int64),
        names=names,
        paths=[str(items[i].path.relative_to(root)) for i in kept],
        fingerprint=fingerprint.hexdigest(),
        images=len(items),
        without_face=without_face,
        cached=cached,
    )


def split_images(
    labels: Sequence[int] | npt.NDArray[np.int64], *, val_split: float, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per-image split: about `val_split` of each identity's images for validation.

    Every identity keeps at least one training image; identities with one image are training-only.
    Validation then measures people the model trains on: only on request (val_mode "images").
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train: list[int] = []
    val: list[int] = []
    for label in np.unique(labels):
        indices = np.flatnonzero(labels == label)
        rng.shuffle(indices)
        n_val = min(len(indices) - 1, int(np.floor(len(indices) * val_split + 0.5)))
        val += indices[:n_val].tolist()
        train += indices[n_val:].tolist()
    return np.array(sorted(train), dtype=np.int64), np.array(sorted(val), dtype=np.int64)


def split_identities(
    labels: Sequence[int] | npt.NDArray[np.int64], *, val_identities: float, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Identity-disjoint split: whole identities held out for validation, as search meets them.

    `val_identities` is a fraction (< 1, rounded half up) or a number (>= 1) of the identities
    with 2+ images (only they give same-person pairs); identities with one image always train.
    At least 2 identities are left to train on (ArcFace needs 2 classes).
    """
    labels = np.asarray(labels)
    identities, counts = np.unique(labels, return_counts=True)
    eligible = identities[counts >= 2]
    wanted = (
        int(val_identities) if val_identities >= 1 else int(np.floor(len(eligible) * val_identities + 0.5))
    )
    held = np.random.default_rng(seed).permutation(eligible)[: max(0, min(wanted, len(identities) - 2))]
    in_val = np.isin(labels, held)
    return np.flatnonzero(~in_val).astype(np.int64), np.flatnonzero(in_val).astype(np.int64)


def same_person_pairs(labels: Sequence[int] | npt.NDArray[np.int64]) -> int:
    """How many pairs of images show the same identity (the positives of pair verification)."""
    counts = np.unique(np.asarray(labels), return_counts=True)[1]
    return int((counts * (counts - 1) // 2).sum())


def check_validation_size(labels: Sequence[int] | npt.NDArray[np.int64], *, min_pairs: int, how: str) -> None:
    """Refuse a validation set too small for its verdict to mean anything; `how` says how it was made.

    Under 2 identities or without a same-person pair the metrics are undefined; under
    `min_pairs` same-person pairs the best epoch and the threshold would be chosen on noise.
    """
    pairs = same_person_pairs(labels)
    people = len(np.unique(np.asarray(labels)))
    size = f"{len(labels)} image(s) of {people} identity(ies), {pairs} same-person pair(s)"
    if people < 2 or pairs < 1:
        raise DatasetError(
            f"Validation ({how}) has {size}: it needs at least 2 identities and 1 same-person pair. "
            "Add photos (people with 2 or more each) or hold out more identities (--val-identities)."
        )
    if pairs < min_pairs:
        raise DatasetError(
            f"Validation ({how}) has {size}, fewer than min_val_pairs={min_pairs}: the best epoch and "
            "the threshold chosen on it would be meaningless. Add photos, hold out more identities "
            "(--val-identities), or accept a validation this small knowingly with --min-val-pairs."
        )
