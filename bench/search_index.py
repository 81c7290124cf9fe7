"""Nearest-neighbour search time over one user's faces, synthetic vectors.

    python bench/search_index.py [--dim 128] [--sizes 10000 100000 1000000] [--queries 50]

Prints the median and 95th-percentile time of one query (matrix product, threshold, best face per
photo, ranking) and the snapshot's memory. Vectors are random unit vectors with a planted cluster
of 40 faces of the query identity, so the result set is realistic (tens of photos, not millions).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recognition.ml.knn import FaceMatrix, l2_normalise


def build(n: int, dim: int, rng: np.random.Generator) -> tuple[FaceMatrix, np.ndarray]:
    vectors = l2_normalise(rng.standard_normal((n, dim), dtype=np.float32))
    centre = l2_normalise(rng.standard_normal(dim, dtype=np.float32))
    planted = rng.choice(n, size=min(40, n), replace=False)
    vectors[planted] = l2_normalise(
        centre + (0.6 / np.sqrt(dim)) * rng.standard_normal((len(planted), dim), dtype=np.float32)
    )
    photo_ids = np.arange(n) // 2  # two faces per photo on average
    return FaceMatrix(np.arange(1, n + 1), photo_ids, vectors, dim), centre


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"dim={args.dim} threshold={args.threshold} queries={args.queries}")
    print(f"{'faces':>10} {'median ms':>10} {'p95 ms':>8} {'results':>8} {'matrix MiB':>11}")
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


if __name__ == "__main__":
    main()
