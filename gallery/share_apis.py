"""REST API for album share links (the owner's side): list, create, change, revoke.

Albums and links are looked up through the owner-scoped selectors, so other users' ids are 404.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.preferences import is_time_zone
from gallery import selectors, services
from gallery.serializers import AlbumShareCreatedOutputSerializer, AlbumShareOutputSerializer
from memory_studio.api import PaginatedListMixin

SHARE_MAX_DAYS = 3650


class AlbumShareInputSerializer(serializers.Serializer[Any]):
    # The metaclass takes declared fields off the class: no clash with Field.label at run time.
    label = serializers.CharField(  # type: ignore[assignment]
        max_length=services.SHARE_LABEL_MAX, required=False, allow_blank=True
    )
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the link stops working (null: never); without an offset, in your time zone.",
    )
    expires_in_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=SHARE_MAX_DAYS,
        help_text="Or: expires this many days from now.",
    )
    password = serializers.CharField(
        max_length=services.SHARE_PASSWORD_MAX,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
        help_text="Visitors must type it once per browser session; empty: no password.",
    )
    allow_download = serializers.BooleanField(required=False)

    def validate_expires_at(self, value: datetime.datetime | None) -> datetime.datetime | None:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError(_("Choose a time in the future."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "expires_at" in attrs and "expires_in_days" in attrs:
            raise serializers.ValidationError(_("Give either an expiry time or a number of days, not both."))
        days = attrs.pop("expires_in_days", None)
        if days is not None:
            attrs["expires_at"] = timezone.now() + datetime.timedelta(days=days)
        return attrs


def _validated(request: Request, *, partial: bool = False) -> dict[str, Any]:
    """The input, an `expires_at` without an offset read in the owner's time zone (token clients
    too: the middleware that activates it sees only session logins)."""
    serializer = AlbumShareInputSerializer(data=request.data, partial=partial)
    zone = getattr(request.user, "time_zone", "")
    with timezone.override(zoneinfo.ZoneInfo(zone) if is_time_zone(zone) else None):
        serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _share_url(request: Request, token: str) -> str:
    return request.build_absolute_uri(reverse("share:album", kwargs={"token": token}))


class AlbumShareListApi(PaginatedListMixin, APIView):
    """List the share links of one of your albums, or create one (its link is in this answer
    only: the server keeps just a hash of it)."""

    @extend_schema(responses=AlbumShareOutputSerializer(many=True))
    def get(self, request: Request, album_id: int) -> Response:
        album = selectors.album_get_for_user(user=request.user, album_id=album_id)
        return self.paginated_response(
            request, selectors.album_share_list(album=album), AlbumShareOutputSerializer
        )

    @extend_schema(request=AlbumShareInputSerializer, responses={201: AlbumShareCreatedOutputSerializer})
    def post(self, request: Request, album_id: int) -> Response:
        album = selectors.album_get_for_user(user=request.user, album_id=album_id)
        data = _validated(request)
        share, token = services.album_share_create(
            album=album,
            label=data.get("label", ""),
            expires_at=data.get("expires_at"),
            password=data.get("password", ""),
            allow_download=data.get("allow_download", False),
        )
        output = AlbumShareCreatedOutputSerializer(share, context={"url": _share_url(request, token)})
        return Response(output.data, status=status.HTTP_201_CREATED)


class AlbumShareDetailApi(APIView):
    """Read or change one share link of your album; DELETE revokes it (visitors get 404 at
    once; the link is kept in the list as revoked)."""

    @extend_schema(responses=AlbumShareOutputSerializer)
    def get(self, request: Request, album_id: int, share_id: int) -> Response:
        share = selectors.album_share_get_for_user(user=request.user, album_id=album_id, share_id=share_id)
        return Response(AlbumShareOutputSerializer(share).data)

    @extend_schema(request=AlbumShareInputSerializer, responses=AlbumShareOutputSerializer)
    def patch(self, request: Request, album_id: int, share_id: int) -> Response:
        share = selectors.album_share_get_for_user(user=request.user, album_id=album_id, share_id=share_id)
        data = _validated(request, partial=True)
        try:
            share = services.album_share_update(
                share=share,
                label=data.get("label"),
                expires_at=data.get("expires_at", services.UNCHANGED),
                password=data.get("password"),
                allow_download=data.get("allow_download"),
            )
        except services.ShareLinkRevokedError as exc:
            raise serializers.ValidationError({"detail": str(exc)}, code="revoked") from exc
        return Response(AlbumShareOutputSerializer(share).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, album_id: int, share_id: int) -> Response:
        share = selectors.album_share_get_for_user(user=request.user, album_id=album_id, share_id=share_id)
        services.album_share_revoke(share=share)
        return Response(status=status.HTTP_204_NO_CONTENT)
