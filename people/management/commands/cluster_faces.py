from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from people.services import people_refresh
from recognition.runtime import RecognitionUnavailableError, active_model_key


class Command(BaseCommand):
    help = (
        "Group faces into persons now: assign new faces to existing persons and cluster the rest "
        "into new unnamed persons. Names, confirmed and moved faces and rejections are never changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="Only this user (username or id).")
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Re-evaluate every automatic assignment too (persons the user touched stay).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Compute and report; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model().objects.order_by("pk")
        if options["user"]:
            value = options["user"]
            chosen = users.filter(username=value)
            if not chosen.exists() and value.isdigit():
                chosen = users.filter(pk=int(value))
            if not chosen.exists():
                raise CommandError(f"No user {value!r}.")
            users = chosen
        try:
            model_key = active_model_key()
        except RecognitionUnavailableError as exc:
            raise CommandError(str(exc)) from exc
        quiet = options["verbosity"] == 0
        for user in users:
            with tqdm(total=0, unit="face", disable=quiet, file=self.stderr, desc=str(user)) as bar:

                def progress(
                    stage: str, done: int, total: int, bar: Any = bar, name: str = str(user)
                ) -> None:
                    bar.set_description(f"{name} {stage}")
                    bar.total = total
                    bar.n = done
                    bar.refresh()

                summary = people_refresh(
                    owner_id=user.pk,
                    model_key=model_key,
                    rebuild=options["rebuild"],
                    dry_run=options["dry_run"],
                    progress=progress,
                )
            prefix = "[dry run] " if options["dry_run"] else ""
            self.stdout.write(
                self.style.SUCCESS(
                    f"{prefix}{user}: {summary.faces} face(s) of {summary.model_key}; "
                    f"{summary.assigned} assigned to existing persons, "
                    f"{summary.persons_created} person(s) created with {summary.clustered} face(s), "
                    f"{summary.unassigned} unassigned ({summary.suggested} with a suggestion), "
                    f"{summary.persons_removed} empty person(s) removed; {summary.seconds:.1f} s."
                )
            )
