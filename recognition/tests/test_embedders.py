"""Embedders, registry and device selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from recognition.ml.alignment import align_face
from recognition.ml.device import resolve_device
from recognition.ml.embedders import (
    DlibResNetEmbedder,
    Embedder,
    FacenetEmbedder,
    FacenetVggface2Embedder,
    WeightsNotFoundError,
)
from recognition.ml.pipeline import FacePipeline
from recognition.ml.registry import UnknownModelError, available_models, get_embedder

pytestmark = pytest.mark.nodb


@pytest.fixture(scope="module")
def chips(pipeline: FacePipeline, faces_dir: Path) -> np.ndarray:
    """Aligned dlib chips: two of one person, one of another."""
    paths = [
        faces_dir / "angelina_jolie" / "img10.jpg",
        faces_dir / "angelina_jolie" / "img5.jpg",
        faces_dir / "fr_alex_lacamoire" / "alex_lacamoire_img1.jpg",
    ]
    images = [Image.open(p).convert("RGB") for p in paths]
    faces = pipeline.detect(images)
    return np.stack(
        [
            align_face(image, f[0].landmarks, pipeline.embedder.template)
            for image, f in zip(images, faces, strict=True)
        ]
    )


def test_dlib_vectors_are_normalised_and_discriminative(
    dlib_embedder: DlibResNetEmbedder, chips: np.ndarray
) -> None:
    vectors = dlib_embedder.predict(chips)
    assert vectors.shape == (3, 128)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sim = Embedder.similarity(vectors, vectors)
    assert sim[0, 1] >= dlib_embedder.threshold > sim[0, 2]
    # Native metric: dlib's Euclidean distance on unnormalised descriptors, threshold 0.6.
    raw = dlib_embedder.descriptors(chips)
    assert (
        np.linalg.norm(raw[0] - raw[1]) < dlib_embedder.distance_threshold < np.linalg.norm(raw[0] - raw[2])
    )


def test_batching_does_not_change_results(dlib_embedder: DlibResNetEmbedder, chips: np.ndarray) -> None:
    together = dlib_embedder.predict(chips)
    one_by_one = np.concatenate([dlib_embedder.predict(chips[i : i + 1]) for i in range(len(chips))])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    assert dlib_embedder.predict(chips[:0]).shape == (0, 128)
    with pytest.raises(ValueError, match=r"\(N, 150, 150, 3\)"):
        dlib_embedder.predict(chips[:, :100])


def test_flip_tta_is_mirror_invariant(chips: np.ndarray) -> None:
    plain = DlibResNetEmbedder()
    tta = DlibResNetEmbedder(tta_flip=True)
    plain._net = tta._net = DlibResNetEmbedder.build(plain)  # one copy of the weights for both
    mirrored = chips[:, :, ::-1].copy()
    with_tta = tta.predict(chips)
    np.testing.assert_allclose(with_tta, tta.predict(mirrored), atol=1e-5)
    without = plain.predict(chips)
    assert not np.allclose(with_tta, without, atol=1e-4)
    assert (with_tta * without).sum(axis=1).min() > 0.95


def test_facenet_architecture_with_random_weights() -> None:
    net = FacenetEmbedder.build_from_state_dict(None).eval()
    embedder = FacenetVggface2Embedder()
    embedder._net = net
    chips = np.random.default_rng(1).integers(0, 256, size=(2, 160, 160, 3), dtype=np.uint8)
    x = embedder.to_input(chips)
    assert x.shape == (2, 3, 160, 160)
    assert float(x.max()) <= 1.0
    assert float(x.min()) >= -1.0
    vectors = embedder.predict(chips)
    assert vectors.shape == (2, 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_facenet_loads_a_saved_state_dict(tmp_path: Path) -> None:
    torch.manual_seed(0)
    reference = FacenetEmbedder.build_from_state_dict(None).eval()
    state = dict(reference.state_dict())
    state["logits.weight"] = torch.zeros(3, 512)  # released files carry a classifier; it is dropped
    state["logits.bias"] = torch.zeros(3)
    torch.save(state, tmp_path / FacenetVggface2Embedder.weights_file)
    embedder = get_embedder("facenet-vggface2", weights_dir=tmp_path)
    assert isinstance(embedder, FacenetVggface2Embedder)
    assert not embedder.loaded
    embedder.load()
    chips = np.random.default_rng(2).integers(0, 256, size=(2, 160, 160, 3), dtype=np.uint8)
    with torch.inference_mode():
        expected = torch.nn.functional.normalize(reference(embedder.to_input(chips)), dim=1).numpy()
    np.testing.assert_allclose(embedder.predict(chips), expected, atol=1e-5)


def test_facenet_rejects_a_foreign_state_dict(tmp_path: Path) -> None:
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / FacenetVggface2Embedder.weights_file)
    with pytest.raises(ValueError, match="Not an InceptionResnetV1"):
        get_embedder("facenet-vggface2", weights_dir=tmp_path).load()


def test_missing_weights_name_the_file_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    embedder = get_embedder("facenet-casia-webface", weights_dir=tmp_path)
    with pytest.raises(WeightsNotFoundError) as caught:
        embedder.load()
    message = str(caught.value)
    assert "20180408-102900-casia-webface.pt" in message
    assert "manage.py download_weights facenet-casia-webface" in message
    assert str(tmp_path) in message


def test_registry() -> None:
    assert available_models() == ["dlib-resnet", "facenet-vggface2", "facenet-casia-webface"]
    embedder = get_embedder("dlib-resnet", tta_flip=True)
    assert isinstance(embedder, DlibResNetEmbedder)
    assert embedder.tta_flip
    assert embedder.device == "cpu"
    assert (embedder.dim, embedder.template.size, embedder.distance_threshold) == (128, (150, 150), 0.6)
    with pytest.raises(UnknownModelError, match="dlib-resnet"):
        get_embedder("arcface-of-the-future")


def test_resolve_device() -> None:
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if torch.cuda.is_available():
        assert resolve_device("cuda:0") == "cuda:0"
    else:
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
    with pytest.raises(ValueError, match="Unknown device"):
        resolve_device("tpu")
