"""Visitor URLs of album share links, under /s/<token>/."""

from django.urls import path

from gallery import share_views

app_name = "share"

urlpatterns = [
    path("<str:token>/", share_views.shared_album, name="album"),
    path("<str:token>/photos/<int:photo_id>/", share_views.shared_photo, name="photo"),
    path("<str:token>/media/<int:photo_id>/<str:kind>/", share_views.shared_media, name="media"),
]
