"""Detect, align and embed: the whole engine behind one `load()` / `predict()`."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from PIL import Image

from recognition.ml.alignment import align_face
from recognition.ml.detection import FaceDetector
from recognition.ml.embedders import Embedder
from recognition.ml.types import MARKED_FACE_SCORE, Box, DetectedFace, FaceEmbedding


class FacePipeline:
    """Faces and their embeddings for RGB, upright images (see `images.load_rgb`)."""

    def __init__(self, detector: FaceDetector, embedder: Embedder, batch_size: int = 16) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1.")
        self.detector = detector
        self.embedder = embedder
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._loaded = False

    @property
    def model_key(self) -> str:
        return self.embedder.key

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        with self._lock:
            if not self._loaded:
                self.detector.load()
                self.embedder.load()
                self._loaded = True

    def detect(self, images: Sequence[Image.Image]) -> list[list[DetectedFace]]:
        self.load()
        faces: list[list[DetectedFace]] = []
        for start in range(0, len(images), self.batch_size):
            faces += self.detector.predict(list(images[start : start + self.batch_size]))
        return faces

    def align(self, image: Image.Image, faces: Sequence[DetectedFace]) -> np.ndarray:
        """(len(faces), h, w, 3) uint8 chips for the embedder's template."""
        width, height = self.embedder.template.size
        if not faces:
            return np.zeros((0, height, width, 3), dtype=np.uint8)
        return np.stack([align_face(image, face.landmarks, self.embedder.template) for face in faces])

    def predict(self, images: Sequence[Image.Image]) -> list[list[FaceEmbedding]]:
        """Every face of every image with its embedding, largest face first."""
        self.load()
        found = self.detect(images)
        chips = [self.align(image, faces) for image, faces in zip(images, found, strict=True)]
        counts = [len(c) for c in chips]
        results: list[list[FaceEmbedding]] = []
        if sum(counts) == 0:
            return [[] for _ in images]
        # Embed all faces of the batch together; the embedder batches them again by its own size.
        vectors = self.embedder.predict(np.concatenate(chips))
        offset = 0
        for faces, count in zip(found, counts, strict=True):
            results.append(
                [
                    FaceEmbedding(face=f, vector=v)
                    for f, v in zip(faces, vectors[offset : offset + count], strict=True)
                ]
            )
            offset += count
        return results

    def embed_boxes(self, image: Image.Image, boxes: Sequence[Box]) -> list[FaceEmbedding]:
        """Embeddings for faces the detector did not find but a person marked (an imported face
        tag): the box stands for the embedder's chip, so the template's landmarks are placed in
        it proportionally. Less exact than detected landmarks, but in the same space."""
        self.load()
        width, height = self.embedder.template.size
        faces = []
        for x1, y1, x2, y2 in boxes:
            scale_x, scale_y = (x2 - x1) / width, (y2 - y1) / height
            landmarks = tuple(
                (x1 + px * scale_x, y1 + py * scale_y) for px, py in self.embedder.template.points
            )
            faces.append(DetectedFace(box=(x1, y1, x2, y2), score=MARKED_FACE_SCORE, landmarks=landmarks))
        if not faces:
            return []
        vectors = self.embedder.predict(self.align(image, faces))
        return [FaceEmbedding(face=f, vector=v) for f, v in zip(faces, vectors, strict=True)]
