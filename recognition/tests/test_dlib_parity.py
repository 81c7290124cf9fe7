"""The PyTorch port of dlib's face-recognition ResNet computes what real dlib computes.

The reference descriptors in fixtures/dlib_reference were computed by dlib 19.24 itself
(scripts/dlib_reference/descriptors.cpp, Debian's libdlib-dev) from the committed chips; see
that folder's README. dlib is not needed here: the committed numbers are the reference.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from recognition.ml.dlib_resnet import DLIB_MODEL_PATH
from recognition.ml.embedders import DlibResNetEmbedder

pytestmark = pytest.mark.nodb

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "dlib_reference"
MAX_ABS_DIFF = 1e-4  # per descriptor component
MIN_COSINE = 0.99999
# sha256 of dlib_face_recognition_resnet_model_v1.dat the reference was computed with.
MODEL_SHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"


def _manifest() -> list[dict[str, object]]:
    return list(json.loads((FIXTURE / "manifest.json").read_text()))


@pytest.fixture(scope="module")
def chips() -> np.ndarray:
    arrays = []
    for entry in _manifest():
        with Image.open(FIXTURE / str(entry["chip"])) as image:
            assert image.mode == "RGB"
            arrays.append(np.asarray(image, dtype=np.uint8))
    return np.stack(arrays)


def _reference(name: str) -> np.ndarray:
    return np.loadtxt(FIXTURE / name, dtype=np.float32, ndmin=2)


def _report(label: str, ours: np.ndarray, reference: np.ndarray) -> float:
    diff = float(np.abs(ours.astype(np.float64) - reference.astype(np.float64)).max())
    print(f"\ndlib parity, {label}: max abs difference {diff:.3g} over {reference.shape[0]} chips")
    return diff


def test_fixture_is_what_the_readme_says(chips: np.ndarray) -> None:
    assert chips.shape == (20, 150, 150, 3)
    sources = [str(entry["source"]) for entry in _manifest()]
    assert len({s.split("/")[0] for s in sources}) >= 15
    assert sum(s.startswith("bbt_") for s in sources) >= 3  # grayscale photos
    raw, normalised = _reference("descriptors_raw.txt"), _reference("descriptors_normalised.txt")
    assert raw.shape == normalised.shape == (20, 128)
    # dlib's descriptors are not unit vectors (norms ~1.4-1.6); the normalised file is raw / |raw|.
    norms = np.linalg.norm(raw, axis=1)
    assert np.all((norms > 1.2) & (norms < 1.8))
    np.testing.assert_allclose(normalised, raw / norms[:, None], atol=1e-7)
    assert hashlib.sha256(DLIB_MODEL_PATH.read_bytes()).hexdigest() == MODEL_SHA256


def test_raw_descriptors_match_dlib(dlib_embedder: DlibResNetEmbedder, chips: np.ndarray) -> None:
    reference = _reference("descriptors_raw.txt")
    ours = dlib_embedder.descriptors(chips)
    diff = _report("raw descriptors (net output)", ours, reference)
    assert diff <= MAX_ABS_DIFF, (
        f"raw descriptors differ from dlib's by up to {diff:.3g} (bar {MAX_ABS_DIFF})"
    )


def test_normalised_vectors_match_dlib(dlib_embedder: DlibResNetEmbedder, chips: np.ndarray) -> None:
    reference = _reference("descriptors_normalised.txt")
    ours = dlib_embedder.predict(chips)
    diff = _report("L2-normalised vectors (predict)", ours, reference)
    cosine = float((ours.astype(np.float64) * reference).sum(axis=1).min())
    assert diff <= MAX_ABS_DIFF, f"vectors differ from dlib's by up to {diff:.3g} (bar {MAX_ABS_DIFF})"
    assert cosine >= MIN_COSINE, f"lowest cosine with dlib's vector {cosine:.7f} (bar {MIN_COSINE})"


def test_bar_catches_a_channel_order_mistake(dlib_embedder: DlibResNetEmbedder, chips: np.ndarray) -> None:
    """The reference is sensitive to the input convention: BGR chips miss the bar by far."""
    reference = _reference("descriptors_raw.txt")
    colour = [i for i, chip in enumerate(chips) if np.ptp(chip.astype(int), axis=2).max() > 32]
    assert len(colour) >= 10
    swapped = dlib_embedder.descriptors(np.ascontiguousarray(chips[colour][..., ::-1]))
    assert np.abs(swapped - reference[colour]).max() > 100 * MAX_ABS_DIFF
