"""Who may see users' pictures in the admin.

Operators manage accounts, photos' metadata, people and the face index in the admin, but the
pictures themselves (originals, renditions, face crops) are private: only a superuser, and only
while `ADMIN_CAN_VIEW_USER_MEDIA=1`, sees them. Everyone else gets the admin without the preview
columns, and the admin's media URLs answer 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest

M = TypeVar("M", bound=models.Model)


def can_view_user_media(request: HttpRequest) -> bool:
    user = request.user
    return bool(settings.ADMIN_CAN_VIEW_USER_MEDIA and user.is_active and user.is_superuser)


def check_can_view_user_media(request: HttpRequest) -> None:
    if not can_view_user_media(request):
        raise PermissionDenied("Users' photos and faces are not visible in the admin.")


class UserMediaAdmin(admin.ModelAdmin[M]):
    """A model admin whose `media_fields` (columns and fields that show a user's pictures) appear
    only to those who `can_view_user_media`."""

    media_fields: tuple[str, ...] = ()

    def _without_media(self, request: HttpRequest, names: Sequence[Any]) -> list[Any]:
        if can_view_user_media(request):
            return list(names)
        return [name for name in names if name not in self.media_fields]

    def get_list_display(self, request: HttpRequest) -> Any:
        return self._without_media(request, super().get_list_display(request))

    def get_list_display_links(self, request: HttpRequest, list_display: Any) -> Any:
        links: Sequence[Any] | None = super().get_list_display_links(request, list_display)
        if links is None:
            return None
        kept = [name for name in self._without_media(request, links) if name in list_display]
        # The change page stays reachable when the linked column was a hidden preview.
        return kept or [name for name in list_display if name != "action_checkbox"][:1]

    def get_fields(self, request: HttpRequest, obj: M | None = None) -> Any:
        return self._without_media(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj: M | None = None) -> Any:
        return self._without_media(request, super().get_readonly_fields(request, obj))
