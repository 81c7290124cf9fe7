"""Explicit API output serializers (no logic beyond presentation).

URLs are built for the requesting user: on local storage they point at the permission-checked
media view, on S3 they are short-lived pre-signed URLs. Serialize only photos the requesting
user owns (they come from gallery.selectors).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gallery.models import Album, Photo
from gallery.storage import MediaKind, media_url


def _absolute(serializer: serializers.Serializer[Photo], photo: Photo, kind: MediaKind) -> str:
    url = media_url(photo, kind)
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request is not None and url.startswith("/") else url


class PhotoOutputSerializer(serializers.ModelSerializer[Photo]):
    image_url = serializers.SerializerMethodField()
    display_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = (
            "id",
            "title",
            "caption",
            "original_filename",
            "taken_at",
            "uploaded_at",
            "width",
            "height",
            "size",
            "mime_type",
            "content_hash",
            "image_url",
            "display_url",
            "thumbnail_url",
            "index_status",
            "index_model",
            "index_error",
            "face_count",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_image_url(self, photo: Photo) -> str:
        return _absolute(self, photo, "original")

    @extend_schema_field(serializers.URLField())
    def get_display_url(self, photo: Photo) -> str:
        return _absolute(self, photo, "display")

    @extend_schema_field(serializers.URLField())
    def get_thumbnail_url(self, photo: Photo) -> str:
        return _absolute(self, photo, "thumbnail")


class AlbumOutputSerializer(serializers.ModelSerializer[Album]):
    photo_count = serializers.SerializerMethodField()

    class Meta:
        model = Album
        fields = ("id", "name", "created_at", "updated_at", "photo_count")
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_photo_count(self, album: Album) -> int:
        count = getattr(album, "photo_count", None)
        return int(count) if count is not None else album.photos.count()


class ViewerPhotoSerializer(serializers.Serializer[Photo]):
    """A photo as the full-screen viewer shows it. `view_url` keeps the viewer's order context
    (the serializer's `viewer_query` context); page URLs are paths on this site."""

    id = serializers.IntegerField()
    title = serializers.CharField(source="display_title")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    taken_at = serializers.DateTimeField()
    display_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    view_url = serializers.SerializerMethodField(help_text="This photo in the viewer, same order.")
    info_url = serializers.SerializerMethodField(help_text="The photo's page (details, faces, albums).")

    @extend_schema_field(serializers.URLField())
    def get_display_url(self, photo: Photo) -> str:
        return _absolute(self, photo, "display")

    @extend_schema_field(serializers.URLField())
    def get_download_url(self, photo: Photo) -> str:
        url = media_url(photo, "original", download=True)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None and url.startswith("/") else url

    def get_view_url(self, photo: Photo) -> str:
        path = reverse("gallery:photo_view", kwargs={"photo_id": photo.pk})
        return path + str(self.context.get("viewer_query", ""))

    def get_info_url(self, photo: Photo) -> str:
        return reverse("gallery:photo_detail", kwargs={"photo_id": photo.pk})


class ViewerOutputSerializer(serializers.Serializer[Any]):  # gallery.viewer.ViewerPlace
    photo = ViewerPhotoSerializer()
    previous = ViewerPhotoSerializer(
        source="neighbours.previous", allow_null=True, help_text="The photo before, or null at the start."
    )
    next = ViewerPhotoSerializer(
        source="neighbours.next", allow_null=True, help_text="The photo after, or null at the end."
    )
    position = serializers.IntegerField(source="neighbours.position", help_text="1-based.")
    count = serializers.IntegerField(source="neighbours.count")
    query = serializers.CharField(help_text="The order's query string, e.g. `?album=3` (empty for the grid).")
    close_url = serializers.CharField(help_text="The page closing the viewer returns to.")
