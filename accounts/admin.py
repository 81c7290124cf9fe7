from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from accounts.services import user_delete, user_tokens_revoke

if TYPE_CHECKING:  # generic in django-stubs only
    _AdminPasswordChangeForm = AdminPasswordChangeForm[User]
else:
    _AdminPasswordChangeForm = AdminPasswordChangeForm


class RevokingAdminPasswordChangeForm(_AdminPasswordChangeForm):
    """A password set by staff (a reset) revokes the user's API tokens too."""

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            user_tokens_revoke(user=user)
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = ("username", "email", "is_staff", "is_active", "date_joined")
    change_password_form = RevokingAdminPasswordChangeForm

    # Through the service, so that the user's stored photos are deleted too, not orphaned.
    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            user_delete(user=user)
