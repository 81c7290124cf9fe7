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

from gallery import selectors
from gallery.models import Album, AlbumShare, Photo
from gallery.storage import MediaKind, media_url


def _absolute(serializer: serializers.Serializer[Any], photo: Photo, kind: MediaKind) -> str:
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


class _AlbumListSerializer(serializers.ListSerializer[Album]):
    def to_representation(self, data: Any) -> list[Any]:
        albums = list(data.all() if hasattr(data, "all") else data)
        assert isinstance(self.child, AlbumOutputSerializer)
        # Every cover of the list in one query, not one per album.
        self.child.covers = selectors.album_covers(albums=albums)
        return super().to_representation(albums)


class TrashedPhotoOutputSerializer(PhotoOutputSerializer):
    """A photo in the trash: when it went there and when it will be deleted for good."""

    purge_at = serializers.DateTimeField(read_only=True, help_text="When it is deleted for good.")

    class Meta:
        model = Photo
        fields = (*PhotoOutputSerializer.Meta.fields, "trashed_at", "purge_at")
        read_only_fields = fields


class AlbumOutputSerializer(serializers.ModelSerializer[Album]):
    """An album from gallery.selectors (annotated with its summary)."""

    photo_count = serializers.IntegerField(help_text="Photos in the album, outside the trash.")
    taken_from = serializers.DateTimeField(
        allow_null=True, help_text="When its earliest photo was taken; null when it is empty."
    )
    taken_until = serializers.DateTimeField(
        allow_null=True, help_text="When its latest photo was taken; null when it is empty."
    )
    cover = serializers.SerializerMethodField(
        help_text="The cover photo's id: the picked one, else the first photo; null when it is empty."
    )
    cover_thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Album
        fields = (
            "id",
            "name",
            "created_at",
            "updated_at",
            "photo_count",
            "taken_from",
            "taken_until",
            "sort_order",
            "cover",
            "cover_thumbnail_url",
        )
        read_only_fields = fields
        list_serializer_class = _AlbumListSerializer

    covers: dict[int, Photo] | None = None  # set by the list serializer for a whole page

    def _cover(self, album: Album) -> Photo | None:
        covers = self.covers if self.covers is not None else selectors.album_covers(albums=[album])
        return covers.get(album.pk)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_cover(self, album: Album) -> int | None:
        return selectors.album_cover_id(album=album)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_cover_thumbnail_url(self, album: Album) -> str | None:
        photo = self._cover(album)
        return None if photo is None else _absolute(self, photo, "thumbnail")


class PhotoIdsOutputSerializer(serializers.Serializer[Any]):
    photos = serializers.ListField(child=serializers.IntegerField(), help_text="Photo ids, in order.")


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
