"""dlib's serialization reader on the real model file, and the equivalent network."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from recognition.ml.dlib_resnet import (
    DLIB_MODEL_PATH,
    DlibFormatError,
    DlibModel,
    DlibResNet,
    _Reader,
    add_prev,
    read_dlib_model,
)
from recognition.ml.embedders import DlibResNetEmbedder
from recognition.ml.normalisation import DLIB_NORMALISATION

pytestmark = pytest.mark.nodb


def test_reader_consumes_the_whole_file(dlib_model: DlibModel) -> None:
    assert dlib_model.bytes_read == dlib_model.file_size == DLIB_MODEL_PATH.stat().st_size
    assert dlib_model.parameter_count == 5_614_592
    assert dlib_model.loss == "loss_metric_2"
    assert dlib_model.margin == pytest.approx(0.04)
    assert dlib_model.distance_threshold == pytest.approx(0.6)
    assert dlib_model.input_mean == pytest.approx((122.782, 117.001, 104.298), abs=1e-3)
    assert dlib_model.input_size == (150, 150)
    kinds = [layer.kind for layer in dlib_model.layers]
    assert kinds.count("con_4") == 29
    assert kinds.count("fc_2") == 1
    assert kinds[-1] == "fc_2"
    assert dlib_model.layers[0].config["num_filters"] == 32
    assert dlib_model.layers[0].config["nr"] == 7


def test_network_holds_every_parameter(dlib_embedder: DlibResNetEmbedder) -> None:
    net = dlib_embedder.network
    assert sum(p.numel() for p in net.parameters()) == 5_614_592


def test_first_filter_matches_the_file(dlib_model: DlibModel, dlib_embedder: DlibResNetEmbedder) -> None:
    net = dlib_embedder.network
    assert isinstance(net, DlibResNet)
    stem = dlib_model.layers[0].params
    assert stem is not None
    np.testing.assert_array_equal(net.stem.weight.detach().numpy().reshape(-1), stem[: 32 * 3 * 7 * 7])
    assert net.stem.bias is not None
    np.testing.assert_array_equal(net.stem.bias.detach().numpy(), stem[32 * 3 * 7 * 7 :])


def test_truncated_or_padded_file_is_rejected(tmp_path: Path) -> None:
    data = DLIB_MODEL_PATH.read_bytes()
    truncated = tmp_path / "truncated.dat"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(DlibFormatError, match="end of file"):
        read_dlib_model(truncated)
    padded = tmp_path / "padded.dat"
    padded.write_bytes(data + b"\x00")
    with pytest.raises(DlibFormatError, match="trailing"):
        read_dlib_model(padded)
    other = tmp_path / "other.dat"
    other.write_bytes(b"\x01\x01\x01\x05hello")
    with pytest.raises(DlibFormatError, match="loss_metric"):
        read_dlib_model(other)


def test_integer_and_float_encoding() -> None:
    # 300 = 0x012c in two bytes; -5 has the sign bit; 0.04 = 0xa3d70a * 2**-28; exponent 32000 = +inf.
    reader = _Reader(
        bytes([0x02, 0x2C, 0x01, 0x81, 0x05, 0x03, 0x0A, 0xD7, 0xA3, 0x81, 0x1C]) + b"\x01\x01\x02\x00\x7d1"
    )
    assert reader.read_int() == 300
    assert reader.read_int() == -5
    assert reader.read_float() == pytest.approx(0.04)
    assert reader.read_float() == math.inf
    assert reader.read_bool() is True


def test_shapes_through_the_network() -> None:
    net = DlibResNet().eval()
    with torch.inference_mode():
        x = torch.randn(2, 3, 150, 150)
        stem = torch.nn.functional.max_pool2d(torch.relu(net.stem_affine(net.stem(x))), 3, 2)
        assert stem.shape == (2, 32, 35, 35)
        sizes = []
        h = stem
        for block in net.blocks:
            h = block(h)
            sizes.append(tuple(h.shape[1:]))
        assert sizes[3] == (64, 17, 17)
        assert sizes[7] == (128, 8, 8)
        assert sizes[10] == (256, 4, 4)  # 3x3 conv output zero-padded to the 4x4 shortcut
        assert sizes[-1] == (256, 2, 2)
        assert net(x).shape == (2, 128)


def test_add_prev_zero_pads_channels_rows_and_columns() -> None:
    small = torch.ones(1, 2, 3, 3)
    large = torch.full((1, 3, 4, 4), 10.0)
    out = add_prev(small, large)
    assert out.shape == (1, 3, 4, 4)
    assert out[0, :2, :3, :3].eq(11).all()
    assert out[0, 2].eq(10).all()
    assert out[0, :, 3].eq(10).all()
    assert out[0, :, :, 3].eq(10).all()


def test_normalisation_matches_dlib() -> None:
    chips = np.full((1, 150, 150, 3), (122, 117, 104), dtype=np.uint8)
    chips[0, 0, 0] = (255, 0, 0)
    x = DLIB_NORMALISATION.apply(chips)
    assert x.shape == (1, 3, 150, 150)
    assert x[0, 0, 0, 0].item() == pytest.approx((255 - 122.782) / 256)
    assert x[0, 2, 0, 0].item() == pytest.approx((0 - 104.298) / 256)
    assert x[0, 1, 5, 5].item() == pytest.approx((117 - 117.001) / 256, abs=1e-7)
