from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gallery.models import Album, Photo
from gallery.selectors import DEFAULT_PHOTO_ORDERING, SEARCH_MAX_LENGTH, PhotoFilters
from gallery.services import ALBUM_NAME_MAX, SHARE_LABEL_MAX, SHARE_PASSWORD_MAX, TITLE_MAX
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


class AlbumShareForm(forms.Form):
    """A new share link, from the album page. The expiry is a number of days or a date and time
    in the owner's time zone (the active one), or neither: the link does not expire."""

    label = forms.CharField(
        label=_("Label"),
        max_length=SHARE_LABEL_MAX,
        required=False,
        help_text=_("Only you see it, e.g. who the link is for."),
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires in (days)"), min_value=1, max_value=3650, required=False
    )
    expires_at = forms.DateTimeField(
        label=_("Or expires at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    password = forms.CharField(
        label=_("Password (optional)"),
        max_length=SHARE_PASSWORD_MAX,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    allow_download = forms.BooleanField(label=_("Visitors may download the originals"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        days, at = data.get("expires_in_days"), data.get("expires_at")
        if days and at:
            raise ValidationError(_("Give either an expiry time or a number of days, not both."))
        if at is not None and at <= timezone.now():
            self.add_error("expires_at", _("Choose a time in the future."))
        data["expiry"] = timezone.now() + datetime.timedelta(days=days) if days else at
        return data


class SharePasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        max_length=SHARE_PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
