"""Search-by-face quality and latency, end to end, on real photos.

    python bench/search_holdout.py [FACES_DIR] [--threshold T] [--database-url URL] [--folds 2]

Creates a throw-away SQLite database and media folder (or uses --database-url), uploads every photo
of FACES_DIR (default: MEMORY_STUDIO_FACES_DIR or ../shared/faces) except one held-apart photo per
identity with 3 or more photos, searches with each held-apart photo and prints precision, recall
and the rank of the first wrong result per identity, then the means and timings, including the
latency of POST /api/search/ through the full Django stack. Then searches again at each strictness
the search page offers (Loose / Default / Strict). With --folds K the queries are also split into
K folds by identity: the threshold maximising mean precision + mean recall is chosen on the other
folds and measured on each fold (the threshold is then never chosen on the queries it is scored
on). Writes bench/results/search_holdout.json (environment: commit, CPU, threads, load).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default_dir = os.environ.get("MEMORY_STUDIO_FACES_DIR", str(ROOT.parent / "shared" / "faces"))
    parser.add_argument("faces_dir", nargs="?", default=default_dir)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--folds", type=int, default=2, help="cross-validation folds by identity (0: none)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="memory-studio-bench-"))
    os.environ["MEMORY_STUDIO_DATA_DIR"] = str(workdir)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.pop("CELERY_BROKER_URL", None)  # index inline
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memory_studio.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from accounts.services import user_create
    from bench.people_data import write_result
    from bench.search_evaluation import (
        cross_validate,
        query_similarities,
        run_holdout,
        search_holdout,
        split_holdout,
    )
    from recognition.runtime import get_pipeline
    from recognition.search import strictness_thresholds

    call_command("migrate", verbosity=0)
    user = user_create(username=f"bench{int(time.time())}", password="bench-password-123")
    pipeline = get_pipeline()
    print(f"model={pipeline.embedder.key} faces_dir={args.faces_dir}")
    report = run_holdout(
        owner=user, root=Path(args.faces_dir), pipeline=pipeline, threshold=args.threshold, progress=print
    )
    print()
    print(f"library photos           {report.library_photos}")
    print(f"queries (identities)     {len(report.queries)}")
    print(f"threshold (cosine)       {report.threshold:.3f}")
    print(f"mean precision           {report.mean_precision:.3f}")
    print(f"mean recall              {report.mean_recall:.3f}")
    wrong = [q.first_wrong_rank for q in report.queries if q.first_wrong_rank is not None]
    print(f"queries with a wrong hit {len(wrong)}; first wrong ranks: {sorted(wrong)}")
    print(
        f"upload+index             {report.upload_seconds:.1f} s "
        f"({report.library_photos / report.upload_seconds:.2f} photos/s)"
    )
    print(f"search (service) median  {report.median_search_ms:.1f} ms per query (detect+embed+rank)")

    _, queries = split_holdout(Path(args.faces_dir))
    identities = {photo.pk: photo.title.split("/")[0] for photo in user.photos.all()}
    by_strictness = {}
    for word, value in strictness_thresholds(report.threshold).items():
        at = search_holdout(
            owner=user, identities=identities, queries=queries, pipeline=pipeline, threshold=value
        )
        by_strictness[word] = {
            "threshold": value,
            "mean_precision": round(at.mean_precision, 4),
            "mean_recall": round(at.mean_recall, 4),
            "queries_with_a_wrong_hit": sum(q.first_wrong_rank is not None for q in at.queries),
            # Precision counts 0 for a query that returns nothing; those queries are listed apart.
            "queries_with_no_result": sum(q.returned == 0 for q in at.queries),
        }
        print(
            f"{word:<8} >= {value:.4f}: precision {at.mean_precision:.3f}, recall {at.mean_recall:.3f}, "
            f"{by_strictness[word]['queries_with_no_result']} queries without a result"
        )

    cross_validated = []
    if args.folds:
        floor = min(strictness_thresholds(report.threshold).values()) - 0.05
        items = query_similarities(
            owner=user, identities=identities, queries=queries, pipeline=pipeline, floor=floor
        )
        grid = [round(floor + 0.0025 * i, 4) for i in range(int((1.0 - floor) / 0.0025))]
        cross_validated = cross_validate(items, folds=args.folds, thresholds=grid)
        for fold in cross_validated:
            print(
                f"fold {fold['fold']} ({fold['queries']} queries): threshold {fold['threshold']:.4f} "
                f"chosen on the other folds, precision {fold['precision']:.3f}, recall {fold['recall']:.3f}"
            )

    # The part of a photo search that keeps the query (preview, faces, embeddings: one INSERT).
    from recognition.ml.images import load_rgb
    from recognition.services import search_query_create

    keep_ms = []
    for _, path in queries:
        image = load_rgb(path.read_bytes())
        faces = pipeline.predict([image])[0]
        t0 = time.perf_counter()
        search_query_create(owner=user, image=image, faces=faces, model_key=pipeline.embedder.key)
        keep_ms.append((time.perf_counter() - t0) * 1000)
    print(f"keeping the query median {statistics.median(keep_ms):.1f} ms (preview + INSERT)")

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    latencies = []
    for _, path in queries:
        with path.open("rb") as fh:
            t0 = time.perf_counter()
            response = client.post("/api/search/", {"image": fh})
            latencies.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.content
    print(f"POST /api/search/ median {statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms")
    path = write_result(
        "search_holdout",
        {
            "model": pipeline.embedder.key,
            "library_photos": report.library_photos,
            "queries": len(report.queries),
            "threshold": report.threshold,
            "mean_precision": round(report.mean_precision, 4),
            "mean_recall": round(report.mean_recall, 4),
            "by_strictness": by_strictness,
            "cross_validated": cross_validated,
            "search_service_median_ms": round(report.median_search_ms, 1),
            "keep_query_median_ms": round(statistics.median(keep_ms), 1),
            "api_search_median_ms": round(statistics.median(latencies), 1),
            "api_search_max_ms": round(max(latencies), 1),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
