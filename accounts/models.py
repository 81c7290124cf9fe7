from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The person who owns photos, albums and faces. Swappable from the first migration."""

    email = models.EmailField("email address", blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saving a new password (the password form, the admin, `manage.py changepassword`, the
        shell: anything that calls set_password) revokes the user's API tokens, since whoever knew
        the old password may have taken one. Django's own hash upgrades at login are not changes
        (it clears `_password` before saving) and keep them."""
        password_changed = self.pk is not None and getattr(self, "_password", None) is not None
        super().save(*args, **kwargs)
        if password_changed:
            from rest_framework.authtoken.models import Token

            Token.objects.filter(user=self).delete()
