"""Face crops: square JPEGs around a stored face, for People pages, search results and the admin."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from gallery.images import open_rendition, open_upright
from recognition.models import Face

FACE_CROP_SIZE = 160


def face_crop_jpeg(*, face: Face, size: int = FACE_CROP_SIZE) -> bytes:
    """A square JPEG around the face (30 % margin).

    Cut from the photo's display rendition (already upright, at most THUMBNAIL_LARGE_SIZE px) when
    the face is large enough there, else from the original: People pages show dozens of crops,
    and decoding a 12-megapixel original for each would be slow. Raises InvalidImage /
    FileNotFoundError when the photo cannot be read, and the storage's errors when it is unreachable.
    """
    photo = face.photo
    x1, y1, x2, y2 = face.box
    side = max(x2 - x1, y2 - y1) * 1.3
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    scale = 1.0
    image = None
    if photo.display and photo.display.name and photo.width:
        display = open_rendition(photo, "display")
        candidate = display.width / photo.width
        if side * candidate >= size * 0.8 or candidate >= 1.0:
            image, scale = display, candidate
    if image is None:
        image = open_upright(photo)
    half = side * scale / 2
    box = (
        round(cx * scale - half),
        round(cy * scale - half),
        round(cx * scale + half),
        round(cy * scale + half),
    )
    buffer = io.BytesIO()
    image.crop(box).resize((size, size), Image.Resampling.LANCZOS).save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def face_crop_etag(*, face: Face, size: int = FACE_CROP_SIZE) -> str:
    """A validator that changes whenever the crop could: the face's box, the photo's stored files
    (new names on every upload) and the crop size."""
    photo = face.photo
    parts = (face.pk, face.box, photo.display.name, photo.original.name, photo.width, size)
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'
