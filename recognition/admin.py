from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from recognition.models import Face, FaceIndexVersion


@admin.register(Face)
class FaceAdmin(admin.ModelAdmin[Face]):
    list_display = ("id", "preview", "owner", "photo", "model_key", "score", "created_at")
    list_filter = ("model_key", "owner", "created_at")
    search_fields = ("photo__title", "owner__username", "=photo__id")
    list_select_related = ("owner", "photo")
    raw_id_fields = ("owner", "photo")
    readonly_fields = ("preview", "dim", "created_at", "embedding_norm")
    exclude = ("embedding",)
    list_per_page = 60

    @admin.display(description="Face")
    def preview(self, face: Face) -> SafeString:
        url = reverse("recognition:face_crop", args=[face.pk])
        return format_html('<img src="{}" width="64" height="64" alt="face {}" loading="lazy">', url, face.pk)

    @admin.display(description="Embedding norm")
    def embedding_norm(self, face: Face) -> str:
        return f"{float((face.vector() ** 2).sum()) ** 0.5:.4f} ({face.dim}-d)"


@admin.register(FaceIndexVersion)
class FaceIndexVersionAdmin(admin.ModelAdmin[FaceIndexVersion]):
    list_display = ("owner", "model_key", "version", "deletions")
    list_filter = ("model_key",)
    readonly_fields = ("owner", "model_key", "version", "deletions")
