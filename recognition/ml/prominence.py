"""Which face a photo is about: the one to use when a single face is taken from a photo.

"The largest face" is wrong on many real photos: a neighbour cut off by the frame is often
larger than the person the photo was taken of (45 of LFW's images). The subject is large,
near the centre and whole, so each face scores its share of the photo's area, weighted by
how near the centre it sits, and a face that reaches the frame (cut by it: its box is
clipped to the image) counts for a fraction only. A cut face still wins when it is several
times larger than any whole face (a close-up that fills the frame), and a whole face off the
centre wins when it is clearly larger than a central one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from recognition.ml.types import Box, DetectedFace

# At the corner of the photo a face counts for 1 - CENTRE_WEIGHT of its area; halfway to the
# edge (on both axes) for 1 - CENTRE_WEIGHT / 2.
CENTRE_WEIGHT = 0.75
# What a face reaching the frame counts for. A face cut by the frame must be almost three times
# as large as a whole face at the same place to win; a neighbour cut at the edge, which also
# sits off the centre, four or five times as large as the central subject.
CUT_PENALTY = 0.35
# A box within this share of the photo's longest side (and at least a pixel) of the frame
# reaches it: detectors clip boxes to the image, and stored boxes are rounded.
EDGE_TOLERANCE = 0.003


def is_cut(box: Box, size: tuple[int, int]) -> bool:
    """Whether the box reaches the frame, i.e. the face is (likely) cut by it."""
    width, height = size
    tolerance = max(1.0, EDGE_TOLERANCE * max(width, height))
    x1, y1, x2, y2 = box
    return x1 <= tolerance or y1 <= tolerance or x2 >= width - tolerance or y2 >= height - tolerance


def prominence(box: Box, size: tuple[int, int]) -> float:
    """How much the photo is about this face: its share of the area, times its closeness to the
    centre (1 at the centre, 1 - CENTRE_WEIGHT at a corner), times CUT_PENALTY when cut."""
    width, height = size
    if width <= 0 or height <= 0:
        raise ValueError(f"The image size must be positive, not {size!r}.")
    x1, y1, x2, y2 = box
    visible_w = max(0.0, min(x2, width) - max(x1, 0.0))
    visible_h = max(0.0, min(y2, height) - max(y1, 0.0))
    share = visible_w * visible_h / (width * height)
    # The box centre's offset from the photo's centre, per axis as a share of the half side.
    dx = ((x1 + x2) / 2 - width / 2) / (width / 2)
    dy = ((y1 + y2) / 2 - height / 2) / (height / 2)
    offset = min(1.0, math.sqrt((dx * dx + dy * dy) / 2))
    score = share * (1.0 - CENTRE_WEIGHT * offset)
    return score * CUT_PENALTY if is_cut(box, size) else score


def most_prominent(boxes: Sequence[Box], size: tuple[int, int]) -> int:
    """The index of the face the photo is about (ties: the first, i.e. the detector's order)."""
    if not boxes:
        raise ValueError("There is no face to choose from.")
    scores = [prominence(box, size) for box in boxes]
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def most_prominent_face(faces: Sequence[DetectedFace], size: tuple[int, int]) -> int:
    """`most_prominent` over detected faces."""
    return most_prominent([face.box for face in faces], size)
