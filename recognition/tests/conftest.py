from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recognition.ml.pipeline import FacePipeline
from recognition.runtime import get_pipeline


@pytest.fixture(scope="session")
def pipeline() -> FacePipeline:
    """The process's real pipeline (dlib-resnet on CPU), loaded once for the whole session."""
    return get_pipeline()


@pytest.fixture
def upload_photo(django_capture_on_commit_callbacks: Any) -> Any:
    """Upload a file as `owner` through the gallery service and run its indexing (inline)."""
    from gallery.services import photo_create

    def upload(owner: Any, path: Path, *, title: str = "") -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            photo = photo_create(owner=owner, upload=SimpleUploadedFile(path.name, path.read_bytes()), title=title)
        photo.refresh_from_db()
        return photo

    return upload


def person_photos(faces_dir: Path, person: str) -> list[Path]:
    return sorted(p for p in (faces_dir / person).iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
