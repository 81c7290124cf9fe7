"""ArcFace: additive angular margin loss (Deng et al., 2019), as in the original formulation.

logits_j = s * cos(theta_j) for j != y, and s * cos(theta_y + m) for the target class y,
where cos(theta_j) is the cosine between the embedding and class centre j.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

# Keeps sqrt(1 - cos^2) and its gradient finite when an embedding coincides with a centre.
_EPS = 1e-7


class ArcFaceHead(nn.Module):
    """Class centres on the unit sphere and the margin-adjusted, scaled cosine logits.

    Where theta + m would pass pi, cos(theta + m) is no longer decreasing in theta; as in
    the original code, the target logit then falls back to cos(theta) - m*sin(m)
    (`easy_margin=False`), or the margin is applied only where cos(theta) > 0
    (`easy_margin=True`).
    """

    def __init__(
        self,
        embedding_size: int,
        num_classes: int,
        *,
        margin: float = 0.5,
        scale: float = 64.0,
        easy_margin: bool = False,
    ) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError("ArcFace needs at least 2 classes.")
        if not 0.0 <= margin < math.pi / 2:
            raise ValueError(f"margin must be in [0, pi/2), got {margin}.")
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}.")
        self.weight = nn.Parameter(torch.empty(num_classes, embedding_size))
        nn.init.xavier_uniform_(self.weight)
        self.margin = margin
        self.scale = scale
        self.easy_margin = easy_margin
        self.cos_m = math.cos(margin)
        self.sin_m = math.sin(margin)
        self.th = math.cos(math.pi - margin)
        self.mm = math.sin(math.pi - margin) * margin

    def cosine(self, embeddings: torch.Tensor) -> torch.Tensor:
        """(N, C) cosines between embeddings and class centres, in float32."""
        return F.linear(F.normalize(embeddings.float(), dim=1), F.normalize(self.weight.float(), dim=1))

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Scaled logits with the margin on each row's target class (for cross-entropy)."""
        cosine = self.cosine(embeddings).clamp(-1.0 + _EPS, 1.0 - _EPS)
        sine = torch.sqrt((1.0 - cosine * cosine).clamp_min(_EPS))
        phi = cosine * self.cos_m - sine * self.sin_m  # cos(theta + m)
        if self.easy_margin:
            phi = torch.where(cosine > 0, phi, cosine)
        else:
            phi = torch.where(cosine > self.th, phi, cosine - self.mm)
        target = F.one_hot(labels, num_classes=cosine.shape[1]).to(torch.bool)
        return self.scale * torch.where(target, phi, cosine)
