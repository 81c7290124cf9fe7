"""Synthetic libraries in a benchmark's database: Photo rows without files (what grouping and the
face index read never needs the images)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User
    from gallery.models import Photo


def file_less_photo(*, owner: User, k: int, taken_at: datetime, model_key: str = "dlib-resnet") -> Photo:
    """An indexed photo row numbered `k` (unique names and content hash), with no stored files."""
    from gallery.models import Photo

    return Photo(
        owner=owner,
        original=f"bench/{k}.jpg",
        thumbnail=f"bench/{k}-t.jpg",
        display=f"bench/{k}-d.jpg",
        content_hash=f"{k:064x}",
        width=2000,
        height=1500,
        size=1,
        mime_type="image/jpeg",
        taken_at=taken_at,
        index_status=Photo.IndexStatus.INDEXED,
        index_model=model_key,
    )
