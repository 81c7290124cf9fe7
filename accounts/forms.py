from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.preferences import time_zone_names


class SignUpForm(UserCreationForm[User]):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


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
