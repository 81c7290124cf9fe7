"""Image loading: EXIF orientation and any Pillow mode to 8-bit RGB.

The one place where pixels become what the face engine sees: uploads and search queries
(through gallery.images, which validates them first), evaluation, benchmarks and training
all use `upright` and `to_rgb` from here.
"""

from __future__ import annotations

import io
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps

try:
    # HEIC/HEIF (phone photos) through Pillow's normal open(); registering twice is harmless.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is in requirements.txt
    pass

# Modes holding more than 8 bits per sample; Pillow's convert("RGB") clips them instead of scaling.
_WIDE_MODES = {"I", "I;16", "I;16L", "I;16B", "I;16N", "F"}


class ImageDecodeError(ValueError):
    """The input is not an image Pillow can decode."""


def load_rgb(source: bytes | BinaryIO | Image.Image) -> Image.Image:
    """Decode `source`, apply its EXIF orientation and return an upright 8-bit RGB image.

    Handles grayscale, palette (with transparency), alpha (composited on white), CMYK,
    16-bit and float images. Raises ImageDecodeError for undecodable input.
    """
    if isinstance(source, Image.Image):
        image = source
    else:
        stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
        try:
            image = Image.open(stream)
            image.load()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ImageDecodeError(f"Not a readable image: {exc}") from exc
    return to_rgb(upright(image))


def upright(image: Image.Image) -> Image.Image:
    """The image turned by its EXIF orientation; a broken EXIF block leaves it as it is."""
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, KeyError, TypeError):
        return image


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB from any mode: palette and alpha composited on white, CMYK converted, 16-bit
    and float samples scaled to 8 bits (Pillow's own conversion would clip them)."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in _WIDE_MODES:
        return _wide_to_rgb(image)
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
        if mode == "RGB":
            return image
    if mode in {"RGBA", "LA", "PA", "RGBa", "La"}:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _wide_to_rgb(image: Image.Image) -> Image.Image:
    """Scale a 16-bit / 32-bit / float single-channel image to 8 bits by its value range."""
    data = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
        scaled = (data - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(data)
    else:
        # 16-bit data (also stored as mode "I" by PNG) uses 0..65535; wider ranges by maximum.
        top = 65535.0 if float(data.max(initial=0)) <= 65535 else float(data.max())
        scaled = np.clip(data, 0, None) / top * 255.0
    gray = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return Image.fromarray(gray).convert("RGB")
