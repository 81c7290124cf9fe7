from django.db import transaction

from accounts.models import User
from gallery.models import Photo
from gallery.services import photo_delete


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "") -> User:
    """Create an active user with a hashed password."""
    return User.objects.create_user(username=username, email=email, password=password)


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete a user with everything they own; stored files go after the commit."""
    for photo in Photo.objects.filter(owner=user):
        photo_delete(photo=photo)
    user.delete()
