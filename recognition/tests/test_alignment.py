"""Similarity alignment: the template maps onto itself, at any scale, rotation and position."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from recognition.ml.alignment import DLIB_TEMPLATE, align_face, similarity_transform
from recognition.ml.embedders import FACENET_TEMPLATE

pytestmark = pytest.mark.nodb


def _similarity(scale: float, degrees: float, tx: float, ty: float) -> np.ndarray:
    a = math.radians(degrees)
    return np.array(
        [[scale * math.cos(a), -scale * math.sin(a), tx], [scale * math.sin(a), scale * math.cos(a), ty]]
    )


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    mapped: np.ndarray = np.asarray(points) @ matrix[:, :2].T + matrix[:, 2]
    return mapped


def test_similarity_transform_recovers_a_known_transform() -> None:
    src = np.array(DLIB_TEMPLATE.points)
    truth = _similarity(2.5, 17.0, 40.0, -12.0)
    np.testing.assert_allclose(similarity_transform(src, _apply(truth, src)), truth, atol=1e-9)


def test_similarity_transform_rejects_degenerate_points() -> None:
    with pytest.raises(ValueError, match="Degenerate"):
        similarity_transform([(1.0, 1.0)] * 5, DLIB_TEMPLATE.points)


def test_template_on_a_chip_sized_image_is_the_identity() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(150, 150, 3), dtype=np.uint8)
    chip = align_face(image, DLIB_TEMPLATE.points, DLIB_TEMPLATE)
    np.testing.assert_array_equal(chip, image)
    # A PIL image gives the same chip as its array.
    np.testing.assert_array_equal(
        align_face(Image.fromarray(image), DLIB_TEMPLATE.points, DLIB_TEMPLATE), image
    )


def _dots_image(size: tuple[int, int], points: np.ndarray, radius: float) -> Image.Image:
    """Black image with a white disc at each point."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width]
    canvas = np.zeros((height, width), dtype=np.uint8)
    for x, y in points:
        canvas[(xs - x) ** 2 + (ys - y) ** 2 <= radius**2] = 255
    return Image.fromarray(canvas).convert("RGB")


@pytest.mark.parametrize(
    ("scale", "degrees", "template"),
    [
        (0.8, 25.0, DLIB_TEMPLATE),  # face smaller than the chip: plain bilinear upsampling
        (5.3, -40.0, DLIB_TEMPLATE),  # face 5x the chip: box-filter reduction first
        (2.2, 180.0, FACENET_TEMPLATE),
    ],
)
def test_landmarks_land_on_the_template(scale: float, degrees: float, template: object) -> None:
    from recognition.ml.alignment import AlignmentTemplate

    assert isinstance(template, AlignmentTemplate)
    tmpl = np.array(template.points)
    # Where the template points lie in a synthetic photo: scaled, rotated and moved.
    to_image = _similarity(scale, degrees, 0.0, 0.0)
    points = _apply(to_image, tmpl)
    points += -points.min(axis=0) + 30 * scale
    size = (int(points[:, 0].max() + 30 * scale), int(points[:, 1].max() + 30 * scale))
    image = _dots_image(size, points, radius=2.5 * scale)
    chip = align_face(image, points, template).astype(np.float64)[..., 0]
    assert chip.shape == (template.size[1], template.size[0])
    ys, xs = np.mgrid[0 : chip.shape[0], 0 : chip.shape[1]]
    for x, y in tmpl:
        window = ((xs - x) ** 2 + (ys - y) ** 2 <= 5**2) * chip
        assert window.sum() > 0
        cx, cy = (xs * window).sum() / window.sum(), (ys * window).sum() / window.sum()
        assert abs(cx - x) < 0.35, (x, y, cx, cy)
        assert abs(cy - y) < 0.35, (x, y, cx, cy)


def test_face_outside_the_image_gives_a_black_chip() -> None:
    image = np.full((50, 50, 3), 200, dtype=np.uint8)
    points = np.array(DLIB_TEMPLATE.points) + 1000
    assert not align_face(image, points, DLIB_TEMPLATE).any()
