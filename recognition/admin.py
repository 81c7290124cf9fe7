from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from memory_studio.admin_media import UserMediaAdmin, check_can_view_user_media
from recognition.models import Face, FaceIndexVersion
from recognition.services_http import face_crop_response


@admin.register(Face)
class FaceAdmin(UserMediaAdmin[Face]):
    list_display = ("id", "preview", "owner", "photo", "model_key", "score", "created_at")
    list_filter = ("model_key", "owner", ("photo", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("photo__title", "owner__username", "=photo__id")
    list_select_related = ("owner", "photo")
    raw_id_fields = ("owner", "photo")
    readonly_fields = ("preview", "dim", "created_at", "embedding_norm")
    exclude = ("embedding",)
    list_per_page = 60
    media_fields = ("preview",)

    # Faces are derived data: made and removed by indexing (which keeps every process's
    # in-memory index in step), never edited by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Face | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Face | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        crop = path(
            "<int:face_id>/crop.jpg", self.admin_site.admin_view(self.crop_view), name="recognition_face_crop"
        )
        return [crop, *super().get_urls()]

    def crop_view(self, request: HttpRequest, face_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404("No such face.")
        check_can_view_user_media(request)
        face = Face.objects.select_related("photo").filter(pk=face_id).first()
        if face is None:
            raise Http404("No such face.")
        return face_crop_response(request, face)

    @admin.display(description=_("Face"))
    def preview(self, face: Face) -> SafeString:
        url = reverse("admin:recognition_face_crop", args=[face.pk])
        return format_html('<img src="{}" width="64" height="64" alt="face {}" loading="lazy">', url, face.pk)

    @admin.display(description=_("Embedding norm"))
    def embedding_norm(self, face: Face) -> str:
        return f"{float((face.vector() ** 2).sum()) ** 0.5:.4f} ({face.dim}-d)"


@admin.register(FaceIndexVersion)
class FaceIndexVersionAdmin(admin.ModelAdmin[FaceIndexVersion]):
    list_display = ("owner", "model_key", "version", "deletions")
    list_filter = ("model_key",)
    readonly_fields = ("owner", "model_key", "version", "deletions")
