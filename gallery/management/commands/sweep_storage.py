from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from gallery.cleanup import orphan_files_find, pending_deletions_retry, pending_files_delete
from gallery.models import PendingDeletion
from gallery.storage import STORAGE_ERRORS, StoredFile, photo_storage


class Command(BaseCommand):
    help = (
        "Remove stored files that no photo refers to: deletions that failed while the storage was "
        "down, and orphan files older than a grace period. A dry run unless --delete is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete", action="store_true", help="Delete the files (default: only report).")
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=6.0,
            help="Only files older than this count as orphans, so uploads in flight are safe (default 6).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        delete: bool = options["delete"]
        grace: float = options["grace_hours"]
        if grace < 0:
            raise CommandError(_("--grace-hours must not be negative."))
        self.quiet = options["verbosity"] == 0
        self.verbose = options["verbosity"] >= 2
        try:
            failed = self._queued(delete)
            failed += self._orphans(delete, grace)
        except STORAGE_ERRORS as exc:
            raise CommandError(_("The photo storage cannot be reached: %(error)s") % {"error": exc}) from exc
        if not delete:
            self.stdout.write(
                self.style.WARNING(_("Dry run: nothing was deleted. Run with --delete to act."))
            )
        elif failed:
            self.stdout.write(
                self.style.WARNING(_("Some files could not be deleted; run the sweep again later."))
            )
        else:
            self.stdout.write(self.style.SUCCESS(_("Storage is clean.")))

    def _bar(self, desc: str, total: int | None = None) -> tqdm[Any]:
        return tqdm(total=total, unit="file", desc=desc, disable=self.quiet, file=self.stderr)

    def _queued(self, delete: bool) -> int:
        """Deletions queued while the storage was down; returns how many still fail."""
        pending = PendingDeletion.objects.count()
        if not delete or not pending:
            self.stdout.write(_("Queued deletions: %(count)d waiting.") % {"count": pending})
            return 0
        with self._bar(_("Queued deletions"), pending) as bar:
            counts = pending_deletions_retry(on_batch=bar.update)
        self.stdout.write(
            _("Queued deletions: %(deleted)d deleted, %(failed)d still failing (kept for later).")
            % {"deleted": counts.deleted, "failed": counts.failed}
        )
        return counts.failed

    def _orphans(self, delete: bool, grace: float) -> int:
        """Files no photo refers to, older than the grace period; returns how many failed."""
        orphans: list[StoredFile] = []
        with self._bar(_("Looking for orphans")) as bar:
            for stored in orphan_files_find(older_than=timezone.now() - timedelta(hours=grace)):
                orphans.append(stored)
                bar.update(1)
                if self.verbose:
                    bar.write(
                        f"{stored.name}  {filesizeformat(stored.size)}  {stored.modified:%Y-%m-%d %H:%M}"
                    )
        summary = {
            "count": len(orphans),
            "size": filesizeformat(sum(f.size for f in orphans)),
            "grace": grace,
        }
        if not delete or not orphans:
            self.stdout.write(_("Orphan files older than %(grace)g h: %(count)d (%(size)s).") % summary)
            return 0
        names = [f.name for f in orphans]
        failed: dict[str, str] = {}
        storage = photo_storage()
        with self._bar(_("Deleting orphans"), len(names)) as bar:
            for start in range(0, len(names), 200):
                batch = names[start : start + 200]
                failed.update(pending_files_delete(names=batch, storage=storage))
                bar.update(len(batch))
        self.stdout.write(
            _(
                "Orphan files older than %(grace)g h: %(count)d (%(size)s); "
                "%(deleted)d deleted, %(failed)d failed."
            )
            % {**summary, "deleted": len(names) - len(failed), "failed": len(failed)}
        )
        return len(failed)
