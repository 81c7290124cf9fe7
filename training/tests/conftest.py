"""A small folder-per-person dataset built from the real photos (symlinks in a temp folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

SMALL_IDENTITIES = ("angelina_jolie", "deepface_g02", "deepface_g04")


@pytest.fixture(scope="session")
def small_dataset(faces_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small-faces")
    for name in SMALL_IDENTITIES:
        (root / name).mkdir()
        for photo in sorted((faces_dir / name).iterdir()):
            (root / name / photo.name).symlink_to(photo)
    return root


@pytest.fixture(scope="session")
def chip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared across the session: faces are detected once for all training tests."""
    return tmp_path_factory.mktemp("chip-cache")
