from django.db import transaction

from accounts.models import User


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "") -> User:
    """Create an active user with a hashed password."""
    return User.objects.create_user(username=username, email=email, password=password)
