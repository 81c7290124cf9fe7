from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from imports.services import ImportSummary, library_import
from imports.sources import SourceRejected


class Command(BaseCommand):
    help = (
        "Import a folder or zip of photos into a user's library, with titles, captions, dates and "
        "face tags from XMP (MWG, Microsoft Photo), sidecars and Google Takeout JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="A folder or a .zip file.")
        parser.add_argument("--user", required=True, help="The user to import for (username or id).")
        parser.add_argument(
            "--album-per-folder", action="store_true", help="Make one album per folder, in file-name order."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and check everything; write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        owner = self._user(options["user"])
        with tqdm(unit="photo", disable=options["verbosity"] == 0, file=self.stderr) as bar:

            def progress(done: int, total: int, path: str) -> None:
                bar.total = total
                bar.update(done - bar.n)
                bar.set_postfix_str(path[-40:])

            try:
                summary = library_import(
                    owner=owner,
                    root=Path(options["source"]),
                    album_per_folder=options["album_per_folder"],
                    dry_run=options["dry_run"],
                    progress=progress,
                )
            except SourceRejected as exc:
                raise CommandError(str(exc)) from exc
        self._report(summary)

    def _report(self, s: ImportSummary) -> None:
        write = self.stdout.write
        if s.dry_run:
            write("Dry run: nothing was written. What the import would do:")
        write(f"Photos imported: {s.imported}")
        write(f"Skipped (already in the library): {s.duplicates}")
        write(f"Failed: {len(s.failed)}")
        for path, reason in s.failed:
            write(f"  {path}: {reason}")
        write(
            f"Persons created: {len(s.persons_created)}"
            + (f" ({', '.join(s.persons_created)})" if s.persons_created else "")
        )
        if not s.dry_run:
            write(f"Face tags matched to detected faces: {s.regions_matched}")
            write(f"Face tags added where no face was detected: {s.regions_unmatched}")
            if s.regions_skipped:
                write(f"Face tags skipped (face recognition off or indexing failed): {s.regions_skipped}")
            if s.albums_created:
                write(f"Albums created: {', '.join(s.albums_created)}")
        for path, warning in s.warnings:
            write(f"  warning: {path}: {warning}")
        self.stdout.write(self.style.SUCCESS("Done."))

    def _user(self, value: str) -> Any:
        users = get_user_model().objects
        user = users.filter(username=value).first()
        if user is None and value.isdigit():
            user = users.filter(pk=int(value)).first()
        if user is None:
            raise CommandError(f"No user {value!r}.")
        return user
