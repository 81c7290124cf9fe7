from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The person who owns photos, albums and faces. Swappable from the first migration."""

    email = models.EmailField("email address", blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
