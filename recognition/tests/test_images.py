"""load_rgb: EXIF orientation and every Pillow mode to 8-bit RGB."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from recognition.ml.images import ImageDecodeError, load_rgb
from recognition.tests.conftest import encode

pytestmark = pytest.mark.nodb


def test_exif_orientation_is_applied() -> None:
    stored = Image.new("RGB", (40, 20), (255, 0, 0))
    stored.paste((0, 0, 255), (0, 0, 10, 20))  # blue on the left of the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise
    image = load_rgb(encode(stored, "JPEG", exif=exif.tobytes(), quality=95))
    assert image.size == (20, 40)
    top = np.asarray(image)[2, 10]
    assert top[2] > 200
    assert top[0] < 60


@pytest.mark.parametrize(
    ("mode", "fmt", "color"),
    [
        ("L", "JPEG", 128),
        ("CMYK", "JPEG", (0, 255, 255, 0)),
        ("RGBA", "PNG", (255, 0, 0, 255)),
        ("LA", "PNG", (128, 255)),
        ("P", "PNG", 3),
        ("1", "PNG", 1),
    ],
)
def test_any_mode_becomes_rgb(mode: str, fmt: str, color: object) -> None:
    image = load_rgb(encode(Image.new(mode, (8, 6), color), fmt))  # type: ignore[arg-type]
    assert image.mode == "RGB"
    assert image.size == (8, 6)


def test_cmyk_colours_survive() -> None:
    image = load_rgb(encode(Image.new("CMYK", (4, 4), (0, 255, 255, 0)), "JPEG", quality=100))
    r, g, b = np.asarray(image)[1, 1]
    assert r > 200
    assert g < 60
    assert b < 60


def test_transparency_is_composited_on_white() -> None:
    rgba = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    rgba.putpixel((0, 0), (0, 0, 0, 255))
    pixels = np.asarray(load_rgb(encode(rgba, "PNG")))
    assert tuple(pixels[0, 0]) == (0, 0, 0)
    assert tuple(pixels[2, 2]) == (255, 255, 255)


def test_sixteen_bit_is_scaled_not_clipped() -> None:
    data = np.array([[0, 32768, 65535]], dtype=np.uint16)
    pixels = np.asarray(load_rgb(encode(Image.fromarray(data), "PNG")))
    assert pixels[0, :, 0].tolist() == [0, 128, 255]


def test_stream_and_pil_inputs() -> None:
    data = encode(Image.new("L", (5, 5), 7), "PNG")
    assert load_rgb(io.BytesIO(data)).mode == "RGB"
    assert load_rgb(Image.new("L", (5, 5))).mode == "RGB"


def test_garbage_raises_a_clear_error() -> None:
    with pytest.raises(ImageDecodeError, match="Not a readable image"):
        load_rgb(b"definitely not an image")
