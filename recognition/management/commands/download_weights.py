"""Download a face model's weights into RECOGNITION_WEIGHTS_DIR (needs the internet)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognition.ml.registry import UnknownModelError, available_models, embedder_class


class Command(BaseCommand):
    help = "Download the weights of a face model (facenet-vggface2, facenet-casia-webface)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help=f"One of: {', '.join(available_models())}.")
        parser.add_argument("--dir", type=Path, help="Target folder (default: RECOGNITION_WEIGHTS_DIR).")
        parser.add_argument("--force", action="store_true", help="Download even if the file exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        from recognition.ml.embedders import FacenetEmbedder

        try:
            cls = embedder_class(options["name"])
        except UnknownModelError as exc:
            raise CommandError(str(exc)) from exc
        if not issubclass(cls, FacenetEmbedder):
            self.stdout.write(f"{cls.key} ships with its Python package; nothing to download.")
            return
        target_dir: Path = options["dir"] or Path(settings.RECOGNITION_WEIGHTS_DIR)
        target = target_dir / cls.weights_file
        if target.is_file() and not options["force"]:
            self.stdout.write(f"{target} already exists.")
            return
        import torch

        target_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        try:
            torch.hub.download_url_to_file(cls.weights_url(), str(partial), progress=True)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"Download of {cls.weights_url()} failed: {exc}") from exc
        partial.replace(target)
        self.stdout.write(self.style.SUCCESS(f"Saved {target}"))
