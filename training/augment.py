"""Training-time augmentation of aligned face chips."""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812

from training.config import TrainingConfig


def augment(batch: torch.Tensor, config: TrainingConfig, generator: torch.Generator) -> torch.Tensor:
    """Random flip, shift (crop jitter) and brightness/contrast/saturation on (N, 3, h, w) 0..255 floats."""
    n, _, height, width = batch.shape
    if config.flip:
        flip = torch.rand(n, generator=generator) < 0.5
        batch = torch.where(flip.view(n, 1, 1, 1), batch.flip(3), batch)
    pad = round(config.crop_jitter * max(height, width))
    if pad > 0:
        padded = F.pad(batch, (pad, pad, pad, pad), mode="replicate")
        offsets = torch.randint(0, 2 * pad + 1, (n, 2), generator=generator).tolist()
        batch = torch.stack(
            [padded[i, :, dy : dy + height, dx : dx + width] for i, (dy, dx) in enumerate(offsets)]
        )
    jitter = config.color_jitter
    if jitter > 0:
        factors = 1.0 + (torch.rand(n, 3, generator=generator) * 2.0 - 1.0) * jitter
        brightness, contrast, saturation = (factors[:, k].view(n, 1, 1, 1) for k in range(3))
        batch = batch * brightness
        gray = (batch * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        batch = (batch - gray.mean(dim=(2, 3), keepdim=True)) * contrast + gray.mean(dim=(2, 3), keepdim=True)
        gray = (batch * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        batch = (batch - gray) * saturation + gray
    return batch.clamp(0.0, 255.0)
