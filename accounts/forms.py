from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.forms import UserCreationForm
from django.template import loader
from django.utils import timezone, translation
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.preferences import is_language, time_zone_names
from accounts.tasks import enqueue_email


class SignUpForm(UserCreationForm[User]):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _("Optional. Needed to reset your password if you forget it.")


class LanguageForm(forms.Form):
    """The header's language switch."""

    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class PreferencesForm(forms.Form):
    """The account page: language (or the browser's) and time zone."""

    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("The browser's language")), *settings.LANGUAGES],
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Dates and times of your photos are shown in this time zone."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, name.replace("_", " ")) for name in time_zone_names()]


class EmailForm(forms.Form):
    """The account page's e-mail address (for password resets); the current password confirms it,
    so that a browser left logged in cannot be used to take the account over."""

    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        max_length=254,
        help_text=_("Password reset links are sent here. Leave it empty to remove it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_current_password(self) -> str:
        password: str = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("Your current password was entered incorrectly."), code="password_incorrect"
            )
        return password


def reset_link_lifetime() -> str:
    """How long a password reset link works (PASSWORD_RESET_TIMEOUT), in words of the active
    language: "1 day", "1일"."""
    now = timezone.now()
    return timeuntil(now + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT), now, depth=2)


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form; each e-mail is written in its user's saved language, else in the
    language of the request that asked for it (the active one), and sent by a worker when a
    broker is configured (accounts.tasks)."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        saved = getattr(context["user"], "language", "")
        language = saved if is_language(saved) else translation.get_language()
        with translation.override(language):
            context = {**context, "link_lifetime": reset_link_lifetime()}
            # A subject must not contain newlines (header injection).
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
        enqueue_email(subject=subject, body=body, from_email=from_email, to=[to_email])


class FaceRecognitionForm(forms.Form):
    """Turn face recognition on or off (turning it off deletes the face data: confirmed first)."""

    enabled = forms.TypedChoiceField(
        choices=[("on", _("On")), ("off", _("Off"))], coerce=lambda value: value == "on"
    )


class PasswordConfirmForm(forms.Form):
    """Deleting the account: the user types their password again."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="password_incorrect")
        return password
