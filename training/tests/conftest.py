"""A small folder-per-person dataset built from the real photos (symlinks in a temp folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

SMALL_IDENTITIES = ("angelina_jolie", "deepface_g02", "deepface_g04")
# Enough people to hold 2 out for validation (20+ same-person pairs) and train on 4.
SPLIT_IDENTITIES = (*SMALL_IDENTITIES, "bbt_penny", "deepface_g05", "deepface_g11")


def _link_people(root: Path, faces_dir: Path, names: tuple[str, ...]) -> Path:
    for name in names:
        (root / name).mkdir()
        for photo in sorted((faces_dir / name).iterdir()):
            (root / name / photo.name).symlink_to(photo)
    return root


@pytest.fixture(scope="session")
def small_dataset(faces_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _link_people(tmp_path_factory.mktemp("small-faces"), faces_dir, SMALL_IDENTITIES)


@pytest.fixture(scope="session")
def split_dataset(faces_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _link_people(tmp_path_factory.mktemp("split-faces"), faces_dir, SPLIT_IDENTITIES)


@pytest.fixture(scope="session")
def chip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared across the session: faces are detected once for all training tests."""
    return tmp_path_factory.mktemp("chip-cache")
