from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework.authtoken.models import TokenProxy

from accounts.models import User
from accounts.services import (
    user_delete,
    user_face_data_delete,
    user_face_recognition_set,
    user_tokens_revoke,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = ("username", "email", "is_staff", "is_active", "face_recognition", "date_joined")
    list_filter = (*DjangoUserAdmin.list_filter, "face_recognition")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Preferences"), {"fields": ("language", "time_zone", "face_recognition")}),
    )
    actions = ("delete_face_data", "revoke_tokens")

    # Through the service, so that the user's stored photos are deleted too, not orphaned.
    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            user_delete(user=user)

    def save_model(self, request: HttpRequest, obj: User, form: object, change: bool) -> None:
        # Consent is the user's to give: the admin may turn it off (which deletes the face data,
        # through the same service as the user's own switch) but never on.
        enabled = obj.face_recognition
        if change:
            obj.face_recognition = User.objects.values_list("face_recognition", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)
        if change and obj.face_recognition and not enabled:
            user_face_recognition_set(user=obj, enabled=False)

    @admin.action(description=_("Delete face data of the selected users"))
    def delete_face_data(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        faces = persons = 0
        for user in queryset:
            report = user_face_data_delete(user=user)
            faces += report.faces
            persons += report.persons
        self.message_user(
            request,
            ngettext(
                "Deleted the face data of %(users)d user: %(faces)d faces, %(persons)d people.",
                "Deleted the face data of %(users)d users: %(faces)d faces, %(persons)d people.",
                queryset.count(),
            )
            % {"users": queryset.count(), "faces": faces, "persons": persons},
            messages.SUCCESS,
        )

    @admin.action(description=_("Revoke the API tokens of the selected users"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        revoked = sum(user_tokens_revoke(user=user) for user in queryset)
        self.message_user(
            request,
            ngettext("Revoked %(n)d token.", "Revoked %(n)d tokens.", revoked) % {"n": revoked},
            messages.SUCCESS,
        )


# Django REST framework's token admin lists every key in clear: anyone who can read the admin
# could act as any user through the API. Ours shows who has a token, never the key.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(admin.ModelAdmin[TokenProxy]):
    """Who has a token and since when. A token's primary key is its key, so nothing here links to
    a row or lists checkboxes (their URLs and values would carry the key); revoke tokens from the
    users' list (an action) instead."""

    list_display = ("masked_key", "user", "created")
    list_display_links = None
    actions = None
    fields = ("masked_key", "user", "created")
    readonly_fields = ("masked_key", "user", "created")
    search_fields = ("user__username",)
    ordering = ("-created",)

    @admin.display(description=_("Key"))
    def masked_key(self, token: TokenProxy) -> str:
        return f"{token.key[:4]}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are obtained by their users (POST /api/auth/token/)

    def has_change_permission(self, request: HttpRequest, obj: TokenProxy | None = None) -> bool:
        return False
