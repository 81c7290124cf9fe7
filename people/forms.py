"""Forms of the People pages. Ids are only parsed here; views resolve them through the owner-scoped
selectors (another user's id is 404, as in the API)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from memory_studio.ids import db_id
from people.models import NAME_MAX

MAX_IDS = 1000


class IdListField(forms.Field):
    """Several positive ids posted under one name (checkboxes)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("Choose valid items."),
        "required": _("Choose at least one face."),
    }

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            ids = [int(v) for v in values]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if len(ids) > MAX_IDS or any(db_id(i) is None for i in ids):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX, required=False)
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_birth_date(self) -> Any:
        value = self.cleaned_data.get("birth_date")
        if value is not None and value > timezone.localdate():
            raise ValidationError(_("The birth date cannot be in the future."))
        return value


class HideForm(forms.Form):
    hidden = forms.BooleanField(required=False)


class MergeForm(forms.Form):
    into = forms.IntegerField(label=_("Merge into"), min_value=1)


class FaceActionForm(forms.Form):
    """What to do with the faces chosen on a person page or in the review queue."""

    ACTIONS = (
        ("reject", _("Not this person")),
        ("move", _("Move to…")),
        ("cover", _("Use as cover")),
        ("accept", _("Yes, it is them")),
        ("name", _("Name them")),
    )

    action = forms.ChoiceField(choices=ACTIONS)
    faces = IdListField()
    person = forms.IntegerField(required=False, min_value=1)
    name = forms.CharField(max_length=NAME_MAX, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == "move" and not data.get("person") and not (data.get("name") or "").strip():
            raise ValidationError(_("Choose a person, or type a name for a new one."))
        if action == "cover" and len(data.get("faces") or []) != 1:
            raise ValidationError(_("Choose exactly one face for the cover."))
        return data


class FaceNameForm(forms.Form):
    """Name one face on a photo: an existing person's name, a new name, or nothing (remove)."""

    name = forms.CharField(label=_("Who is this?"), max_length=NAME_MAX, required=False)
