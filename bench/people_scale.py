"""People at library scale: clustering time, memory and quality on a synthetic library, and the
time to assign a new face against 100k labelled faces.

    python bench/people_scale.py [--faces 100000] [--queries 300] [--no-real] [--name people_scale]

The library (bench/people_synthetic.py) has dlib-resnet-like similarity statistics, printed next
to the real ones measured on MEMORY_STUDIO_FACES_DIR (embedded once, then cached; --no-real skips
this). Reported:

* `cluster_faces` on all faces: wall and CPU time, peak traced memory (tracemalloc, a second
  run) and the process's peak RSS; quality against the generator's identities (pairwise and
  BCubed precision/recall, persons created, clusters holding faces of two siblings, faces not of
  their cluster's majority identity, same-photo violations, cluster size histogram), and the
  same for connected components on the same graph (the baseline).
* `PersonIndex.assign` with ~100k labelled faces of ~1k persons: median and p95 time of one new
  face, time per face in a batch, and the assignment precision/recall of those queries.

Bars: clustering <= 25 s, one face <= 10 ms (median) on the project's 2-core machines.
Writes bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from bench.people_clustering import connected_components, largest_faces  # noqa: E402
from bench.people_data import (  # noqa: E402
    contingency_metrics,
    default_faces_dir,
    embed_folder,
    reference_gflops,
    write_result,
)
from bench.people_synthetic import SyntheticLibrary, synthetic_library  # noqa: E402
from recognition.ml.people import (  # noqa: E402
    CandidateFaces,
    LabelledFaces,
    PeopleParams,
    PersonIndex,
    cluster_faces,
    default_params,
)

IntArray = npt.NDArray[np.int64]


def pair_stats(vectors: npt.NDArray[np.float32], identities: npt.NDArray[Any]) -> dict[str, Any]:
    sims = vectors @ vectors.T
    iu = np.triu_indices(len(vectors), 1)
    same = (identities[:, None] == identities[None, :])[iu]
    values = sims[iu]
    q = [0.01, 0.05, 0.5, 0.95, 0.99]
    out = {}
    for key, part in (("same_person", values[same]), ("different_persons", values[~same])):
        out[key] = {
            "pairs": len(part),
            "mean": float(part.mean()),
            "std": float(part.std()),
            "quantiles": dict(zip(map(str, q), np.quantile(part, q).round(4).tolist(), strict=True)),
        }
    return out


def candidates_of(lib: SyntheticLibrary) -> CandidateFaces:
    m = len(lib.vectors)
    return CandidateFaces(
        face_ids=np.arange(m, dtype=np.int64),
        vectors=lib.vectors,
        photo_ids=lib.photo_ids,
        sizes=lib.sizes,
        scores=lib.scores,
        rejected=(),
    )


def quality(labels: IntArray, lib: SyntheticLibrary, params: PeopleParams) -> dict[str, Any]:
    identities = lib.identities
    clustered = labels >= 0
    counts = np.bincount(identities)
    recurring = counts[identities] >= params.min_cluster_size
    metrics = contingency_metrics(labels, identities)
    metrics["pairwise_recall_identities_with_3_or_more"] = contingency_metrics(
        labels[recurring], identities[recurring]
    )["pairwise_recall"]
    impure = 0
    sibling_clusters = 0
    sizes = []
    for k in range(int(labels.max(initial=-1)) + 1):
        members = identities[labels == k]
        sizes.append(len(members))
        ids, n = np.unique(members, return_counts=True)
        impure += int(len(members) - n.max())
        majority = int(ids[np.argmax(n)])
        sibling = lib.sibling_of.get(majority)
        if sibling is not None and sibling in set(ids.tolist()):
            sibling_clusters += 1
    pairs = np.unique(np.stack([labels[clustered], lib.photo_ids[clustered]], axis=1), axis=0)
    seeds = (lib.sizes >= params.min_seed_size) & (lib.scores >= params.min_seed_score)
    seeded = np.unique(labels[clustered & seeds])
    size_arr = np.array(sizes)
    return metrics | {
        "persons_created": len(sizes),
        "identities_with_3_or_more_faces": int((counts >= params.min_cluster_size).sum()),
        "identities": len(counts),
        "faces_clustered": int(clustered.sum()),
        "poor_faces_clustered": int((clustered & lib.poor).sum()),
        "faces_not_of_cluster_majority": impure,
        "clusters_with_faces_of_two_siblings": sibling_clusters,
        "same_photo_violations": int(clustered.sum() - len(pairs)),
        "clusters_without_seed": len(sizes) - len(seeded),
        "smallest_cluster": int(size_arr.min()) if len(size_arr) else 0,
        "cluster_sizes": {
            "3-5": int(((size_arr >= 3) & (size_arr <= 5)).sum()),
            "6-20": int(((size_arr >= 6) & (size_arr <= 20)).sum()),
            "21-200": int(((size_arr >= 21) & (size_arr <= 200)).sum()),
            ">200": int((size_arr > 200).sum()),
        },
    }


def clustering(lib: SyntheticLibrary, params: PeopleParams) -> dict[str, Any]:
    candidates = candidates_of(lib)
    calls = 0

    def progress(done: int, total: int) -> None:
        nonlocal calls
        calls += 1

    began, cpu = time.perf_counter(), time.process_time()
    result = cluster_faces(candidates, params, progress=progress)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    repeat = cluster_faces(candidates, params)
    deterministic = bool(np.array_equal(result.labels, repeat.labels))
    tracemalloc.start()
    cluster_faces(candidates, params)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out = {
        "faces": len(lib.vectors),
        "photos": len(np.unique(lib.photo_ids)),
        "seeds": int(candidates.seed_mask(params).sum()),
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_traced_mib": peak / 2**20,
        "progress_calls": calls,
        "deterministic": deterministic,
        "quality": quality(result.labels, lib, params),
    }
    began = time.perf_counter()
    baseline = connected_components(lib.vectors, params)
    out["baseline_connected_components"] = {"wall_s": time.perf_counter() - began} | quality(
        baseline, lib, params
    )
    # The baseline at stricter thresholds: does it reach the engine's precision anywhere?
    sweep: list[dict[str, Any]] = []
    out["baseline_connected_components_sweep"] = sweep
    for threshold in (0.94, 0.95):
        labels = connected_components(lib.vectors, replace(params, cluster_similarity=threshold))
        q = quality(labels, lib, params)
        sweep.append(
            {"cluster_similarity": threshold}
            | {
                k: q[k]
                for k in (
                    "pairwise_precision",
                    "pairwise_recall",
                    "bcubed_f",
                    "persons_created",
                    "faces_not_of_cluster_majority",
                    "clusters_with_faces_of_two_siblings",
                    "same_photo_violations",
                )
            }
        )
    return out


def assignment(params: PeopleParams, *, n_queries: int, seed: int = 1) -> dict[str, Any]:
    """~100k labelled faces of ~1k persons (the family and recurring people of a 125k library)."""
    lib = synthetic_library(125_000, seed=seed)
    rng = np.random.default_rng(seed)
    known = np.isin(lib.kind[lib.identities], ["family", "recurring"]) & ~lib.poor
    queries = np.sort(rng.choice(np.flatnonzero(known), size=n_queries, replace=False))
    labelled_rows = np.setdiff1d(
        np.flatnonzero(np.isin(lib.kind[lib.identities], ["family", "recurring"])), queries
    )
    labelled = LabelledFaces(
        vectors=lib.vectors[labelled_rows],
        person_ids=lib.identities[labelled_rows],
        photo_ids=lib.photo_ids[labelled_rows],
    )
    began = time.perf_counter()
    index = PersonIndex(labelled, params)
    build_s = time.perf_counter() - began

    def one(row: int) -> CandidateFaces:
        return CandidateFaces(
            face_ids=np.array([row], dtype=np.int64),
            vectors=lib.vectors[row : row + 1],
            photo_ids=np.array([10**9 + row], dtype=np.int64),  # a new photo
            sizes=lib.sizes[row : row + 1],
            scores=lib.scores[row : row + 1],
            rejected=[frozenset()],
        )

    index.assign(one(int(queries[0])))  # warm-up
    times = []
    results = []
    for row in queries.tolist():
        candidate = one(row)
        t0 = time.perf_counter()
        results.extend(index.assign(candidate))
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    batch = CandidateFaces(
        face_ids=queries,
        vectors=lib.vectors[queries],
        photo_ids=10**9 + queries,
        sizes=lib.sizes[queries],
        scores=lib.scores[queries],
        rejected=[frozenset()] * len(queries),
    )
    t0 = time.perf_counter()
    batch_results = index.assign(batch)
    batch_ms = (time.perf_counter() - t0) * 1000
    truth = lib.identities[queries]
    assigned = np.array([r.person_id is not None for r in results])
    correct = np.array([r.person_id == t for r, t in zip(results, truth, strict=True)])
    suggested = np.array([r.suggested_person_id is not None for r in results])
    suggested_ok = np.array([r.suggested_person_id == t for r, t in zip(results, truth, strict=True)])
    same = all(
        (a.person_id, a.suggested_person_id) == (b.person_id, b.suggested_person_id)
        for a, b in zip(results, batch_results, strict=True)
    )
    return {
        "labelled_faces": len(labelled_rows),
        "persons": len(index.persons),
        "index_build_s": build_s,
        "queries": n_queries,
        "one_face_median_ms": statistics.median(times),
        "one_face_p95_ms": times[int(0.95 * (len(times) - 1))],
        "batch_ms_per_face": batch_ms / n_queries,
        "batch_matches_one_by_one": same,
        "assignment_precision": float(correct[assigned].mean()) if assigned.any() else None,
        "assignment_recall": float(correct.mean()),
        "suggested": int(suggested.sum()),
        "suggestion_precision": float(suggested_ok[suggested].mean()) if suggested.any() else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-real", action="store_true", help="skip the real-photo similarity statistics")
    parser.add_argument("--name", default="people_scale", help="result file bench/results/NAME.json")
    args = parser.parse_args()
    params = default_params("dlib-resnet", threshold=0.93)
    print(f"params {params}")
    results: dict[str, Any] = {
        "params": asdict(params),
        "at_start": {"load_average": list(os.getloadavg()), "reference_gemm_gflops": reference_gflops()},
    }

    began = time.perf_counter()
    lib = synthetic_library(args.faces, seed=args.seed)
    print(
        f"load average {results['at_start']['load_average']}, reference float32 GEMM "
        f"{results['at_start']['reference_gemm_gflops']:.0f} GFLOPS "
        "(a similar product ran at ~120 when this machine was idle)"
    )
    print(
        f"synthetic library: {len(lib.vectors)} faces, {len(np.unique(lib.photo_ids))} photos, "
        f"{len(lib.kind)} identities, {int(lib.poor.sum())} small/low-score faces "
        f"(generated in {time.perf_counter() - began:.1f} s)"
    )
    rng = np.random.default_rng(0)
    good = np.flatnonzero(~lib.poor & np.isin(lib.kind[lib.identities], ["family", "recurring"]))
    # Sample identities, then a few faces of each, so that same-person pairs are plentiful.
    sample_ids = rng.choice(np.unique(lib.identities[good]), size=150, replace=False)
    sample = np.concatenate(
        [
            rng.choice(
                good[lib.identities[good] == i],
                size=min(6, int((lib.identities[good] == i).sum())),
                replace=False,
            )
            for i in sample_ids
        ]
    )
    results["similarities"] = {"synthetic": pair_stats(lib.vectors[sample], lib.identities[sample])}
    if not args.no_real:
        candidates, truth = largest_faces(embed_folder(default_faces_dir(), verbose=True))
        results["similarities"]["real"] = pair_stats(candidates.vectors, truth)
    print("\nsimilarities (cosine)      mean    std     1%     5%    50%    95%    99%")
    for source, stats in results["similarities"].items():
        for key, s in stats.items():
            qs = " ".join(f"{v:6.3f}" for v in s["quantiles"].values())
            print(f"  {source:<9} {key:<17} {s['mean']:.3f}  {s['std']:.3f} {qs}")

    print("\nclustering ...")
    c = clustering(lib, params)
    results["clustering"] = c
    q = c["quality"]
    b = c["baseline_connected_components"]
    print(
        f"cluster_faces: {c['faces']} faces ({c['seeds']} seeds): {c['wall_s']:.1f} s wall, "
        f"{c['cpu_s']:.1f} s CPU, peak traced memory {c['peak_traced_mib']:.0f} MiB, "
        f"deterministic {c['deterministic']}"
    )
    print(f"{'':<24}{'engine':>12}{'conn. comp.':>14}")
    for key in (
        "pairwise_precision",
        "pairwise_recall",
        "pairwise_recall_identities_with_3_or_more",
        "bcubed_precision",
        "bcubed_recall",
        "bcubed_f",
    ):
        print(f"  {key[:40]:<40}{q[key]:>10.4f}{b[key]:>12.4f}")
    for key in (
        "persons_created",
        "identities_with_3_or_more_faces",
        "faces_clustered",
        "poor_faces_clustered",
        "faces_not_of_cluster_majority",
        "clusters_with_faces_of_two_siblings",
        "same_photo_violations",
        "clusters_without_seed",
        "smallest_cluster",
    ):
        print(f"  {key:<40}{q[key]:>10}{b[key]:>12}")
    print(
        f"  cluster sizes {q['cluster_sizes']} (baseline {b['cluster_sizes']}); baseline {b['wall_s']:.1f} s"
    )
    for row in c["baseline_connected_components_sweep"]:
        print(f"  connected components at {row['cluster_similarity']}: {row}")

    print("\nassignment ...")
    a = assignment(params, n_queries=args.queries)
    results["assignment"] = a
    print(
        f"PersonIndex: {a['labelled_faces']} labelled faces of {a['persons']} persons (built in "
        f"{a['index_build_s']:.2f} s): one face median {a['one_face_median_ms']:.2f} ms, p95 "
        f"{a['one_face_p95_ms']:.2f} ms; batch of {a['queries']}: {a['batch_ms_per_face']:.2f} ms/face "
        f"(same answers: {a['batch_matches_one_by_one']})"
    )
    print(
        f"  assignment precision {a['assignment_precision']:.4f} recall {a['assignment_recall']:.4f}; "
        f"{a['suggested']} suggestions, precision {a['suggestion_precision']}"
    )
    results["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS {results['peak_rss_mib']:.0f} MiB")
    path = write_result(args.name, results)
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
