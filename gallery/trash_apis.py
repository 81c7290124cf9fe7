"""REST API for the trash: list it, restore or delete photos for good, empty it.

Restore and delete take `{"photos": [ids]}` and are all-or-nothing: any id that is not a photo
in the caller's trash (someone else's, outside the trash, missing) answers 404 and changes nothing.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import signed_in_user
from gallery import selectors, services
from gallery.serializers import PhotoOutputSerializer, TrashedPhotoOutputSerializer
from memory_studio.api import ErrorSerializer, PaginatedListMixin
from memory_studio.parsers import BoundedJSONParser

# One request names at most this many photos (a page of the trash is far smaller).
_MAX_PHOTOS = 1000
_NOT_IN_TRASH = OpenApiResponse(
    ErrorSerializer, description="An id is not a photo in your trash (someone else's, outside it, missing)."
)


class TrashPhotosInputSerializer(serializers.Serializer[Any]):
    photos = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=_MAX_PHOTOS
    )


class TrashCountOutputSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="How many photos this request restored or deleted.")


class TrashListApi(PaginatedListMixin, APIView):
    """Your trash, most recently trashed first, with when each photo is deleted for good."""

    @extend_schema(responses=TrashedPhotoOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        photos = selectors.trash_list_for_user(user=request.user)
        return self.paginated_response(request, photos, TrashedPhotoOutputSerializer)


class TrashRestoreApi(APIView):
    """Take photos out of the trash (all of them, or none: 404 if any id is not in your trash)."""

    parser_classes = (BoundedJSONParser,)

    @extend_schema(
        request=TrashPhotosInputSerializer,
        responses={200: PhotoOutputSerializer(many=True), 404: _NOT_IN_TRASH},
    )
    def post(self, request: Request) -> Response:
        serializer = TrashPhotosInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photos = selectors.photos_for_user_by_ids(
            user=request.user, photo_ids=serializer.validated_data["photos"], trashed=True
        )
        services.photos_restore(owner=signed_in_user(request), photos=photos)
        restored = selectors.photo_list_for_user(user=request.user).filter(pk__in=[p.pk for p in photos])
        return Response(PhotoOutputSerializer(restored, many=True, context={"request": request}).data)


class TrashDeleteApi(APIView):
    """Delete photos in your trash for good (all of them, or none: 404 if any id is not in your
    trash). Their files leave the storage once the deletion is committed."""

    parser_classes = (BoundedJSONParser,)

    @extend_schema(
        request=TrashPhotosInputSerializer, responses={200: TrashCountOutputSerializer, 404: _NOT_IN_TRASH}
    )
    def post(self, request: Request) -> Response:
        serializer = TrashPhotosInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photos = selectors.photos_for_user_by_ids(
            user=request.user, photo_ids=serializer.validated_data["photos"], trashed=True
        )
        count = services.photos_delete_forever(owner=signed_in_user(request), photos=photos)
        return Response(TrashCountOutputSerializer({"count": count}).data)


class TrashEmptyApi(APIView):
    """Delete every photo in your trash for good."""

    @extend_schema(request=None, responses=TrashCountOutputSerializer)
    def post(self, request: Request) -> Response:
        count = services.trash_empty(owner=signed_in_user(request))
        return Response(TrashCountOutputSerializer({"count": count}).data)
