from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from gallery.models import Album, Photo
from gallery.selectors import DEFAULT_PHOTO_ORDERING, SEARCH_MAX_LENGTH, PhotoFilters
from gallery.services import ALBUM_NAME_MAX, TITLE_MAX
from memory_studio.ids import db_id


class PhotoEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX, required=False)
    caption = forms.CharField(label=_("Caption"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AlbumForm(forms.Form):
    name = forms.CharField(max_length=ALBUM_NAME_MAX, strip=True)


class _PhotoChoicesField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Only database ids reach the query: SQLite cannot even compare a number beyond 64 bits."""

    def clean(self, value: Any) -> Any:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        for raw in values:
            if db_id(raw) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": raw}
                )
        return super().clean(value)


class PhotoPickForm(forms.Form):
    """Photos picked on a page, among `photos` (the owner-scoped selector's): an id of anyone
    else's photo is not a choice (`picked_a_photo_not_offered`), so the view answers 404."""

    photo_ids = _PhotoChoicesField(queryset=Photo.objects.none())

    def __init__(self, data: QueryDict, *, photos: QuerySet[Photo]) -> None:
        super().__init__(data)
        field = self.fields["photo_ids"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = photos

    def picked_a_photo_not_offered(self) -> bool:
        return self.has_error("photo_ids", "invalid_choice") or self.has_error(
            "photo_ids", "invalid_pk_value"
        )


class AlbumChoiceForm(forms.Form):
    album = forms.IntegerField(min_value=1)


class PhotoFilterForm(forms.Form):
    """The grid's and album pages' search box and sort order (GET). A value that is not valid
    (an unknown order, an over-long search) falls back to the default rather than failing the
    page: these come from links and bookmarks."""

    q = forms.CharField(
        label=_("Search titles, captions and file names"), max_length=SEARCH_MAX_LENGTH, required=False
    )
    ordering = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("-taken_at", _("Newest taken first")),
            ("taken_at", _("Oldest taken first")),
            ("-uploaded_at", _("Newest uploaded first")),
            ("uploaded_at", _("Oldest uploaded first")),
        ],
    )

    def filters(self) -> PhotoFilters:
        self.is_valid()  # cleaned_data then holds the fields that are valid
        data = self.cleaned_data
        return PhotoFilters(q=data.get("q") or "", ordering=data.get("ordering") or DEFAULT_PHOTO_ORDERING)


class AlbumSortForm(forms.Form):
    sort_order = forms.ChoiceField(label=_("Sort photos"), choices=Album.SortOrder.choices)


class AlbumCoverForm(forms.Form):
    """The photo to make the cover; empty goes back to the default (the first photo)."""

    photo = forms.IntegerField(min_value=1, required=False)


class AlbumMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=(("earlier", "earlier"), ("later", "later")))
