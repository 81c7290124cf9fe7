from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("import/", views.import_library, name="import"),
]
