"""Admin for photos and albums. Staff see every owner's objects here; deletes still go through
the services so that files leave storage after the commit."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gallery import services
from gallery.models import Album, AlbumShare, PendingDeletion, Photo
from gallery.responses import storage_file_response
from gallery.storage import MEDIA_KINDS
from memory_studio.admin_media import UserMediaAdmin, check_can_view_user_media


@admin.register(Photo)
class PhotoAdmin(UserMediaAdmin[Photo]):
    list_display = ("preview", "display_title", "owner", "taken_at", "uploaded_at", "width", "height", "size")
    list_display_links = ("preview", "display_title")
    list_filter = ("owner", "taken_at", "uploaded_at", "mime_type")
    list_select_related = ("owner",)
    date_hierarchy = "taken_at"
    search_fields = ("title", "caption", "original_filename", "owner__username", "content_hash")
    readonly_fields = (
        "large_preview",
        "owner",
        "original",
        "thumbnail",
        "display",
        "original_filename",
        "content_hash",
        "width",
        "height",
        "size",
        "mime_type",
        "taken_at_from_exif",
        "uploaded_at",
    )
    fields = ("large_preview", "owner", "title", "caption", "taken_at", *readonly_fields[2:])
    actions = ("delete_with_files",)
    media_fields = ("preview", "large_preview")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # The built-in bulk delete would bypass photo_delete and leave files in storage.
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # photos are created by uploading (validation, renditions)

    def get_urls(self) -> list[URLPattern]:
        media = path(
            "<int:photo_id>/media/<str:kind>/",
            self.admin_site.admin_view(self.media_view),
            name="gallery_photo_media",
        )
        return [media, *super().get_urls()]

    def media_view(self, request: HttpRequest, photo_id: int, kind: str) -> HttpResponseBase:
        if kind not in MEDIA_KINDS or not self.has_view_permission(request):
            raise Http404("No such file.")
        check_can_view_user_media(request)
        try:
            photo = Photo.objects.get(pk=photo_id)
        except Photo.DoesNotExist:
            raise Http404("No such photo.") from None
        field = getattr(photo, kind)
        return storage_file_response(
            storage=field.storage,
            name=field.name,
            content_type=photo.mime_type if kind == "original" else "image/jpeg",
        )

    def _media_url(self, photo: Photo, kind: str) -> str:
        return reverse("admin:gallery_photo_media", kwargs={"photo_id": photo.pk, "kind": kind})

    @admin.display(description=_("Preview"))
    def preview(self, photo: Photo) -> str:
        return format_html(
            '<img src="{}" alt="" loading="lazy" '
            'style="width:64px;height:64px;object-fit:cover;border-radius:4px">',
            self._media_url(photo, "thumbnail"),
        )

    @admin.display(description=_("Image"))
    def large_preview(self, photo: Photo) -> str:
        return format_html(
            '<a href="{}"><img src="{}" alt="" style="max-width:400px;max-height:400px"></a>',
            self._media_url(photo, "original"),
            self._media_url(photo, "display"),
        )

    @admin.display(description=_("Title"), ordering="title")
    def display_title(self, photo: Photo) -> str:
        return photo.display_title

    @admin.action(description=_("Delete selected photos and their files"), permissions=["delete"])
    def delete_with_files(self, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
        count = 0
        for photo in queryset:
            services.photo_delete(photo=photo)
            count += 1
        self.message_user(
            request,
            ngettext("Deleted %(count)d photo.", "Deleted %(count)d photos.", count) % {"count": count},
        )

    def delete_model(self, request: HttpRequest, obj: Photo) -> None:
        services.photo_delete(photo=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
        for photo in queryset:
            services.photo_delete(photo=photo)


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin[Album]):
    list_display = ("name", "owner", "created_at", "updated_at")
    list_filter = ("owner", "created_at")
    list_select_related = ("owner",)
    search_fields = ("name", "owner__username")
    readonly_fields = ("owner", "created_at", "updated_at")
    fields = ("name", "owner", "created_at", "updated_at")


@admin.register(PendingDeletion)
class PendingDeletionAdmin(admin.ModelAdmin[PendingDeletion]):
    """Files waiting to leave the storage (it was down when their photo was deleted)."""

    list_display = ("name", "created_at", "attempts", "last_attempt_at", "last_error")
    readonly_fields = ("name", "created_at", "attempts", "last_attempt_at", "last_error")
    search_fields = ("name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PendingDeletion | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PendingDeletion | None = None) -> bool:
        return False  # the queue is how files leave the storage: emptied by the sweep only


@admin.register(AlbumShare)
class AlbumShareAdmin(admin.ModelAdmin[AlbumShare]):
    """Album share links, read-only (only the token's hash is stored: no link to show); staff
    may revoke them, through the service."""

    list_display = (
        "__str__",
        "album",
        "created_at",
        "expires_at",
        "revoked_at",
        "view_count",
        "last_viewed_at",
    )
    list_filter = ("created_at", "revoked_at")
    list_select_related = ("album", "album__owner")
    search_fields = ("label", "album__name", "album__owner__username")
    readonly_fields = (
        "album",
        "label",
        "allow_download",
        "created_at",
        "expires_at",
        "revoked_at",
        "view_count",
        "last_viewed_at",
    )
    fields = readonly_fields
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AlbumShare | None = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected links"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[AlbumShare]) -> None:
        for share in queryset:
            services.album_share_revoke(share=share)
