from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from tqdm import tqdm

from gallery.services import trash_purge, trash_purge_due


class Command(BaseCommand):
    help = (
        "Delete for good the photos that have been in the trash for more than TRASH_DAYS days "
        "(their files leave the storage after each batch is committed; failures are retried by "
        "sweep_storage)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only report what would be deleted.")

    def handle(self, *args: Any, **options: Any) -> None:
        due = trash_purge_due()
        totals = due.aggregate(size=Sum("stored_size"))
        count = due.count()
        summary = {"count": count, "days": settings.TRASH_DAYS, "size": filesizeformat(totals["size"] or 0)}
        if options["dry_run"]:
            self.stdout.write(
                _("Photos in the trash for more than %(days)d days: %(count)d (%(size)s).") % summary
            )
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was deleted.")))
            return
        quiet = options["verbosity"] == 0
        with tqdm(
            total=count, unit="photo", desc=_("Purging the trash"), disable=quiet, file=self.stderr
        ) as bar:
            deleted = trash_purge(on_batch=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                _("Deleted %(deleted)d photo(s) for good that were in the trash for more than %(days)d days.")
                % {"deleted": deleted, "days": settings.TRASH_DAYS}
            )
        )
