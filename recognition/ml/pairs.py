"""LFW's published verification protocol ("View 2") for any folder laid out like LFW.

`pairs.txt` (LFW's format): a header "FOLDS PAIRS", then per fold PAIRS matched lines
`name n1 n2` followed by PAIRS mismatched lines `name1 n1 name2 n2`; image n of `name` is
`<root>/name/name_NNNN.jpg`. Each fold is scored with the threshold that maximises accuracy
on the other folds; the answer is the mean accuracy over folds with its standard deviation
(and standard error), and ROC-AUC over all pairs. A pair with an image in which no face was
found counts as an error at every threshold (lowest score if matched, highest if not).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from recognition.ml.embedders import Embedder
from recognition.ml.images import ImageDecodeError, load_rgb
from recognition.ml.metrics import best_threshold, roc_auc
from recognition.ml.pipeline import FacePipeline
from recognition.ml.prominence import most_prominent_face


class PairsFileError(ValueError):
    """The pairs file is not in LFW's format; the message names the line."""


@dataclass(frozen=True)
class Pair:
    fold: int
    left: str  # image path relative to the root, "name/name_0001.jpg"
    right: str
    same: bool


@dataclass(frozen=True)
class PairsProtocol:
    folds: int
    pairs_per_fold: int  # matched pairs per fold (as many mismatched)
    pairs: list[Pair]

    @property
    def images(self) -> list[str]:
        """Every image the pairs name, once, in order of first use."""
        return list(dict.fromkeys(path for pair in self.pairs for path in (pair.left, pair.right)))


def lfw_image(name: str, number: int) -> str:
    return f"{name}/{name}_{number:04d}.jpg"


def parse_pairs(text: str) -> PairsProtocol:
    """Read a pairs file in LFW's format; raises PairsFileError naming the bad line."""
    lines = [(n, line.split()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise PairsFileError("The pairs file is empty.")
    header_line, header = lines[0]
    try:
        folds, per_fold = (int(v) for v in header)
    except ValueError:
        raise PairsFileError(
            f"Line {header_line}: the first line must be 'FOLDS PAIRS' (e.g. '10 300'), "
            f"not {' '.join(header)!r}."
        ) from None
    if folds < 2 or per_fold < 1:
        raise PairsFileError(f"Line {header_line}: need at least 2 folds of at least 1 pair each.")
    body = lines[1:]
    if len(body) != 2 * folds * per_fold:
        raise PairsFileError(
            f"The header announces {folds} folds of {per_fold} matched and {per_fold} mismatched pairs "
            f"({2 * folds * per_fold} lines), but {len(body)} pair lines follow."
        )
    pairs = []
    for index, (line_no, fields) in enumerate(body):
        fold, position = divmod(index, 2 * per_fold)
        same = position < per_fold
        try:
            if same:
                if len(fields) != 3:
                    raise ValueError
                name, a, b = fields
                pairs.append(Pair(fold, lfw_image(name, int(a)), lfw_image(name, int(b)), True))
            else:
                if len(fields) != 4:
                    raise ValueError
                name1, a, name2, b = fields
                pairs.append(Pair(fold, lfw_image(name1, int(a)), lfw_image(name2, int(b)), False))
        except ValueError:
            expected = "name n1 n2 (matched)" if same else "name1 n1 name2 n2 (mismatched)"
            raise PairsFileError(
                f"Line {line_no}: fold {fold + 1} expects {expected} here, not {' '.join(fields)!r}."
            ) from None
    return PairsProtocol(folds=folds, pairs_per_fold=per_fold, pairs=pairs)


@dataclass(frozen=True)
class FoldResult:
    threshold: float  # chosen on the other folds
    accuracy: float


@dataclass(frozen=True)
class ProtocolReport:
    accuracy_mean: float
    accuracy_std: float  # sample standard deviation over folds (LFW's sigma)
    accuracy_standard_error: float  # std / sqrt(folds), what LFW's results page reports
    auc: float
    folds: list[FoldResult]
    failed_pairs: int  # pairs with an image without a face: errors at every threshold


def verification_protocol(
    scores: npt.ArrayLike, same: Sequence[bool], folds: Sequence[int]
) -> ProtocolReport:
    """k-fold verification: each fold's threshold maximises accuracy on the other folds.

    `scores` are similarities (NaN: the pair could not be scored, an error at any threshold).
    """
    score = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(same, dtype=bool)
    fold = np.asarray(folds, dtype=np.int64)
    if not score.shape == positive.shape == fold.shape or score.ndim != 1:
        raise ValueError("scores, same and folds must be equal-length sequences.")
    scored = ~np.isnan(score)
    names = sorted(set(fold.tolist()))
    if len(names) < 2:
        raise ValueError("The protocol needs at least 2 folds.")
    results = []
    for k in names:
        train = (fold != k) & scored
        test = fold == k
        if not positive[train].any() or positive[train].all():
            # The other folds hold no scored pairs of one kind (faces missing almost everywhere):
            # nothing to learn a threshold from, so their median, or 0 when nothing was scored.
            threshold = 0.0 if not train.any() else float(np.median(score[train]))
        else:
            threshold = best_threshold(score[train], positive[train])
        correct = ((score[test] >= threshold) == positive[test]) & scored[test]
        results.append(FoldResult(threshold=threshold, accuracy=float(correct.sum() / max(test.sum(), 1))))
    accuracies = np.array([r.accuracy for r in results])
    std = float(accuracies.std(ddof=1))
    # Unscored pairs rank where they are wrong: matched lowest, mismatched highest.
    worst = np.where(positive, -np.inf, np.inf)
    return ProtocolReport(
        accuracy_mean=float(accuracies.mean()),
        accuracy_std=std,
        accuracy_standard_error=std / math.sqrt(len(results)),
        auc=roc_auc(np.where(scored, score, worst), positive),
        folds=results,
        failed_pairs=int((~scored).sum()),
    )


@dataclass
class PairsEvaluation:
    model: str
    device: str
    folds: int
    pairs_per_fold: int
    pairs: int
    images: int  # distinct images the pairs name
    faces: int  # of them, images in which a face was found (the one each is about is used)
    plain: ProtocolReport | None = None
    flip: ProtocolReport | None = None  # embedding averaged with the mirrored face's
    images_without_face: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # named by the pairs, not in the folder
    unreadable: list[str] = field(default_factory=list)
    decode_seconds: float = 0.0
    detect_seconds: float = 0.0
    embed_seconds: float = 0.0
    embed_flip_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        def clean(value: Any) -> Any:
            if isinstance(value, float) and not math.isfinite(value):
                return None
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            return value

        data = clean(asdict(self))
        read = max(self.images - len(self.missing), 1)
        data["timing"] = {
            "decode_s_per_image": self.decode_seconds / read,
            "detect_align_s_per_image": self.detect_seconds / read,
            "embed_s_per_face": self.embed_seconds / max(self.faces, 1),
            "embed_flip_s_per_face": self.embed_flip_seconds / max(self.faces, 1),
        }
        return dict(data)


def evaluate_pairs(
    pipeline: FacePipeline,
    root: Path,
    protocol: PairsProtocol,
    *,
    progress: Callable[[int], object] | None = None,
) -> PairsEvaluation:
    """Detect and embed the face each image named by the pairs is about, without and with flip
    averaging, and run the protocol on both."""
    pipeline.load()
    embedder = pipeline.embedder
    paths = protocol.images
    result = PairsEvaluation(
        model=embedder.key,
        device=embedder.device,
        folds=protocol.folds,
        pairs_per_fold=protocol.pairs_per_fold,
        pairs=len(protocol.pairs),
        images=len(paths),
        faces=0,
    )
    chips: list[np.ndarray] = []
    chip_of: dict[str, int] = {}
    for start in range(0, len(paths), pipeline.batch_size):
        batch = paths[start : start + pipeline.batch_size]
        images, kept = [], []
        began = time.perf_counter()
        for relative in batch:
            try:
                data = (root / relative).read_bytes()
            except FileNotFoundError:
                result.missing.append(relative)
                continue
            try:
                images.append(load_rgb(data))
                kept.append(relative)
            except ImageDecodeError:
                result.unreadable.append(relative)
        result.decode_seconds += time.perf_counter() - began
        began = time.perf_counter()
        for relative, image, faces in zip(kept, images, pipeline.detect(images), strict=True):
            if faces:
                chip_of[relative] = len(chips)
                chips.append(pipeline.align(image, [faces[most_prominent_face(faces, image.size)]])[0])
            else:
                result.images_without_face.append(relative)
        result.detect_seconds += time.perf_counter() - began
        if progress is not None:
            progress(len(batch))
    result.faces = len(chips)
    plain, flipped = _embed_both(embedder, chips, result)
    for name, vectors in (("plain", plain), ("flip", flipped)):
        scores = [
            float(vectors[chip_of[p.left]] @ vectors[chip_of[p.right]])
            if p.left in chip_of and p.right in chip_of
            else math.nan
            for p in protocol.pairs
        ]
        report = verification_protocol(
            scores, [p.same for p in protocol.pairs], [p.fold for p in protocol.pairs]
        )
        setattr(result, name, report)
    return result


def _embed_both(
    embedder: Embedder, chips: list[np.ndarray], result: PairsEvaluation
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Embeddings of the chips without and with the embedder's own flip averaging
    (RECOGNITION_TTA_FLIP: the face and its mirror image through the network, the two
    normalised vectors summed and normalised again)."""
    if not chips:
        empty = np.zeros((0, embedder.dim), dtype=np.float32)
        return empty, empty
    stack = np.stack(chips)
    saved = embedder.tta_flip
    try:
        embedder.tta_flip = False
        began = time.perf_counter()
        plain = embedder.predict(stack)
        result.embed_seconds = time.perf_counter() - began
        embedder.tta_flip = True
        began = time.perf_counter()
        flipped = embedder.predict(stack)
        result.embed_flip_seconds = time.perf_counter() - began
    finally:
        embedder.tta_flip = saved
    return plain, flipped


def choose_pairs(
    counts: dict[str, int], *, folds: int, pairs: int, seed: int = 0
) -> list[list[tuple[str, int, str, int]]]:
    """LFW-style pairs for people with `counts[name]` images (numbered from 1): per fold `pairs`
    distinct matched and `pairs` distinct mismatched pairs, each fold over its own people (as in
    LFW's View 2, no person appears in two folds). Raises ValueError when a fold's people cannot
    give that many pairs."""
    if folds < 2 or pairs < 1:
        raise ValueError("Need at least 2 folds of at least 1 pair each.")
    rng = np.random.default_rng(seed)
    names = sorted(counts)
    order = [names[i] for i in rng.permutation(len(names))]
    # Deal the people out, those with the most images first, each to the fold with the fewest
    # matched pairs so far: every fold gets its share of people who can give matched pairs.
    groups: list[list[str]] = [[] for _ in range(folds)]
    load = [0] * folds
    for name in sorted(order, key=lambda n: -counts[n]):  # stable: ties keep the shuffled order
        k = min(range(folds), key=lambda f: (load[f], len(groups[f])))
        groups[k].append(name)
        load[k] += counts[name] * (counts[name] - 1) // 2
    chosen: list[list[tuple[str, int, str, int]]] = []
    for k, group in enumerate(groups):
        matched = [
            (n, a, n, b) for n in group for a in range(1, counts[n] + 1) for b in range(a + 1, counts[n] + 1)
        ]
        sizes = [counts[n] for n in group]
        mismatched_total = (sum(sizes) ** 2 - sum(s * s for s in sizes)) // 2
        if len(matched) < pairs or mismatched_total < pairs:
            raise ValueError(
                f"Fold {k + 1} ({len(group)} people) gives only {len(matched)} matched and "
                f"{mismatched_total} mismatched pairs; ask for fewer folds or pairs."
            )
        picked = [matched[i] for i in sorted(rng.choice(len(matched), size=pairs, replace=False))]
        different: set[tuple[str, int, str, int]] = set()
        while len(different) < pairs:
            i, j = sorted(rng.choice(len(group), size=2, replace=False))
            first, second = group[i], group[j]
            if first > second:
                first, second = second, first
            different.add(
                (
                    first,
                    int(rng.integers(1, counts[first] + 1)),
                    second,
                    int(rng.integers(1, counts[second] + 1)),
                )
            )
        chosen.append(picked + sorted(different))
    return chosen


def format_pairs(chosen: list[list[tuple[str, int, str, int]]], pairs: int) -> str:
    """`choose_pairs`' answer as a pairs file in LFW's format."""
    lines = [f"{len(chosen)}\t{pairs}"]
    for fold in chosen:
        for name1, a, name2, b in fold:
            lines.append(f"{name1}\t{a}\t{b}" if name1 == name2 else f"{name1}\t{a}\t{name2}\t{b}")
    return "\n".join(lines) + "\n"
