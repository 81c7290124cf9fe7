"""Reads of exports, always scoped to their owner (another user's export is a 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from exports.models import Export
from gallery.models import Photo
from memory_studio.ids import db_id


def export_list_for_user(*, user: Any) -> QuerySet[Export]:
    if not isinstance(user, User):
        return Export.objects.none()
    return Export.objects.filter(owner=user).order_by("-created_at", "-id")


def export_get_for_user(*, user: Any, export_id: Any) -> Export:
    """The user's export with this id; Http404 for missing, malformed or other users' ids."""
    pk = db_id(export_id)
    export = export_list_for_user(user=user).filter(pk=pk).first() if pk is not None else None
    if export is None:
        raise Http404(_("No such export."))
    return export


def export_get_downloadable_for_user(*, user: Any, export_id: Any) -> Export:
    """The user's finished, unexpired export; Http404 otherwise (expired links lead nowhere)."""
    export = export_get_for_user(user=user, export_id=export_id)
    if not export.is_downloadable:
        raise Http404(_("This export has expired or is not ready."))
    return export


def library_counts_for_user(*, user: User) -> tuple[int, int]:
    """How many of the user's photos an export holds, and how many it leaves out (in the trash)."""
    photos = Photo.objects.filter(owner=user)
    return photos.live().count(), photos.trashed().count()
