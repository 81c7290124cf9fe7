"""Test photos composed from the face photos: a subject and a neighbour cut by the frame."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from recognition.ml.detection import FaceDetector
from recognition.ml.types import Box

SIZE = (960, 640)


def face_cut(path: Path, box: Box, *, face_width: int) -> tuple[Image.Image, tuple[float, float]]:
    """The face in `box` of the photo at `path` with some context, scaled to `face_width` px
    wide; answers the crop and where the face's corner lies in it."""
    x1, y1, x2, y2 = box
    margin_x, margin_y = 0.35 * (x2 - x1), 0.35 * (y2 - y1)
    crop = (
        Image.open(path)
        .convert("RGB")
        .crop((round(x1 - margin_x), round(y1 - margin_y), round(x2 + margin_x), round(y2 + margin_y)))
    )
    scale = face_width / (x2 - x1)
    crop = crop.resize((round(crop.width * scale), round(crop.height * scale)), Image.Resampling.LANCZOS)
    return crop, (margin_x * scale, margin_y * scale)


def subject_with_cut_neighbour(detector: FaceDetector, subject: Path, neighbour: Path) -> Image.Image:
    """`subject`'s face whole in the middle of a 960x640 photo, and `neighbour`'s face 1.7 times
    as wide at the left edge with 30% of it outside the frame: by area the neighbour is the
    largest face, but the photo is about the subject."""
    [[subject_face]], [[neighbour_face]] = (
        detector.predict([Image.open(path).convert("RGB")]) for path in (subject, neighbour)
    )
    canvas = Image.new("RGB", SIZE, (128, 128, 128))
    centre, _ = face_cut(subject, subject_face.box, face_width=150)
    canvas.paste(centre, (SIZE[0] // 2 - centre.width // 2, SIZE[1] // 2 - centre.height // 2))
    cut, (margin_x, _) = face_cut(neighbour, neighbour_face.box, face_width=260)
    canvas.paste(cut, (round(-0.3 * 260 - margin_x), SIZE[1] // 2 - cut.height // 2))
    return canvas
