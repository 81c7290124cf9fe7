"""Exports API: list and start exports, follow one's progress, download or delete it.
Another user's export is a 404, like everything else."""

from __future__ import annotations

from django.http import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import signed_in_user
from exports import selectors, services
from exports.models import Export
from exports.services import ExportInProgress
from gallery.responses import storage_file_response
from gallery.storage import photo_storage
from memory_studio.api import ErrorSerializer, PaginatedListMixin


class ExportOutputSerializer(serializers.ModelSerializer[Export]):
    download_url = serializers.SerializerMethodField(
        help_text="Where to download the zip while it is ready and unexpired, else null."
    )

    class Meta:
        model = Export
        fields = (
            "id",
            "status",
            "photos_done",
            "photos_total",
            "size",
            "created_at",
            "finished_at",
            "expires_at",
            "error",
            "download_url",
        )
        read_only_fields = fields

    def get_download_url(self, export: Export) -> str | None:
        if not export.is_downloadable:
            return None
        return reverse("api-export-download", kwargs={"export_id": export.pk})


class ExportConflictSerializer(ErrorSerializer):
    export = ExportOutputSerializer(help_text="The export being made.")


class ExportListApi(PaginatedListMixin, APIView):
    """Your exports (newest first), or start an export of your whole library (one at a time)."""

    @extend_schema(responses=ExportOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        exports = selectors.export_list_for_user(user=request.user)
        return self.paginated_response(request, exports, ExportOutputSerializer)

    @extend_schema(
        request=None,
        responses={
            201: ExportOutputSerializer,
            409: OpenApiResponse(ExportConflictSerializer, description="An export is being made already."),
        },
    )
    def post(self, request: Request) -> Response:
        try:
            export = services.export_create(owner=signed_in_user(request))
        except ExportInProgress as exc:
            body = {"detail": str(exc), "export": ExportOutputSerializer(exc.export).data}
            return Response(body, status=status.HTTP_409_CONFLICT)
        # Inline (no broker) the export was made before this answer: read it back as it is now.
        export = selectors.export_get_for_user(user=request.user, export_id=export.pk)
        return Response(ExportOutputSerializer(export).data, status=status.HTTP_201_CREATED)


class ExportDetailApi(APIView):
    """One of your exports (poll it for progress), or delete it and its zip."""

    @extend_schema(responses=ExportOutputSerializer)
    def get(self, request: Request, export_id: int) -> Response:
        export = selectors.export_get_for_user(user=request.user, export_id=export_id)
        return Response(ExportOutputSerializer(export).data)

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(ErrorSerializer, description="The export is still being made."),
        }
    )
    def delete(self, request: Request, export_id: int) -> Response:
        export = selectors.export_get_for_user(user=request.user, export_id=export_id)
        try:
            services.export_delete(export=export)
        except ExportInProgress as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportDownloadApi(APIView):
    """The export's zip (S3: a redirect to a short-lived pre-signed URL). 404 once expired."""

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY, 302: None})
    def get(self, request: Request, export_id: int) -> HttpResponseBase:
        export = selectors.export_get_downloadable_for_user(user=request.user, export_id=export_id)
        return storage_file_response(
            storage=photo_storage(),
            name=export.file_name,
            content_type="application/zip",
            filename=export.download_name,
            download=True,
        )
