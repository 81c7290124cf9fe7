"""Admin for persons: read-only, like the face admin (persons change through the owner's pages and
API, which keep the user's decisions and every process's view consistent)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from memory_studio.admin_media import UserMediaAdmin
from people.models import Person
from recognition.models import Face


def _crop(face_id: int, size: int = 48) -> SafeString:
    url = reverse("admin:recognition_face_crop", args=[face_id])
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="" loading="lazy" style="border-radius:50%">',
        url,
        size,
        size,
    )


@admin.register(Person)
class PersonAdmin(UserMediaAdmin[Person]):
    list_display = (
        "id",
        "cover",
        "display_name",
        "owner",
        "hidden",
        "face_total",
        "merged_into",
        "updated_at",
    )
    list_filter = ("hidden", "owner", ("merged_into", admin.EmptyFieldListFilter))
    search_fields = ("name", "owner__username")
    list_select_related = ("owner", "merged_into")
    readonly_fields = ("cover", "faces_preview")
    fields = (
        "cover",
        "owner",
        "name",
        "hidden",
        "birth_date",
        "cover_face",
        "cover_pinned",
        "merged_into",
        "created_at",
        "updated_at",
        "faces_preview",
    )
    list_per_page = 60
    media_fields = ("cover", "faces_preview")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Person | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Person | None = None) -> bool:
        return False

    @admin.display(description=_("Cover"))
    def cover(self, person: Person) -> SafeString | str:
        return _crop(person.cover_face_id) if person.cover_face_id else "—"

    @admin.display(description=_("Faces"))
    def face_total(self, person: Person) -> int:
        return Face.objects.filter(person=person).count()

    @admin.display(description=_("Faces (up to 60)"))
    def faces_preview(self, person: Person) -> SafeString:
        ids = Face.objects.filter(person=person).order_by("-id").values_list("id", flat=True)[:60]
        return format_html_join(" ", "{}", ((_crop(pk, 64),) for pk in ids))
