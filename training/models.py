from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrainingRun(models.Model):
    """One `train_arcface` run: what it trained on, how, how it went, and where the model is."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    dataset = models.CharField(max_length=1024, help_text="Folder of <person>/<photo> files.")
    dataset_fingerprint = models.CharField(max_length=64, blank=True)
    backbone = models.CharField(max_length=64)
    config = models.JSONField(default=dict, help_text="The effective training configuration.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    metrics = models.JSONField(default=list, blank=True, help_text="Validation metrics per epoch.")
    best_epoch = models.PositiveIntegerField(null=True, blank=True)
    checkpoint = models.CharField(
        max_length=1024, help_text="Best checkpoint (serve with RECOGNITION_MODEL)."
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("training run")
        verbose_name_plural = _("training runs")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.backbone} on {self.dataset} ({self.status})"

    @property
    def best_metrics(self) -> dict[str, object] | None:
        return next((m for m in self.metrics if m.get("epoch") == self.best_epoch), None)
