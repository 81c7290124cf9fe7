"""How aligned face chips become a network's input: x = (pixel - mean) / std per RGB channel."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch


@dataclass(frozen=True)
class Normalisation:
    """x = (pixel - mean) / std per RGB channel, pixels in 0..255."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def apply(self, chips: npt.NDArray[np.uint8] | torch.Tensor) -> torch.Tensor:
        """(N, h, w, 3) uint8 chips -> normalised (N, 3, h, w) float32."""
        tensor = torch.as_tensor(chips).permute(0, 3, 1, 2).float()
        return self.apply_nchw(tensor)

    def apply_nchw(self, tensor: torch.Tensor) -> torch.Tensor:
        """Normalise an (N, 3, h, w) float tensor of 0..255 pixels."""
        mean = torch.tensor(self.mean, dtype=torch.float32, device=tensor.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float32, device=tensor.device).view(1, 3, 1, 1)
        return (tensor - mean) / std


# dlib's input_rgb_image_sized<150>: its mean per channel, then / 256 (tests/test_dlib_parity.py).
DLIB_NORMALISATION = Normalisation(mean=(122.782, 117.001, 104.298), std=(256.0, 256.0, 256.0))
# FaceNet (facenet-pytorch's fixed_image_standardization).
FACENET_NORMALISATION = Normalisation(mean=(127.5, 127.5, 127.5), std=(128.0, 128.0, 128.0))
