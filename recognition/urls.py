from django.urls import path

from recognition import views

app_name = "recognition"

urlpatterns = [
    path("search/", views.search, name="search"),
    path(
        "search/queries/<str:query_id>/preview.jpg", views.search_query_preview, name="search_query_preview"
    ),
    path("faces/<int:face_id>/crop.jpg", views.face_crop, name="face_crop"),
]
