from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from gallery.models import Photo
from people.services import people_refresh
from recognition.indexing import photos_index, photos_to_index
from recognition.runtime import RecognitionUnavailableError, active_model_key, build_pipeline, get_pipeline


class Command(BaseCommand):
    help = "Detect and embed faces of stored photos in batches (resumable with --missing-only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="Only this user's photos (username or id).")
        parser.add_argument("--model", help="Embedder key or checkpoint path (default: RECOGNITION_MODEL).")
        parser.add_argument(
            "--missing-only", action="store_true", help="Skip photos already indexed with this model."
        )
        parser.add_argument("--batch-size", type=int, default=settings.RECOGNITION_BATCH_SIZE)
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the photos that would be indexed."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        owner_id = self._owner_id(options["user"]) if options["user"] else None
        model = options["model"]
        try:
            if model:
                pipeline = build_pipeline(model=model)
                pipeline.load()
            else:
                pipeline = get_pipeline()
        except (RecognitionUnavailableError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        model_key = pipeline.embedder.key
        photo_ids = photos_to_index(
            model_key=model_key, owner_id=owner_id, missing_only=options["missing_only"]
        )
        self.stdout.write(f"Model {model_key}: {len(photo_ids)} photo(s) to index.")
        if options["dry_run"] or not photo_ids:
            return
        counts = {"photos": 0, "faces": 0, "no_faces": 0, "failed": 0}
        started = time.perf_counter()
        with tqdm(
            total=len(photo_ids), unit="photo", disable=options["verbosity"] == 0, file=self.stderr
        ) as bar:
            for start in range(0, len(photo_ids), batch_size):
                batch = photo_ids[start : start + batch_size]
                for outcome in photos_index(photo_ids=batch, pipeline=pipeline):
                    counts["photos"] += 1
                    counts["faces"] += outcome.faces
                    counts["no_faces"] += outcome.status == Photo.IndexStatus.NO_FACES
                    counts["failed"] += outcome.status == Photo.IndexStatus.FAILED
                    if outcome.status == Photo.IndexStatus.FAILED:
                        bar.write(f"photo {outcome.photo_id}: {outcome.error}")
                bar.update(len(batch))
                bar.set_postfix(faces=counts["faces"], failed=counts["failed"])
        elapsed = time.perf_counter() - started
        if model_key == active_model_key():
            # New faces join their persons (the user's decisions were carried over while indexing).
            owners = Photo.objects.filter(pk__in=photo_ids).values_list("owner_id", flat=True).distinct()
            for owner_id in sorted(set(owners)):
                people = people_refresh(owner_id=owner_id, model_key=model_key)
                self.stdout.write(
                    f"People of user {owner_id}: {people.assigned} face(s) assigned, "
                    f"{people.persons_created} new person(s), {people.unassigned} unassigned."
                )
        skipped = len(photo_ids) - counts["photos"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {counts['photos']} photo(s): {counts['faces']} face(s), "
                f"{counts['no_faces']} without faces, "
                f"{counts['failed']} failed, {skipped} deleted meanwhile; {elapsed:.1f} s, "
                f"{counts['photos'] / elapsed if elapsed else 0:.2f} photos/s."
            )
        )

    def _owner_id(self, value: str) -> int:
        users = get_user_model().objects
        user = users.filter(username=value).first()
        if user is None and value.isdigit():
            user = users.filter(pk=int(value)).first()
        if user is None:
            raise CommandError(f"No user {value!r}.")
        return int(user.pk)
