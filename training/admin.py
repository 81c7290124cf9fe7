from __future__ import annotations

from django.contrib import admin

from training.models import TrainingRun


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin[TrainingRun]):
    list_display = ("id", "backbone", "dataset", "status", "best_epoch", "created_at", "finished_at")
    list_filter = ("status", "backbone")
    search_fields = ("dataset", "checkpoint")
    readonly_fields = (
        "dataset",
        "dataset_fingerprint",
        "backbone",
        "config",
        "status",
        "metrics",
        "best_epoch",
        "checkpoint",
        "error",
        "created_at",
        "finished_at",
    )

    def has_add_permission(self, request: object) -> bool:  # runs come from train_arcface only
        return False
