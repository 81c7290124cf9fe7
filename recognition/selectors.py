"""Reads of the face index, always scoped to one owner."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from django.http import Http404
from django.utils.translation import gettext as _

from gallery.models import Photo
from gallery.selectors import AnyUser, photo_get_for_user
from recognition.index import face_matrix
from recognition.models import Face, SearchQuery


@dataclass(frozen=True)
class SearchHit:
    photo: Photo
    face: Face
    similarity: float
    distance: float


def face_get_for_user(*, user: AnyUser, face_id: int) -> Face:
    """The user's face with this id; 404 for a face of another user or none at all."""
    face = Face.objects.select_related("photo").filter(owner_id=user.pk, pk=face_id).first()
    if face is None:
        raise Http404(_("No such face."))
    return face


def search_query_get_for_user(*, user: AnyUser, query_id: str) -> SearchQuery:
    """The user's kept query photo with this id; 404 for another user's, an expired one or none."""
    # A malformed id (say a NUL byte, which PostgreSQL refuses) is never looked up.
    query = (
        SearchQuery.objects.live().filter(owner_id=user.pk, pk=query_id).first()
        if SearchQuery.ID_PATTERN.fullmatch(str(query_id))
        else None
    )
    if query is None:
        raise Http404(_("This search has expired. Choose the photo again."))
    return query


def photo_faces_for_user(*, user: AnyUser, photo_id: int, model_key: str) -> tuple[Photo, list[Face]]:
    photo = photo_get_for_user(user=user, photo_id=photo_id)
    faces = list(
        Face.objects.filter(photo=photo, owner_id=user.pk, model_key=model_key)
        .select_related("person", "suggested_person")
        .order_by("x1", "y1")
    )
    return photo, faces


def face_search(
    *, user: AnyUser, vector: npt.ArrayLike, model_key: str, min_similarity: float, limit: int
) -> list[SearchHit]:
    """The user's photos showing the face `vector`, best first, one entry per photo."""
    if user.pk is None:  # not signed in: no photos
        return []
    matrix = face_matrix(owner_id=user.pk, model_key=model_key)
    if matrix is None:
        return []
    # Faces of photos in the trash stay in the index (a restore brings them back at once, with
    # no re-indexing and no deletion events); the search leaves those photos out instead. The
    # trash is small next to a library, so listing its ids costs one indexed query.
    trashed = Photo.objects.filter(owner_id=user.pk).trashed().values_list("pk", flat=True)
    matches = matrix.search(
        np.asarray(vector, dtype=np.float32),
        min_similarity=min_similarity,
        limit=limit,
        exclude_photo_ids=list(trashed),
    )
    faces = {
        f.pk: f
        for f in Face.objects.filter(
            owner_id=user.pk, pk__in=[m.face_id for m in matches], photo__trashed_at__isnull=True
        ).select_related("photo", "person")
    }
    return [
        SearchHit(
            photo=faces[m.face_id].photo, face=faces[m.face_id], similarity=m.similarity, distance=m.distance
        )
        for m in matches
        if m.face_id in faces  # a face deleted (or its photo trashed) since the snapshot is dropped
    ]
