from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("import/", views.import_library, name="import"),
    path("import/<int:job_id>/", views.import_job, name="import_job"),
    path("import/<int:job_id>/status/", views.import_job_status, name="import_job_status"),
]
