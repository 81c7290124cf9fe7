"""Admin for exports: staff see every export's state (not its contents); deleting one goes
through the service so that its zip leaves the storage after the commit."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from exports import services
from exports.models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin[Export]):
    list_display = (
        "id",
        "owner",
        "status",
        "photos_done",
        "photos_total",
        "size",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "created_at")
    list_select_related = ("owner",)
    search_fields = ("owner__username",)
    readonly_fields = (
        "owner",
        "status",
        "photos_done",
        "photos_total",
        "file_name",
        "size",
        "created_at",
        "finished_at",
        "expires_at",
        "error",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Export | None = None) -> bool:
        # One being made cannot be deleted (its job still writes the zip).
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_active)

    def delete_model(self, request: HttpRequest, obj: Export) -> None:
        services.export_delete(export=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Export]) -> None:
        for export in queryset.exclude(status__in=(Export.Status.PENDING, Export.Status.RUNNING)):
            services.export_delete(export=export)
