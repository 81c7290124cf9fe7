from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.authentication import token_expired
from accounts.models import User
from gallery.services import photos_delete_for_owner


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "") -> User:
    """Create an active user with a hashed password."""
    return User.objects.create_user(username=username, email=email, password=password)


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete a user with everything they own, in bulk; stored files go after the commit."""
    photos_delete_for_owner(owner=user)
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
