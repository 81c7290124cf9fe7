"""End-to-end search evaluation on a folder of `<person>/<image>` files.

Uploads every photo except one held-apart photo per identity that has 3 or more photos, then
searches the library with each held-apart photo and measures the returned set against the true
photos of that identity. Used by the test suite and by `bench/search_holdout.py`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.services import photo_create
from recognition.ml.folders import list_labelled_images
from recognition.ml.images import load_rgb
from recognition.ml.pipeline import FacePipeline
from recognition.runtime import search_threshold
from recognition.search import NoFaceInQueryError, search_by_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif"}


@dataclass(frozen=True)
class QueryOutcome:
    identity: str
    query: str
    truth: int
    returned: int
    correct: int
    precision: float
    recall: float
    first_wrong_rank: int | None
    seconds: float


@dataclass
class HoldoutReport:
    threshold: float
    library_photos: int
    upload_seconds: float
    queries: list[QueryOutcome] = field(default_factory=list)

    @property
    def mean_precision(self) -> float:
        return statistics.fmean(q.precision for q in self.queries) if self.queries else 0.0

    @property
    def mean_recall(self) -> float:
        return statistics.fmean(q.recall for q in self.queries) if self.queries else 0.0

    @property
    def median_search_ms(self) -> float:
        return statistics.median(q.seconds for q in self.queries) * 1000 if self.queries else 0.0


def split_holdout(root: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
    """(library, queries): the first photo (by name) of each identity with >= 3 photos is held apart."""
    library: list[tuple[str, Path]] = []
    queries: list[tuple[str, Path]] = []
    by_person: dict[str, list[Path]] = {}
    for item in list_labelled_images(root, suffixes=IMAGE_SUFFIXES):
        by_person.setdefault(item.label, []).append(item.path)
    for person, files in by_person.items():
        if len(files) >= 3:
            queries.append((person, files[0]))
            files = files[1:]
        library.extend((person, f) for f in files)
    return library, queries


def upload_library(*, owner: Any, library: list[tuple[str, Path]]) -> dict[int, str]:
    """Upload the photos through the gallery service (which indexes them); photo id -> identity."""
    identities: dict[int, str] = {}
    for identity, path in library:
        upload = SimpleUploadedFile(path.name, path.read_bytes())
        photo = photo_create(owner=owner, upload=upload, title=f"{identity}/{path.name}")
        identities[photo.pk] = identity
    return identities


def run_holdout(
    *,
    owner: Any,
    root: Path,
    pipeline: FacePipeline,
    threshold: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> HoldoutReport:
    """Upload the library (indexed on commit) then search with every held-apart photo."""
    library, queries = split_holdout(root)
    started = time.perf_counter()
    identities = upload_library(owner=owner, library=library)
    return search_holdout(
        owner=owner,
        identities=identities,
        queries=queries,
        pipeline=pipeline,
        threshold=threshold,
        upload_seconds=time.perf_counter() - started,
        progress=progress,
    )


def search_holdout(
    *,
    owner: Any,
    identities: dict[int, str],
    queries: list[tuple[str, Path]],
    pipeline: FacePipeline,
    threshold: float | None = None,
    upload_seconds: float = 0.0,
    progress: Callable[[str], None] | None = None,
) -> HoldoutReport:
    """Search the owner's indexed library with each query; measure against the true photos."""
    min_similarity = search_threshold(pipeline) if threshold is None else threshold
    report = HoldoutReport(
        threshold=min_similarity, library_photos=len(identities), upload_seconds=upload_seconds
    )
    for identity, path in queries:
        truth = {pid for pid, who in identities.items() if who == identity}
        image = load_rgb(path.read_bytes())
        t0 = time.perf_counter()
        try:
            hits = search_by_image(
                user=owner, image=image, pipeline=pipeline, threshold=min_similarity, limit=1000
            ).hits
        except NoFaceInQueryError:
            hits = []
        seconds = time.perf_counter() - t0
        returned = [hit.photo.pk for hit in hits]
        correct = sum(pid in truth for pid in returned)
        wrong = [rank for rank, pid in enumerate(returned, start=1) if pid not in truth]
        outcome = QueryOutcome(
            identity=identity,
            query=path.name,
            truth=len(truth),
            returned=len(returned),
            correct=correct,
            precision=correct / len(returned) if returned else 0.0,
            recall=correct / len(truth) if truth else 1.0,
            first_wrong_rank=wrong[0] if wrong else None,
            seconds=seconds,
        )
        report.queries.append(outcome)
        if progress is not None:
            progress(
                f"{identity:<28} P={outcome.precision:.2f} R={outcome.recall:.2f} "
                f"({correct}/{len(truth)} found, {len(returned)} returned)"
            )
    if not report.queries:
        raise ValueError("No identity has 3 or more photos to hold one apart.")
    return report


@dataclass(frozen=True)
class QuerySimilarities:
    """One held-apart query: its identity's photos and every photo found above a low floor."""

    identity: str
    truth: frozenset[int]
    hits: tuple[tuple[int, float], ...]  # (photo id, similarity), best first


def query_similarities(
    *,
    owner: Any,
    identities: dict[int, str],
    queries: list[tuple[str, Path]],
    pipeline: FacePipeline,
    floor: float,
) -> list[QuerySimilarities]:
    """Search once per query at `floor`: any threshold above it can then be scored offline."""
    items = []
    for identity, path in queries:
        try:
            hits = search_by_image(
                user=owner, image=load_rgb(path.read_bytes()), pipeline=pipeline, threshold=floor, limit=1000
            ).hits
        except NoFaceInQueryError:
            hits = []
        items.append(
            QuerySimilarities(
                identity=identity,
                truth=frozenset(pid for pid, who in identities.items() if who == identity),
                hits=tuple((hit.photo.pk, hit.similarity) for hit in hits),
            )
        )
    return items


def scores_at(items: list[QuerySimilarities], threshold: float) -> tuple[float, float]:
    """Mean precision and mean recall at `threshold` (a query returning nothing has precision 0)."""
    precisions, recalls = [], []
    for item in items:
        returned = [pid for pid, similarity in item.hits if similarity >= threshold]
        correct = sum(pid in item.truth for pid in returned)
        precisions.append(correct / len(returned) if returned else 0.0)
        recalls.append(correct / len(item.truth) if item.truth else 1.0)
    return statistics.fmean(precisions), statistics.fmean(recalls)


def cross_validate(
    items: list[QuerySimilarities], *, folds: int, thresholds: list[float]
) -> list[dict[str, float]]:
    """For each fold of the queries (identities dealt round-robin by name), the threshold that
    maximises mean precision + mean recall on the other folds, and both measured on this fold."""
    ordered = sorted(items, key=lambda item: item.identity)
    results = []
    for fold in range(folds):
        held = [item for i, item in enumerate(ordered) if i % folds == fold]
        rest = [item for i, item in enumerate(ordered) if i % folds != fold]
        chosen = max(thresholds, key=lambda t: (sum(scores_at(rest, t)), t))  # a tie: the stricter
        precision, recall = scores_at(held, chosen)
        results.append(
            {
                "fold": fold,
                "queries": len(held),
                "threshold": chosen,
                "precision": precision,
                "recall": recall,
            }
        )
    return results
