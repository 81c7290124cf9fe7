"""People: clustering and assignment quality on labelled photo folders.

    python bench/people_clustering.py [DIR ...] [--model dlib-resnet] [--name people_clustering]

For each `<person>/<photo>` folder (default: MEMORY_STUDIO_FACES_DIR or ../shared/faces), every
photo is run through the real pipeline (embeddings cached, see bench/people_data.py) and:

1. **From scratch**: the largest face of every photo is clustered by `cluster_faces` and by two
   baselines on the same neighbour graph and threshold: connected components (single linkage)
   and Chinese whispers (dlib's face clustering); clusters below `min_cluster_size` are
   dissolved for all three. Reported: pairwise precision (over all clustered pairs), pairwise
   recall (over identities with >= 3 photos), BCubed precision/recall/F (unclustered faces count
   as singletons), persons created vs identities, same-photo violations; and a threshold sweep.
2. **All faces**: every detected face (background faces have no known identity): same-photo
   violations and the precision on the labelled (largest) faces.
3. **Incremental**: half the photos (alternate photos of each identity) are clustered, each
   cluster is named after its majority identity (clusters of one identity become one person, as
   a user naming them would), then `PersonIndex.assign` places every face of the other half.
   Reported: assignment precision and recall (recall over faces whose identity has a person),
   suggestion precision, same-photo violations, and the same for a nearest-face score (top-1).

Writes bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from bench.people_data import (  # noqa: E402
    EmbeddedPhoto,
    default_faces_dir,
    embed_folder,
    embed_scaled,
    write_result,
)
from recognition.ml.people import (  # noqa: E402
    CandidateFaces,
    LabelledFaces,
    PeopleParams,
    PersonIndex,
    cluster_faces,
    default_params,
    neighbours,
)
from recognition.ml.registry import embedder_class  # noqa: E402

IntArray = npt.NDArray[np.int64]


# --- metrics ---------------------------------------------------------------------------------


def _pairs_same(values: npt.NDArray[Any]) -> int:
    _, counts = np.unique(values, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def clustering_metrics(labels: IntArray, truth: npt.NDArray[Any], min_photos: int = 3) -> dict[str, Any]:
    """Pairwise and BCubed scores of `labels` (-1 = unclustered) against identities `truth`."""
    clustered = labels >= 0
    predicted_pairs = 0
    correct_pairs = 0
    for k in np.unique(labels[clustered]):
        members = truth[labels == k]
        predicted_pairs += len(members) * (len(members) - 1) // 2
        correct_pairs += _pairs_same(members)
    ids, counts = np.unique(truth, return_counts=True)
    big = set(ids[counts >= min_photos].tolist())
    in_big = np.array([t in big for t in truth])
    true_pairs = _pairs_same(truth[in_big])
    found_pairs = 0
    for k in np.unique(labels[clustered & in_big]):
        found_pairs += _pairs_same(truth[(labels == k) & in_big])
    # BCubed: each face's cluster (itself when unclustered) vs its identity.
    singleton = np.arange(len(labels)) + labels.max(initial=0) + 1
    cluster = np.where(clustered, labels, singleton)
    precision = np.empty(len(labels))
    recall = np.empty(len(labels))
    for i in range(len(labels)):
        same_cluster = cluster == cluster[i]
        same_truth = truth == truth[i]
        both = np.count_nonzero(same_cluster & same_truth)
        precision[i] = both / np.count_nonzero(same_cluster)
        recall[i] = both / np.count_nonzero(same_truth)
    bp, br = float(precision.mean()), float(recall.mean())
    majority: Counter[str] = Counter()  # identity -> number of clusters where it is the majority
    for k in np.unique(labels[clustered]):
        majority[Counter(truth[labels == k].tolist()).most_common(1)[0][0]] += 1
    return {
        "pairwise_precision": correct_pairs / predicted_pairs if predicted_pairs else 1.0,
        "pairwise_recall": found_pairs / true_pairs if true_pairs else 1.0,
        "predicted_pairs": predicted_pairs,
        "wrong_pairs": predicted_pairs - correct_pairs,
        "bcubed_precision": bp,
        "bcubed_recall": br,
        "bcubed_f": 2 * bp * br / (bp + br) if bp + br else 0.0,
        "persons_created": len(np.unique(labels[clustered])),
        "identities": len(ids),
        f"identities_with_{min_photos}_or_more": len(big),
        "identities_split": sum(1 for n in majority.values() if n > 1),
        "faces_clustered": int(clustered.sum()),
        "faces": len(labels),
    }


def same_photo_violations(labels: IntArray, photo_ids: IntArray) -> int:
    """Clusters holding two faces of one photo (counted per extra face)."""
    keep = labels >= 0
    pairs = np.unique(np.stack([labels[keep], photo_ids[keep]], axis=1), axis=0)
    return int(keep.sum() - len(pairs))


# --- baselines on the same graph ----------------------------------------------------------------


def _graph(vectors: npt.NDArray[np.float32], params: PeopleParams) -> tuple[IntArray, IntArray]:
    rows, cols, _ = neighbours(
        vectors, vectors, k=params.knn, min_similarity=params.cluster_similarity, same_set=True
    )
    return rows, cols


def _dissolve_small(raw: IntArray, min_size: int) -> IntArray:
    ids, inverse, counts = np.unique(raw, return_inverse=True, return_counts=True)
    big = counts >= min_size
    order = np.argsort(-counts[big], kind="stable")
    relabel = np.full(len(ids), -1, dtype=np.int64)
    relabel[np.flatnonzero(big)[order]] = np.arange(int(big.sum()))
    labels: IntArray = relabel[inverse]
    return labels


def connected_components(vectors: npt.NDArray[np.float32], params: PeopleParams) -> IntArray:
    rows, cols = _graph(vectors, params)
    parent = np.arange(len(vectors))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    for a, b in zip(rows.tolist(), cols.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(len(vectors))], dtype=np.int64)
    return _dissolve_small(roots, params.min_cluster_size)


def chinese_whispers(
    vectors: npt.NDArray[np.float32], params: PeopleParams, iterations: int = 100
) -> IntArray:
    """dlib's chinese_whispers: each node takes its neighbours' heaviest label (seeded order)."""
    rows, cols = _graph(vectors, params)
    sims = np.einsum("ij,ij->i", vectors[rows], vectors[cols])
    adjacency: list[list[tuple[int, float]]] = [[] for _ in range(len(vectors))]
    for a, b, s in zip(rows.tolist(), cols.tolist(), sims.tolist(), strict=True):
        adjacency[a].append((b, s))
        adjacency[b].append((a, s))
    label = np.arange(len(vectors))
    rng = np.random.default_rng(0)
    for _ in range(iterations):
        changed = False
        for node in rng.permutation(len(vectors)).tolist():
            if not adjacency[node]:
                continue
            weights: dict[int, float] = {}
            for other, s in adjacency[node]:
                weights[int(label[other])] = weights.get(int(label[other]), 0.0) + s
            best = max(weights.items(), key=lambda kv: (kv[1], -kv[0]))[0]
            if best != label[node]:
                label[node] = best
                changed = True
        if not changed:
            break
    return _dissolve_small(label.astype(np.int64), params.min_cluster_size)


# --- scenarios ---------------------------------------------------------------------------------


def largest_faces(photos: list[EmbeddedPhoto]) -> tuple[CandidateFaces, npt.NDArray[Any]]:
    kept = [p for p in photos if len(p.scores)]
    m = len(kept)
    candidates = CandidateFaces(
        face_ids=np.arange(m, dtype=np.int64),
        vectors=np.stack([p.vectors[0] for p in kept]).astype(np.float32),
        photo_ids=np.arange(m, dtype=np.int64),
        sizes=np.array([p.sizes[0] for p in kept], dtype=np.float32),
        scores=np.array([p.scores[0] for p in kept], dtype=np.float32),
        rejected=[frozenset()] * m,
    )
    return candidates, np.array([p.label for p in kept])


def all_faces(photos: list[EmbeddedPhoto], photo_offset: int = 0) -> tuple[CandidateFaces, npt.NDArray[Any]]:
    """Every face; only the largest face of a photo has a known identity ('' for the others)."""
    vectors, photo_ids, sizes, scores, truth = [], [], [], [], []
    for index, photo in enumerate(photos):
        for f in range(len(photo.scores)):
            vectors.append(photo.vectors[f])
            photo_ids.append(photo_offset + index)
            sizes.append(photo.sizes[f])
            scores.append(photo.scores[f])
            truth.append(photo.label if f == 0 else "")
    m = len(vectors)
    candidates = CandidateFaces(
        face_ids=np.arange(m, dtype=np.int64),
        vectors=np.array(vectors, dtype=np.float32).reshape(m, -1),
        photo_ids=np.array(photo_ids, dtype=np.int64),
        sizes=np.array(sizes, dtype=np.float32),
        scores=np.array(scores, dtype=np.float32),
        rejected=[frozenset()] * m,
    )
    return candidates, np.array(truth)


def from_scratch(photos: list[EmbeddedPhoto], params: PeopleParams) -> dict[str, Any]:
    candidates, truth = largest_faces(photos)
    vectors = candidates.vectors
    # The seed rule is part of the engine; the baselines see every face. On these photos every
    # largest face is a seed, so the comparison is like for like.
    methods: dict[str, Callable[[PeopleParams], IntArray]] = {
        "engine": lambda p: cluster_faces(candidates, p).labels,
        "connected_components": lambda p: connected_components(vectors, p),
        "chinese_whispers": lambda p: chinese_whispers(vectors, p),
    }
    out: dict[str, Any] = {
        "faces": len(truth),
        "seeds": int(candidates.seed_mask(params).sum()),
        "at_default": {},
        "sweep": [],
    }
    for name, method in methods.items():
        labels = method(params)
        out["at_default"][name] = clustering_metrics(labels, truth) | {
            "same_photo_violations": same_photo_violations(labels, candidates.photo_ids),
            "mixed_clusters": _mixed(labels, truth),
        }
    for threshold in np.round(np.arange(0.88, 0.961, 0.01), 3).tolist():
        swept = replace(params, cluster_similarity=threshold)
        row: dict[str, Any] = {"cluster_similarity": threshold}
        for name, method in methods.items():
            m = clustering_metrics(method(swept), truth)
            row[name] = {
                k: m[k]
                for k in (
                    "pairwise_precision",
                    "pairwise_recall",
                    "bcubed_f",
                    "persons_created",
                    "wrong_pairs",
                )
            }
        out["sweep"].append(row)
    return out


def _mixed(labels: IntArray, truth: npt.NDArray[Any]) -> list[dict[str, int]]:
    mixed = []
    for k in np.unique(labels[labels >= 0]):
        counts = Counter(truth[labels == k].tolist())
        if len(counts) > 1:
            mixed.append(dict(counts))
    return mixed


def with_all_faces(photos: list[EmbeddedPhoto], params: PeopleParams) -> dict[str, Any]:
    candidates, truth = all_faces(photos)
    labels = cluster_faces(candidates, params).labels
    known = truth != ""
    metrics = clustering_metrics(labels[known], truth[known])
    return {
        "faces": len(truth),
        "background_faces": int((~known).sum()),
        "seeds": int(candidates.seed_mask(params).sum()),
        "same_photo_violations": same_photo_violations(labels, candidates.photo_ids),
        "background_faces_clustered": int((labels[~known] >= 0).sum()),
        "labelled_faces": {
            k: metrics[k] for k in ("pairwise_precision", "pairwise_recall", "bcubed_f", "persons_created")
        },
    }


def split_halves(photos: list[EmbeddedPhoto]) -> tuple[list[EmbeddedPhoto], list[EmbeddedPhoto]]:
    """Alternate photos of each identity (sorted by path): the first, third, ... go to half A."""
    first: list[EmbeddedPhoto] = []
    second: list[EmbeddedPhoto] = []
    seen: Counter[str] = Counter()
    for photo in sorted(photos, key=lambda p: str(p.path)):
        (first if seen[photo.label] % 2 == 0 else second).append(photo)
        seen[photo.label] += 1
    return first, second


def incremental(photos: list[EmbeddedPhoto], params: PeopleParams, *, oracle: bool = False) -> dict[str, Any]:
    """Cluster half A and name the clusters, then assign half B. With `oracle`, every labelled
    face of half A is named instead (every identity with a photo in A becomes a person)."""
    half_a, half_b = split_halves(photos)
    cand_a, truth_a = all_faces(half_a)
    person_of_name: dict[str, int] = {}
    person_ids = np.full(len(truth_a), -1, dtype=np.int64)
    if oracle:
        for i, name in enumerate(truth_a.tolist()):
            if name:
                person_ids[i] = person_of_name.setdefault(name, len(person_of_name))
    else:
        labels_a = cluster_faces(cand_a, params).labels
        # The user names each cluster after its majority (known) identity; one name, one person.
        for k in np.unique(labels_a[labels_a >= 0]):
            names = Counter(t for t in truth_a[labels_a == k].tolist() if t)
            if not names:
                continue  # only background faces: the user would not name it
            name = names.most_common(1)[0][0]
            person_ids[labels_a == k] = person_of_name.setdefault(name, len(person_of_name))
    named = person_ids >= 0
    labelled = LabelledFaces(
        vectors=cand_a.vectors[named], person_ids=person_ids[named], photo_ids=cand_a.photo_ids[named]
    )
    name_of_person = {v: k for k, v in person_of_name.items()}
    cand_b, truth_b = all_faces(half_b, photo_offset=10**6)
    out: dict[str, Any] = {
        "photos_clustered": len(half_a),
        "named": "every labelled face" if oracle else "clusters, after their majority identity",
        "persons_named": len(person_of_name),
        "labelled_faces": int(named.sum()),
        "photos_assigned": len(half_b),
        "faces_assigned_from": len(truth_b),
    }
    for variant, top_k in (("engine", params.assign_top_k), ("nearest_face", 1)):
        index = PersonIndex(labelled, replace(params, assign_top_k=top_k))
        result = index.assign(cand_b)
        known = truth_b != ""
        assignable = np.array([t in person_of_name for t in truth_b]) & known
        assigned = np.array([a.person_id is not None for a in result])
        suggested = np.array([a.suggested_person_id is not None for a in result])
        correct_assigned = np.array(
            [
                a.person_id is not None and name_of_person[a.person_id] == t
                for a, t in zip(result, truth_b, strict=False)
            ]
        )
        correct_suggested = np.array(
            [
                a.suggested_person_id is not None and name_of_person[a.suggested_person_id] == t
                for a, t in zip(result, truth_b, strict=False)
            ]
        )
        given = [
            (int(cand_b.photo_ids[i]), a.person_id or a.suggested_person_id)
            for i, a in enumerate(result)
            if a.person_id is not None or a.suggested_person_id is not None
        ]
        out[variant] = {
            "assign_top_k": top_k,
            "assignment_precision": _ratio(correct_assigned[known].sum(), assigned[known].sum()),
            "assignment_recall": _ratio(correct_assigned[assignable].sum(), assignable.sum()),
            "assigned": int(assigned[known].sum()),
            "wrong_assignments": int((assigned & ~correct_assigned)[known].sum()),
            "suggestion_precision": _ratio(correct_suggested[known].sum(), suggested[known].sum()),
            "suggested": int(suggested[known].sum()),
            "suggested_faces_of_named_identities": int(suggested[assignable].sum()),
            "suggestion_precision_on_named_identities": _ratio(
                correct_suggested[assignable].sum(), suggested[assignable].sum()
            ),
            "assignable_faces": int(assignable.sum()),
            "faces_of_unnamed_identities": int((known & ~assignable).sum()),
            "unnamed_identity_faces_assigned": int((assigned & known & ~assignable).sum()),
            "background_faces_assigned": int(assigned[~known].sum()),
            "background_faces_suggested": int(suggested[~known].sum()),
            "same_photo_violations": len(given) - len(set(given)),
        }
    return out


def _ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def face_size_check(
    photos: list[EmbeddedPhoto], targets: list[int], threshold: float
) -> list[dict[str, Any]]:
    """How embeddings degrade when faces are small (the evidence for `min_seed_size`).

    Each photo with a face of >= 80 px is scaled down so that its largest face is `target` px,
    detected and embedded again, and compared with the full-size faces of the other photos.
    """
    scaled = embed_scaled(photos, targets)
    kept = [p for p in photos if len(p.scores)]
    full = np.stack([p.vectors[0] for p in kept]).astype(np.float32)
    labels = np.array([p.label for p in kept])
    index_of = {p.path: i for i, p in enumerate(kept)}
    rows: list[dict[str, Any]] = []
    for target in [0, *targets]:  # 0: the full-size faces themselves
        if target:
            faces = [s for s in scaled if s.target == target]
            found = [s for s in faces if s.vector is not None]
            tried = len(faces)
            own = np.array([index_of[s.photo.path] for s in found], dtype=np.int64)
            vectors = np.stack([s.vector for s in found if s.vector is not None]) if found else full[:0]
            scores = np.array([s.score for s in found])
        else:
            sources = sorted({s.photo.path for s in scaled})
            own = np.array([index_of[p] for p in sources], dtype=np.int64)
            tried = len(own)
            vectors = full[own]
            scores = np.array([kept[i].scores[0] for i in own])
        if not len(own):
            continue
        sims = vectors @ full.T
        self_sim = sims[np.arange(len(own)), own]
        sims[np.arange(len(own)), own] = np.nan  # not the photo itself
        same = labels[own][:, None] == labels[None, :]
        same_vals = sims[same & ~np.isnan(sims)]
        other = np.where(same, -np.inf, np.nan_to_num(sims, nan=-np.inf))
        rows.append(
            {
                "face_px": target or "full",
                "photos": tried,
                "detected": len(own),
                "detection_score_min": float(scores.min()),
                "detection_score_median": float(np.median(scores)),
                "similarity_to_full_size_self": float(self_sim.mean()),
                "same_person_mean": float(same_vals.mean()) if len(same_vals) else None,
                "same_person_below_threshold": float((same_vals < threshold).mean())
                if len(same_vals)
                else None,
                "faces_matching_another_person": int((other.max(axis=1) >= threshold).sum()),
                "another_person_max": float(other.max()),
            }
        )
    return rows


def similarity_distribution(photos: list[EmbeddedPhoto]) -> dict[str, Any]:
    candidates, truth = largest_faces(photos)
    sims = candidates.vectors @ candidates.vectors.T
    iu = np.triu_indices(len(truth), 1)
    same = (truth[:, None] == truth[None, :])[iu]
    values = sims[iu]
    q = [0.0, 0.01, 0.05, 0.5, 0.95, 0.99, 1.0]

    def describe(a: npt.NDArray[np.float32]) -> dict[str, Any]:
        return {
            "pairs": len(a),
            "mean": float(a.mean()),
            "std": float(a.std()),
            "quantiles": dict(zip(map(str, q), np.quantile(a, q).round(4).tolist(), strict=True)),
        }

    return {"same_person": describe(values[same]), "different_persons": describe(values[~same])}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dirs", nargs="*", type=Path, default=[default_faces_dir()])
    parser.add_argument("--model", default="dlib-resnet")
    parser.add_argument("--name", default="people_clustering", help="result file bench/results/NAME.json")
    parser.add_argument(
        "--face-sizes",
        type=int,
        nargs="*",
        default=[24, 32, 40, 56, 80],
        help="face sizes (px) for the small-face check; none to skip it",
    )
    args = parser.parse_args()
    params = default_params(args.model, threshold=embedder_class(args.model).threshold)
    print(f"model={args.model} params={params}")
    results: dict[str, Any] = {"model": args.model, "params": asdict(params), "datasets": {}}
    for folder in args.dirs:
        photos = embed_folder(folder, model=args.model)
        data = {
            "photos": len(photos),
            "faces_detected": sum(len(p.scores) for p in photos),
            "photos_without_face": sum(1 for p in photos if not len(p.scores)),
            "similarities": similarity_distribution(photos),
            "from_scratch": from_scratch(photos, params),
            "all_faces": with_all_faces(photos, params),
            "incremental": incremental(photos, params),
            "incremental_all_named": incremental(photos, params, oracle=True),
        }
        if args.face_sizes:
            data["face_size_check"] = face_size_check(photos, args.face_sizes, params.cluster_similarity)
        results["datasets"][str(folder)] = data
        report(folder, data)
    path = write_result(args.name, results)
    print(f"\nwrote {path.relative_to(ROOT)}")


def report(folder: Path, data: dict[str, Any]) -> None:
    print(f"\n== {folder}: {data['photos']} photos, {data['faces_detected']} faces")
    sims = data["similarities"]
    for key in ("same_person", "different_persons"):
        s = sims[key]
        print(f"   {key:<18} mean {s['mean']:.3f} std {s['std']:.3f} quantiles {s['quantiles']}")
    fs = data["from_scratch"]
    print(f"\nfrom scratch (largest face per photo, {fs['faces']} faces, {fs['seeds']} seeds)")
    print(
        f"{'method':<22}{'pair P':>8}{'pair R':>8}{'BCubed F':>9}{'persons':>8}{'ids>=3':>7}"
        f"{'same-photo':>11}"
    )
    for name, m in fs["at_default"].items():
        print(
            f"{name:<22}{m['pairwise_precision']:>8.3f}{m['pairwise_recall']:>8.3f}{m['bcubed_f']:>9.3f}"
            f"{m['persons_created']:>8}{m['identities_with_3_or_more']:>7}{m['same_photo_violations']:>11}"
        )
        for mixed in m["mixed_clusters"]:
            print(f"{'':<22}mixed cluster: {mixed}")
    print("\nthreshold sweep: pairwise precision / recall / persons")
    names = list(fs["at_default"])
    print(f"{'t':>6}  " + "  ".join(f"{n:>26}" for n in names))
    for row in fs["sweep"]:
        cells = [
            f"{row[n]['pairwise_precision']:.3f} / {row[n]['pairwise_recall']:.3f} / "
            f"{row[n]['persons_created']:>3}"
            for n in names
        ]
        print(f"{row['cluster_similarity']:>6.2f}  " + "  ".join(f"{c:>26}" for c in cells))
    af = data["all_faces"]
    print(
        f"\nall faces ({af['faces']}, {af['background_faces']} background): same-photo violations "
        f"{af['same_photo_violations']}, background faces clustered {af['background_faces_clustered']}, "
        f"labelled faces {af['labelled_faces']}"
    )
    for key, title in (("incremental", "clustered, clusters named"), ("incremental_all_named", "all named")):
        report_incremental(title, data[key])
    if "face_size_check" in data:
        print(
            "\nsmall faces: each photo scaled so that its largest face is N px, detected and embedded again"
        )
        print(
            f"{'face px':>8}{'found':>8}{'score min':>10}{'self sim':>9}{'same mean':>10}"
            f"{'same<t':>8}{'match other':>12}{'other max':>10}"
        )
        for row in data["face_size_check"]:
            print(
                f"{row['face_px']!s:>8}{row['detected']:>4}/{row['photos']:<3}{row['detection_score_min']:>10.3f}"
                f"{row['similarity_to_full_size_self']:>9.3f}{_fmt(row['same_person_mean']):>10}"
                f"{_fmt(row['same_person_below_threshold']):>8}{row['faces_matching_another_person']:>12}"
                f"{row['another_person_max']:>10.3f}"
            )


def report_incremental(title: str, inc: dict[str, Any]) -> None:
    print(
        f"\nincremental ({title}): {inc['photos_clustered']} photos -> {inc['persons_named']} persons "
        f"named ({inc['labelled_faces']} faces); {inc['faces_assigned_from']} faces of "
        f"{inc['photos_assigned']} photos assigned"
    )
    for variant in ("engine", "nearest_face"):
        v = inc[variant]
        print(
            f"   {variant:<13} (top-{v['assign_top_k']}): assignment precision "
            f"{_fmt(v['assignment_precision'])} recall {_fmt(v['assignment_recall'])} "
            f"({v['assigned']} assigned, {v['wrong_assignments']} wrong, "
            f"{v['assignable_faces']} assignable); suggestion precision {_fmt(v['suggestion_precision'])} "
            f"({v['suggested']}, {v['suggested_faces_of_named_identities']} of named identities: "
            f"{_fmt(v['suggestion_precision_on_named_identities'])}); unnamed identities assigned "
            f"{v['unnamed_identity_faces_assigned']}/{v['faces_of_unnamed_identities']}; "
            f"background assigned {v['background_faces_assigned']}; "
            f"same-photo violations {v['same_photo_violations']}"
        )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
