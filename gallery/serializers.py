"""Explicit API output serializers (no logic beyond presentation).

URLs are built for the requesting user: on local storage they point at the permission-checked
media view, on S3 they are short-lived pre-signed URLs. Serialize only photos the requesting
user owns (they come from gallery.selectors).
"""

from __future__ import annotations

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


class TrashedPhotoOutputSerializer(PhotoOutputSerializer):
    """A photo in the trash: when it went there and when it will be deleted for good."""

    purge_at = serializers.DateTimeField(read_only=True, help_text="When it is deleted for good.")

    class Meta:
        model = Photo
        fields = (*PhotoOutputSerializer.Meta.fields, "trashed_at", "purge_at")
        read_only_fields = fields


class AlbumOutputSerializer(serializers.ModelSerializer[Album]):
    photo_count = serializers.SerializerMethodField()

    class Meta:
        model = Album
        fields = ("id", "name", "created_at", "updated_at", "photo_count")
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_photo_count(self, album: Album) -> int:
        count = getattr(album, "photo_count", None)
        return int(count) if count is not None else album.photos.live().count()
