from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.authentication import token_expired
from accounts.models import User
from exports.services import exports_delete_for_owner
from gallery.services import photos_delete_for_owner


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", language: str = "") -> User:
    """Create an active user with a hashed password (`language`: one they already chose, or "")."""
    return User.objects.create_user(username=username, email=email, password=password, language=language)


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete a user with everything they own, in bulk; stored files go after the commit."""
    photos_delete_for_owner(owner=user)
    exports_delete_for_owner(owner=user)
    user.delete()


@transaction.atomic
def token_obtain(*, user: User) -> Token:
    """The user's API token, a new one if they have none or it has expired."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and token_expired(token):
        token.delete()
        token = None
    return token or Token.objects.create(user=user)


@transaction.atomic
def user_tokens_revoke(*, user: User) -> int:
    """Revoke the user's API tokens (on request, and whenever their password changes)."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def user_preferences_update(*, user: User, language: str, time_zone: str) -> User:
    """Save the user's language ("" follows the browser) and time zone (an IANA name)."""
    user.language = language
    user.time_zone = time_zone
    user.save(update_fields=["language", "time_zone"])
    return user


@transaction.atomic
def user_language_update(*, user: User, language: str) -> User:
    """Save the language the user picked with the header's switch."""
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def user_email_update(*, user: User, email: str) -> User:
    """Save the user's e-mail address, where password reset links go ("" removes it)."""
    user.email = User.objects.normalize_email(email.strip())
    user.save(update_fields=["email"])
    return user
