from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imports.tests.xmpdata import Tag

# Real photos (from $MEMORY_STUDIO_FACES_DIR) halved, with the face the detector finds there
# (x1, y1, x2, y2 in the halved image, measured once with the dlib pipeline).
FACES: dict[str, tuple[str, tuple[float, float, float, float]]] = {
    "obama": ("fr_obama/examples_obama.jpg", (187, 40, 306, 210)),
    "adams": ("of_adams/adams.jpg", (140, 84, 294, 310)),
    "biden": ("fr_biden/examples_biden.jpg", (203, 80, 352, 286)),
    "john": ("fr_kit_harington/john1.jpeg", (343, 41, 399, 118)),
}


def face_jpeg_bytes(faces_dir: Path, key: str, *, exif: Image.Exif | None = None) -> bytes:
    relative, _ = FACES[key]
    with Image.open(faces_dir / relative) as image:
        rgb = image.convert("RGB")
    half = rgb.resize((rgb.width // 2, rgb.height // 2))
    buffer = io.BytesIO()
    half.save(buffer, format="JPEG", quality=90, **({"exif": exif.tobytes()} if exif is not None else {}))
    return buffer.getvalue()


def face_tag(key: str, name: str) -> Tag:
    return Tag(name=name, box=FACES[key][1])


@pytest.fixture
def face_jpeg(faces_dir: Path) -> Callable[..., Path]:
    """Write one of FACES as a JPEG file at `path`; returns the path and its size."""

    def write(key: str, path: Path, **kwargs: Any) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(face_jpeg_bytes(faces_dir, key, **kwargs))
        return path

    return write


def size_of(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size
