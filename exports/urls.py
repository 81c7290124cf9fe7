from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("exports/", views.export_list, name="export_list"),
    path("exports/<int:export_id>/download/", views.export_download, name="export_download"),
    path("exports/<int:export_id>/delete/", views.export_delete, name="export_delete"),
]
