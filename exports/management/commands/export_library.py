from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from tqdm import tqdm

from exports.services import EXPORT_ERRORS, library_zip_write


class Command(BaseCommand):
    help = (
        "Write a user's whole library (originals, XMP sidecars with face names, library.json) to a "
        "zip file on this machine, as the export page makes it. Photos in the trash are left out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="The username whose library is exported.")
        parser.add_argument("output", help="The zip file to write (must not exist yet).")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = get_user_model().objects.filter(username=options["user"]).first()
        if owner is None:
            raise CommandError(_("No user named %(name)s.") % {"name": options["user"]})
        output = Path(options["output"])
        if output.exists():
            raise CommandError(_("%(path)s exists already; choose another file.") % {"path": output})
        if not output.parent.is_dir():
            raise CommandError(_("The folder %(path)s does not exist.") % {"path": output.parent})
        # Written beside the target and renamed at the end: a failed export leaves no half zip.
        partial = output.with_name(f"{output.name}.part")
        bar = tqdm(unit="photo", desc=_("Exporting"), disable=options["verbosity"] == 0, file=self.stderr)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            with partial.open("xb") as target:
                size = library_zip_write(owner=owner, target=target, on_progress=progress)
            partial.rename(output)
        except EXPORT_ERRORS as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(_("The export failed: %(error)s") % {"error": exc}) from exc
        finally:
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(count)d photos (%(size)s) to %(path)s.")
                % {"count": bar.n, "size": filesizeformat(size), "path": output}
            )
        )
