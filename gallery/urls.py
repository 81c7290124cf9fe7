from django.urls import path

from gallery import apis, views

app_name = "gallery"

urlpatterns = [
    path("", views.photo_list, name="photo_list"),
    path("upload/", views.photo_upload, name="photo_upload"),
    path("photos/<int:photo_id>/", views.photo_detail, name="photo_detail"),
    path("photos/<int:photo_id>/view/", views.photo_view, name="photo_view"),
    path("photos/<int:photo_id>/delete/", views.photo_delete, name="photo_delete"),
    path("photos/<int:photo_id>/reindex/", views.photo_reindex, name="photo_reindex"),
    path("photos/<int:photo_id>/albums/", views.photo_add_to_album, name="photo_add_to_album"),
    path("media/photos/<int:photo_id>/<str:kind>/", apis.PhotoMediaApi.as_view(), name="photo_media"),
    path("albums/", views.album_list, name="album_list"),
    path("albums/<int:album_id>/", views.album_detail, name="album_detail"),
    path("albums/<int:album_id>/delete/", views.album_delete, name="album_delete"),
    path("albums/<int:album_id>/add/", views.album_add_photos, name="album_add_photos"),
    path(
        "albums/<int:album_id>/photos/<int:photo_id>/remove/",
        views.album_remove_photo,
        name="album_remove_photo",
    ),
]
