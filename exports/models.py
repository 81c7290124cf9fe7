"""A user's export of their whole library: one zip in the storage, built by a background job."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Every export zip lives under this folder of the storage (never under the gallery's `photos/`,
# whose orphan sweep would take them for leftovers).
EXPORT_FOLDER = "exports"


def export_file_name() -> str:
    """A random name: the user's name or the date never reach the storage."""
    token = uuid.uuid4().hex
    return f"{EXPORT_FOLDER}/{token[:2]}/{token}.zip"


class ExportQuerySet(models.QuerySet["Export"]):
    def active(self) -> ExportQuerySet:
        """Exports still being made (queued or running)."""
        return self.filter(status__in=(Export.Status.PENDING, Export.Status.RUNNING))


class Export(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports", verbose_name=_("owner")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    photos_done = models.PositiveIntegerField(default=0)
    photos_total = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=255, blank=True, help_text="The zip's name in the storage.")
    size = models.PositiveBigIntegerField(_("size"), default=0, help_text="Size of the zip in bytes.")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = (
            models.Index(fields=("owner", "-created_at"), name="export_owner_created"),
            models.Index(fields=("expires_at",), name="export_expires"),
        )

    def __str__(self) -> str:
        return f"Export {self.pk} of {self.owner_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @property
    def is_downloadable(self) -> bool:
        return (
            self.status == self.Status.DONE
            and bool(self.file_name)
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )

    @property
    def download_name(self) -> str:
        """The zip's name for the browser: the day it was made."""
        made = timezone.localtime(self.finished_at or self.created_at)
        return f"memory-studio-export-{made:%Y-%m-%d}.zip"
