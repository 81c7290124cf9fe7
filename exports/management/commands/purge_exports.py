from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from exports.services import exports_purge


class Command(BaseCommand):
    help = (
        "Delete exports whose download link has expired (EXPORT_DAYS) and their zips; exports "
        "whose job was lost are marked failed. Celery beat runs this hourly with a broker."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = exports_purge()
        self.stdout.write(
            _("Deleted %(expired)d expired exports; marked %(stale)d interrupted exports failed.")
            % {"expired": counts.expired, "stale": counts.stale}
        )
