from django.urls import path

from exports import apis

urlpatterns = [
    path("exports/", apis.ExportListApi.as_view(), name="api-export-list"),
    path("exports/<int:export_id>/", apis.ExportDetailApi.as_view(), name="api-export-detail"),
    path("exports/<int:export_id>/download/", apis.ExportDownloadApi.as_view(), name="api-export-download"),
]
