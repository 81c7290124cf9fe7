from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gallery.services import ALBUM_NAME_MAX, TITLE_MAX


class PhotoEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX, required=False)
    caption = forms.CharField(label=_("Caption"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AlbumForm(forms.Form):
    name = forms.CharField(max_length=ALBUM_NAME_MAX, strip=True)


class PhotoIdsForm(forms.Form):
    """Photo ids picked on a page; resolved through the owner-scoped selector by the view."""

    photo_ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)

    def __init__(self, *args: object, photo_ids: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["photo_ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(str(pk), str(pk)) for pk in photo_ids]


class AlbumChoiceForm(forms.Form):
    album = forms.IntegerField(min_value=1)
