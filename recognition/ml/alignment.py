"""Face alignment: a least-squares similarity transform (Umeyama) from 5 landmarks to a template.

Coordinates follow the pixel-centre convention: pixel (i, j) has its centre at x=i, y=j.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from recognition.ml.types import Point

FloatArray = npt.NDArray[np.float64]
Chip = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class AlignmentTemplate:
    """Where the 5 landmarks (image-left eye, image-right eye, nose, mouth left, mouth right) land.

    `size` is (width, height) of the chip the embedder consumes.
    """

    size: tuple[int, int]
    points: tuple[Point, ...]

    def __post_init__(self) -> None:
        if len(self.points) != 5:
            raise ValueError("An alignment template has exactly 5 points.")


# dlib's mean face (shape_predictor_5 chip, padding 0.25) on a 150x150 chip: eye centres,
# nose tip, mouth corners, as used by dlib_face_recognition_resnet_model_v1.
DLIB_TEMPLATE = AlignmentTemplate(
    size=(150, 150),
    points=(
        (47.549, 46.599),
        (100.476, 46.599),
        (74.013, 76.562),
        (50.415, 103.023),
        (97.610, 103.023),
    ),
)


def similarity_transform(src: Sequence[Point] | FloatArray, dst: Sequence[Point] | FloatArray) -> FloatArray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping src onto dst.

    Umeyama (1991), without reflection. Returns the 2x3 matrix M with dst ≈ M @ [x, y, 1].
    """
    s = np.asarray(src, dtype=np.float64).reshape(-1, 2)
    d = np.asarray(dst, dtype=np.float64).reshape(-1, 2)
    if s.shape != d.shape or len(s) < 2:
        raise ValueError("similarity_transform needs two equally long lists of at least 2 points.")
    mu_s, mu_d = s.mean(axis=0), d.mean(axis=0)
    sc, dc = s - mu_s, d - mu_d
    var_s = float((sc**2).sum() / len(s))
    if var_s <= 1e-12:
        raise ValueError("Degenerate landmarks: all points coincide.")
    cov = dc.T @ sc / len(s)
    u, sigma, vt = np.linalg.svd(cov)
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1.0
    rotation = u @ np.diag(sign) @ vt
    scale = float((sigma * sign).sum() / var_s)
    translation = mu_d - scale * rotation @ mu_s
    matrix = np.empty((2, 3), dtype=np.float64)
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = translation
    return matrix


def _invert(matrix: FloatArray) -> FloatArray:
    linear = np.linalg.inv(matrix[:, :2])
    out = np.empty((2, 3), dtype=np.float64)
    out[:, :2] = linear
    out[:, 2] = -linear @ matrix[:, 2]
    return out


def warp_bilinear(image: Chip, chip_to_image: FloatArray, size: tuple[int, int]) -> Chip:
    """Sample an (h, w, 3) chip from `image` through `chip_to_image` (2x3) bilinearly; outside is black."""
    width, height = size
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    sx = chip_to_image[0, 0] * xs + chip_to_image[0, 1] * ys + chip_to_image[0, 2]
    sy = chip_to_image[1, 0] * xs + chip_to_image[1, 1] * ys + chip_to_image[1, 2]
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    fx = (sx - x0)[..., None]
    fy = (sy - y0)[..., None]
    img_h, img_w = image.shape[:2]
    src = image.astype(np.float32)
    out = np.zeros((height, width, image.shape[2]), dtype=np.float32)
    for dy, dx, weight in (
        (0, 0, (1 - fx) * (1 - fy)),
        (0, 1, fx * (1 - fy)),
        (1, 0, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        xi, yi = x0 + dx, y0 + dy
        valid = (xi >= 0) & (xi < img_w) & (yi >= 0) & (yi < img_h)
        pixels = src[np.clip(yi, 0, img_h - 1), np.clip(xi, 0, img_w - 1)]
        out += np.where(valid[..., None], pixels, 0.0) * weight
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def align_face(
    image: Image.Image | Chip, landmarks: Sequence[Point] | FloatArray, template: AlignmentTemplate
) -> Chip:
    """Cut the face with these 5 landmarks out of an RGB image, aligned to `template`.

    Returns an (h, w, 3) uint8 RGB chip. When the face is much larger than the chip, the
    region around it is first shrunk with a box filter by an integer factor, so bilinear
    sampling does not alias.
    """
    points = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
    matrix = similarity_transform(points, template.points)
    scale = math.sqrt(abs(np.linalg.det(matrix[:, :2])))  # chip pixels per image pixel
    factor = max(1, int(1.0 / scale))
    if isinstance(image, Image.Image):
        source: Image.Image | Chip = image if image.mode == "RGB" else image.convert("RGB")
        img_w, img_h = image.size
    else:
        source = np.asarray(image, dtype=np.uint8)
        if source.ndim == 2:
            source = np.repeat(source[..., None], 3, axis=2)
        source = source[..., :3]
        img_h, img_w = source.shape[:2]
    # Only the region the chip covers (plus a margin) is read, aligned to the reduction factor.
    width, height = template.size
    corners = np.array([[0, 0, 1], [width, 0, 1], [0, height, 1], [width, height, 1]], dtype=np.float64)
    mapped = corners @ _invert(matrix).T
    margin = 2 * factor + 1
    x0 = max(0, math.floor(mapped[:, 0].min()) - margin)
    y0 = max(0, math.floor(mapped[:, 1].min()) - margin)
    x1 = min(img_w, math.ceil(mapped[:, 0].max()) + margin)
    y1 = min(img_h, math.ceil(mapped[:, 1].max()) + margin)
    x1 = x0 + (x1 - x0) // factor * factor
    y1 = y0 + (y1 - y0) // factor * factor
    if x1 <= x0 or y1 <= y0:  # the face lies entirely outside the image
        return np.zeros((height, width, 3), dtype=np.uint8)
    if isinstance(source, Image.Image):
        region = source.reduce(factor, box=(x0, y0, x1, y1)) if factor > 1 else source.crop((x0, y0, x1, y1))
        array = np.asarray(region, dtype=np.uint8)
    elif factor > 1:
        array = np.asarray(Image.fromarray(source[y0:y1, x0:x1]).reduce(factor), dtype=np.uint8)
    else:
        array = source[y0:y1, x0:x1]
    # Reduced pixel i averages source pixels x0 + k*i .. x0 + k*i + k - 1.
    shifted = (points - np.array([x0, y0], dtype=np.float64) - (factor - 1) / 2.0) / factor
    local = similarity_transform(shifted, template.points)
    return warp_bilinear(array, _invert(local), template.size)
