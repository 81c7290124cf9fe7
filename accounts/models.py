from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


def default_time_zone() -> str:
    """New users start in the site's time zone (settings.TIME_ZONE)."""
    return str(settings.TIME_ZONE)


def default_face_recognition() -> bool:
    """New users start with face recognition as FACE_RECOGNITION_DEFAULT says."""
    return bool(settings.FACE_RECOGNITION_DEFAULT)


class User(AbstractUser):
    """The person who owns photos, albums and faces. Swappable from the first migration."""

    email = models.EmailField(_("email address"), blank=True)
    # Blank: follow the browser (Accept-Language); else one of settings.LANGUAGES, which wins.
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        default="",
        db_default="",
        choices=[("", _("The browser's language")), *settings.LANGUAGES],
    )
    # db_default: rows written by code that predates these columns (an older release during a
    # deploy, historical models in migrations) still get a value.
    time_zone = models.CharField(_("time zone"), max_length=64, default=default_time_zone, db_default="UTC")
    # Consent to face recognition. Off: no photo of theirs is indexed, and no face data is kept.
    face_recognition = models.BooleanField(
        _("face recognition"), default=default_face_recognition, db_default=True
    )

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
