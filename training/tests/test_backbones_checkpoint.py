from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from recognition.ml.backbones import BACKBONES, backbone_spec, build_backbone
from recognition.ml.checkpoint import CheckpointError, checkpoint_metadata, file_sha256
from recognition.ml.dlib_resnet import DlibResNet, ResidualBlock, load_dlib_resnet
from recognition.ml.registry import get_embedder
from training.freezing import LAST_STAGES, freeze_except_last_stages

pytestmark = pytest.mark.nodb


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "facenet"])
def test_from_scratch_backbones_embed_their_input_size(name):
    torch.manual_seed(0)
    spec = backbone_spec(name)
    net = build_backbone(name, pretrained=False).eval()
    width, height = spec.input_size
    with torch.no_grad():
        out = net(torch.randn(2, 3, height, width))
    assert out.shape == (2, spec.embedding_size)
    trainable, frozen = freeze_except_last_stages(net, name)
    assert trainable > 0
    assert frozen > 0


def test_every_backbone_has_last_stages():
    assert set(LAST_STAGES) == set(BACKBONES)


def test_resnet18_embedding_size_is_configurable_and_dlib_is_fixed():
    net = build_backbone("resnet18", embedding_size=64).eval()
    assert isinstance(net, torch.nn.Module)
    with torch.no_grad():
        assert net(torch.randn(2, 3, 112, 112)).shape == (2, 64)
    with pytest.raises(ValueError, match="128-d"):
        build_backbone("dlib-resnet", embedding_size=64)
    with pytest.raises(ValueError, match="Unknown backbone"):
        build_backbone("vgg16")


def test_dlib_backbone_starts_from_the_pretrained_weights():
    net = build_backbone("dlib-resnet")
    reference = load_dlib_resnet()
    for (name, a), (_, b) in zip(net.state_dict().items(), reference.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    # Freezing keeps the 256-channel stage and the projection trainable, the rest fixed.
    assert isinstance(net, DlibResNet)
    freeze_except_last_stages(net, "dlib-resnet")
    assert net.fc.weight.requires_grad
    assert not net.stem.weight.requires_grad
    first = net.blocks[0]
    assert isinstance(first, ResidualBlock)
    assert not first.conv1.weight.requires_grad


def _save(path: Path, name: str, **extra: Any) -> torch.nn.Module:
    spec = BACKBONES[name]
    torch.manual_seed(1)
    net = build_backbone(name, pretrained=False).eval()
    data = checkpoint_metadata(spec, embedding_size=spec.embedding_size, threshold=0.42)
    data.update({"state_dict": net.state_dict(), "identities": 3, "config": {"epochs": 1}, "metrics": []})
    data.update(extra)
    torch.save(data, path)
    return net


def test_checkpoint_round_trip_through_the_registry(tmp_path):
    path = tmp_path / "tiny.pt"
    net = _save(path, "mobilenet_v3_small")
    embedder = get_embedder(str(path))
    assert embedder.key == f"ckpt:tiny:{file_sha256(path)[:12]}"
    assert embedder.dim == 256
    assert embedder.template.size == (112, 112)
    assert embedder.threshold == pytest.approx(0.42)
    chips = np.random.default_rng(0).integers(0, 256, (3, 112, 112, 3), dtype=np.uint8)
    vectors = embedder.predict(chips)
    assert vectors.shape == (3, 256)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The served network is the saved one, with the backbone's normalisation.
    with torch.no_grad():
        expected = net(backbone_spec("mobilenet_v3_small").normalisation.apply(chips))
    expected = torch.nn.functional.normalize(expected, dim=1).numpy()
    assert np.allclose(vectors, expected, atol=1e-5)


def test_missing_corrupt_and_foreign_checkpoints_are_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        get_embedder(str(tmp_path / "missing.pt"))
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"PK\x03\x04 this is not a torch file")
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint"):
        get_embedder(str(corrupt))
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a Memory Studio ArcFace checkpoint"):
        get_embedder(str(foreign))
    wrong = tmp_path / "wrong.pt"
    _save(wrong, "resnet18", backbone="mobilenet_v3_small")
    embedder = get_embedder(str(wrong))
    with pytest.raises(CheckpointError, match="do not fit backbone"):
        embedder.load()
