"""Nearest-neighbour search time over one user's faces, synthetic vectors; and how a process's
snapshot of them is kept fresh through the database.

    python bench/search_index.py [--dim 128] [--sizes 10000 100000 1000000] [--queries 50]
                                 [--refresh-faces 100000] [--database-url URL]

1. Search: the median and 95th-percentile time of one query (matrix product, threshold, best face
   per photo, ranking) and the snapshot's memory. Vectors are random unit vectors with a planted
   cluster of 40 faces of the query identity, so the result set is realistic (tens of photos).
2. Refresh (--refresh-faces N, 0 to skip): one user with N faces stored in a throw-away SQLite
   database (or --database-url); the time `recognition.index.face_matrix` takes to load them
   first, to answer unchanged, and to catch up after one photo is indexed and after one is
   deleted (which every web and worker process pays on its next search).

Writes bench/results/search_index.json (commit, CPU, threads, load average, figures).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from recognition.ml.knn import FaceMatrix, l2_normalise  # noqa: E402


def build(n: int, dim: int, rng: np.random.Generator) -> tuple[FaceMatrix, np.ndarray]:
    vectors = l2_normalise(rng.standard_normal((n, dim), dtype=np.float32))
    centre = l2_normalise(rng.standard_normal(dim, dtype=np.float32))
    planted = rng.choice(n, size=min(40, n), replace=False)
    vectors[planted] = l2_normalise(
        centre + (0.6 / np.sqrt(dim)) * rng.standard_normal((len(planted), dim), dtype=np.float32)
    )
    photo_ids = np.arange(n) // 2  # two faces per photo on average
    return FaceMatrix(np.arange(1, n + 1), photo_ids, vectors, dim), centre


def search_times(args: argparse.Namespace) -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    print(f"dim={args.dim} threshold={args.threshold} queries={args.queries}")
    print(f"{'faces':>10} {'median ms':>10} {'p95 ms':>8} {'results':>8} {'matrix MiB':>11}")
    rows = []
    for n in args.sizes:
        matrix, centre = build(n, args.dim, rng)
        matrix.search(centre, min_similarity=args.threshold)  # warm-up
        times = []
        found = 0
        for _ in range(args.queries):
            q = centre + (0.3 / np.sqrt(args.dim)) * rng.standard_normal(args.dim).astype(np.float32)
            start = time.perf_counter()
            found = len(matrix.search(q, min_similarity=args.threshold, limit=200))
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        mib = matrix.vectors.nbytes / 2**20
        print(f"{n:>10} {statistics.median(times):>10.2f} {p95:>8.2f} {found:>8} {mib:>11.1f}")
        rows.append({"faces": n, "median_ms": statistics.median(times), "p95_ms": p95, "results": found})
    return rows


def refresh_times(faces: int, dim: int, database_url: str | None, repeat: int) -> dict[str, Any]:
    """face_matrix() after nothing, one indexed photo and one deleted photo, at `faces` faces."""
    os.environ["MEMORY_STUDIO_DATA_DIR"] = tempfile.mkdtemp(prefix="memory-studio-index-bench-")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["RECOGNITION_PRELOAD"] = "0"
    os.environ.pop("CELERY_BROKER_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "memory_studio.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from bench.db_library import file_less_photo
    from gallery.models import Photo
    from gallery.services import photo_delete
    from recognition import index
    from recognition.ml.types import DetectedFace, FaceEmbedding
    from recognition.models import Face
    from recognition.services import photo_faces_replace

    call_command("migrate", verbosity=0, interactive=False)
    model = "dlib-resnet"
    user = User.objects.create_user("bench", password="bench-pass-123")
    rng = np.random.default_rng(1)
    now = timezone.now()

    def photo(k: int) -> Photo:
        return file_less_photo(owner=user, k=k, taken_at=now, model_key=model)

    began = time.perf_counter()
    photos = Photo.objects.bulk_create([photo(k) for k in range(faces // 2)], batch_size=5000)
    marks = [[10.0, 10.0], [30.0, 10.0], [20.0, 20.0], [12.0, 30.0], [28.0, 30.0]]
    vectors = l2_normalise(rng.standard_normal((faces, dim), dtype=np.float32))
    Face.objects.bulk_create(
        (
            Face(
                owner=user,
                photo_id=photos[i // 2].pk,
                model_key=model,
                x1=0.0,
                y1=0.0,
                x2=50.0,
                y2=50.0,
                landmarks=marks,
                score=0.99,
                dim=dim,
                embedding=np.asarray(vectors[i], dtype="<f4").tobytes(),
            )
            for i in range(faces)
        ),
        batch_size=5000,
    )
    print(f"\n{faces} faces on {len(photos)} photos stored in {time.perf_counter() - began:.1f} s")

    def timed() -> float:
        start = time.perf_counter()
        matrix = index.face_matrix(owner_id=user.pk, model_key=model)
        assert matrix is not None
        return (time.perf_counter() - start) * 1000

    index.clear_cache()
    first = [timed()]
    for _ in range(repeat - 1):
        index.clear_cache()
        first.append(timed())
    unchanged = [timed() for _ in range(repeat)]
    added, deleted = [], []
    marks_t = tuple((float(x), float(y)) for x, y in marks)
    for k in range(repeat):
        new = photo(faces + k)
        new.save()
        face = FaceEmbedding(
            face=DetectedFace(box=(0.0, 0.0, 50.0, 50.0), score=0.99, landmarks=marks_t),
            vector=l2_normalise(rng.standard_normal(dim, dtype=np.float32)),
        )
        photo_faces_replace(photo_id=new.pk, model_key=model, faces=[face])
        added.append(timed())
        photo_delete(photo=photos[k])
        deleted.append(timed())
    figures = {
        "faces": faces,
        "database": "postgresql" if database_url and database_url.startswith("postgres") else "sqlite",
        "first_load_ms": statistics.median(first),
        "unchanged_ms": statistics.median(unchanged),
        "after_one_indexed_photo_ms": statistics.median(added),
        "after_one_deleted_photo_ms": statistics.median(deleted),
        "repeat": repeat,
    }
    for key, value in figures.items():
        print(f"  {key}: {value:.2f}" if isinstance(value, float) else f"  {key}: {value}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--refresh-faces", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="refresh measurements, the median is kept")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--name", default="search_index", help="bench/results/<name>.json")
    args = parser.parse_args()
    results: dict[str, Any] = {"search": search_times(args), "dim": args.dim, "threshold": args.threshold}
    if args.refresh_faces:
        results["refresh"] = refresh_times(args.refresh_faces, args.dim, args.database_url, args.repeat)
    from bench.people_data import write_result

    print(f"wrote {write_result(args.name, results)}")


if __name__ == "__main__":
    main()
