"""A synthetic face library with dlib-resnet-like similarity statistics (for bench/people_scale.py).

Embeddings are `normalise(r * mu + z_identity + noise)`: a common direction `mu` (real dlib
embeddings sit in a narrow cone: different persons average ~0.83 cosine similarity), identity
offsets drawn with a decaying spectrum (a few dominant directions, like age, sex and skin tone,
which widens the between-person spread to the measured one), and isotropic per-face noise scaled
by a per-face quality. The constants were fitted to the within/between-person similarities of
dlib-resnet on ../shared/faces (see `people_scale.py --real` for the side-by-side numbers).

The library mixes what users' libraries have: a few family members with thousands of faces,
of whom some are siblings (identity offsets sharing 60 % of their variance, so their faces are
far more alike than strangers') and children whose faces drift with age; a thousand recurring
people of Zipf-distributed frequency, some also siblings; and thousands of strangers seen once or
twice. 15 % of faces are small or low-score, with 1.5 times the noise: that is what a 24 px
face costs on real photos (bench/people_clustering.py's small-face check: same-person similarity
0.941 instead of 0.962). Faces are packed into photos of
1-6 faces, never two faces of one identity in a photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DIM = 128
MEAN_WEIGHT = 0.913  # r: weight of the common direction
IDENTITY_SCALE = 0.358  # norm of an identity offset
NOISE_SCALE = 0.19  # norm of a good face's noise
SPECTRUM_DECAY = 0.85  # identity offset variance of the i-th direction ~ i ** -decay
SIBLING_SHARE = 0.6  # share of a sibling's offset variance common with the other sibling
AGE_DRIFT = 0.30  # norm of a child's offset change from youngest to oldest photo
POOR_FRACTION = 0.15
POOR_NOISE = 1.5
RECURRING = 1000


@dataclass(frozen=True)
class SyntheticLibrary:
    vectors: npt.NDArray[np.float32]  # (n, d), L2-normalised
    identities: npt.NDArray[np.int64]  # (n,)
    photo_ids: npt.NDArray[np.int64]  # (n,)
    sizes: npt.NDArray[np.float32]  # (n,) shorter box side, px
    scores: npt.NDArray[np.float32]  # (n,) detection probability
    poor: npt.NDArray[np.bool_]  # (n,) small or low-score face
    sibling_of: dict[int, int]  # identity -> its sibling identity
    kind: npt.NDArray[np.str_]  # per identity: "family", "recurring" or "stranger"


class Generator:
    def __init__(self, seed: int = 0, dim: int = DIM) -> None:
        self.rng = np.random.default_rng(seed)
        self.dim = dim
        basis = np.linalg.qr(self.rng.standard_normal((dim, dim)))[0]
        self.mu = basis[:, 0]
        self.directions = basis[:, 1:]
        spectrum = np.arange(1, dim, dtype=np.float64) ** -SPECTRUM_DECAY
        self.scales = np.sqrt(spectrum / spectrum.sum()) * IDENTITY_SCALE

    def offsets(self, count: int) -> npt.NDArray[np.float64]:
        offsets: npt.NDArray[np.float64] = (
            self.rng.standard_normal((count, self.dim - 1)) * self.scales
        ) @ self.directions.T
        return offsets

    def faces(
        self,
        offsets: npt.NDArray[np.float64],
        noise: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float32]:
        eps = self.rng.standard_normal((len(offsets), self.dim)) * (NOISE_SCALE / np.sqrt(self.dim))
        x = MEAN_WEIGHT * self.mu + offsets + eps * noise[:, None]
        vectors: npt.NDArray[np.float32] = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
        return vectors


def zipf_sizes(rng: np.random.Generator, count: int, total: int, low: int, exponent: float) -> list[int]:
    weights = np.arange(1, count + 1, dtype=np.float64) ** -exponent
    sizes = np.maximum(low, np.round(weights / weights.sum() * total)).astype(int)
    rng.shuffle(sizes)
    return [int(x) for x in sizes]


def synthetic_library(n_faces: int = 100_000, *, seed: int = 0) -> SyntheticLibrary:
    gen = Generator(seed)
    rng = gen.rng
    # Identity sizes: family (6 x 4 %), recurring (1000, Zipf), strangers (1-2 faces) for the rest.
    family = [int(n_faces * 0.04)] * 6
    recurring = zipf_sizes(rng, RECURRING, int(n_faces * 0.56), 3, 1.1)
    sizes = family + recurring
    while sum(sizes) < n_faces:
        sizes.append(min(n_faces - sum(sizes), int(rng.integers(1, 3))))
    n_ids = len(sizes)
    kind = np.array(["family"] * 6 + ["recurring"] * RECURRING + ["stranger"] * (n_ids - 6 - RECURRING))
    offsets = gen.offsets(n_ids)
    # Siblings: two pairs of children in the family (who also age), 40 pairs of recurring people.
    sibling_pairs = [(0, 1), (2, 3)] + [(6 + 2 * i, 7 + 2 * i) for i in range(40)]
    sibling_of: dict[int, int] = {}
    for a, b in sibling_pairs:
        shared = gen.offsets(1)[0]
        keep = np.sqrt(1.0 - SIBLING_SHARE)
        offsets[a] = keep * offsets[a] + np.sqrt(SIBLING_SHARE) * shared
        offsets[b] = keep * offsets[b] + np.sqrt(SIBLING_SHARE) * shared
        sibling_of[a], sibling_of[b] = b, a
    children = {0, 1, 2, 3}
    identities = np.repeat(np.arange(n_ids, dtype=np.int64), sizes)
    n = len(identities)
    face_offsets = offsets[identities]
    for child in children:
        rows = np.flatnonzero(identities == child)
        drift = gen.offsets(1)[0]
        drift *= AGE_DRIFT / np.linalg.norm(drift)
        face_offsets[rows] += (rng.random(len(rows)) - 0.5)[:, None] * drift
    poor = rng.random(n) < POOR_FRACTION
    noise = np.exp(rng.normal(0.0, 0.25, n)) * np.where(poor, POOR_NOISE, 1.0)
    vectors = gen.faces(face_offsets, noise)
    # Good faces are 40-400 px with scores 0.95-1; poor ones are small (20-39 px) or low-score.
    face_sizes = np.exp(rng.uniform(np.log(40), np.log(400), n))
    scores = 1.0 - rng.uniform(0.0, 0.05, n) ** 2 * 20  # 0.95-1.0, mostly > 0.99
    small = poor & (rng.random(n) < 0.6)
    face_sizes[small] = rng.uniform(20, 39.9, int(small.sum()))
    scores[poor & ~small] = rng.uniform(0.90, 0.949, int((poor & ~small).sum()))
    photo_ids = _pack_photos(rng, identities)
    return SyntheticLibrary(
        vectors=vectors,
        identities=identities,
        photo_ids=photo_ids,
        sizes=face_sizes.astype(np.float32),
        scores=scores.astype(np.float32),
        poor=poor,
        sibling_of=sibling_of,
        kind=kind,
    )


def _pack_photos(rng: np.random.Generator, identities: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Photos of 1-6 faces (half of them single), never one identity twice in a photo."""
    order = rng.permutation(len(identities))
    photo_ids = np.empty(len(identities), dtype=np.int64)
    photo = 0
    capacity = 0
    present: set[int] = set()
    for row in order.tolist():
        ident = int(identities[row])
        if capacity == 0 or ident in present:
            photo += 1
            capacity = int(rng.choice([1, 2, 3, 4, 5, 6], p=[0.5, 0.22, 0.12, 0.08, 0.05, 0.03]))
            present = set()
        photo_ids[row] = photo
        present.add(ident)
        capacity -= 1
    return photo_ids
