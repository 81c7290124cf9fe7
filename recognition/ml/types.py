"""Typed records returned by the recognition engine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Point = tuple[float, float]
Box = tuple[float, float, float, float]

# The detection score of a face a person marked where the detector found none (an imported face
# tag, FacePipeline.embed_boxes); a detector's faces always score above it.
MARKED_FACE_SCORE = 0.0


@dataclass(frozen=True)
class DetectedFace:
    """A face found in an upright (EXIF-transposed) image, in original-resolution pixels.

    `box` is (x1, y1, x2, y2); `landmarks` are 5 points: image-left eye, image-right eye,
    nose tip, mouth corner image-left, mouth corner image-right.
    """

    box: Box
    score: float
    landmarks: tuple[Point, ...]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)


@dataclass(frozen=True, eq=False)
class FaceEmbedding:
    """A detected face and its L2-normalised float32 descriptor of shape (dim,)."""

    face: DetectedFace
    vector: npt.NDArray[np.float32]
