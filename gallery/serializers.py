"""Explicit API output serializers (no logic beyond presentation).

URLs are built for the requesting user: on local storage they point at the permission-checked
media view, on S3 they are short-lived pre-signed URLs. Serialize only photos the requesting
user owns (they come from gallery.selectors).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gallery.models import Album, AlbumShare, Photo
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


class AlbumShareOutputSerializer(serializers.ModelSerializer[AlbumShare]):
    """A share link as its owner sees it; the link itself only in the answer that created it."""

    state = serializers.SerializerMethodField()
    has_password = serializers.BooleanField(read_only=True)

    class Meta:
        model = AlbumShare
        fields: tuple[str, ...] = (
            "id",
            "label",
            "state",
            "has_password",
            "allow_download",
            "created_at",
            "expires_at",
            "revoked_at",
            "view_count",
            "last_viewed_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=AlbumShare.State.choices))
    def get_state(self, share: AlbumShare) -> str:
        return str(share.state())


class AlbumShareCreatedOutputSerializer(AlbumShareOutputSerializer):
    url = serializers.SerializerMethodField()

    class Meta(AlbumShareOutputSerializer.Meta):
        fields = (*AlbumShareOutputSerializer.Meta.fields, "url")
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(help_text="The link; shown only this once."))
    def get_url(self, share: AlbumShare) -> str:
        return str(self.context["url"])
