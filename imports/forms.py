from __future__ import annotations

import zipfile

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from gallery.images import size_over_limit_message
from imports.sources import SourceRejected


class ImportForm(forms.Form):
    archive = forms.FileField(
        label=_("Zip file"),
        help_text=_("A zip of a folder of photos, with their XMP sidecars or Google Takeout files."),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    album_per_folder = forms.BooleanField(label=_("Make an album of each folder"), required=False)
    dry_run = forms.BooleanField(label=_("Only check, import nothing"), required=False)

    def clean_archive(self) -> UploadedFile[bytes]:
        archive: UploadedFile[bytes] = self.cleaned_data["archive"]
        if archive.size is not None and archive.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(size_over_limit_message(archive.size, settings.IMPORT_MAX_BYTES))
        if not zipfile.is_zipfile(archive):
            raise ValidationError(_("This is not a zip file."))
        archive.seek(0)
        # The archive's table of contents, checked now (paths, sizes, count): a bad zip is refused
        # here, before it is stored and queued.
        from imports.services import open_source

        if archive.file is None:
            raise ValidationError(_("This is not a zip file."))
        try:
            open_source(archive.file).close()
        except SourceRejected as exc:
            raise ValidationError(str(exc)) from None
        archive.seek(0)
        return archive
