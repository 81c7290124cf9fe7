from django.urls import path

from gallery import apis, share_views, trash_views, views

app_name = "gallery"

urlpatterns = [
    path("", views.photo_list, name="photo_list"),
    path("upload/", views.photo_upload, name="photo_upload"),
    path("photos/download/", views.photos_download, name="photos_download"),
    path("photos/<int:photo_id>/", views.photo_detail, name="photo_detail"),
    path("photos/<int:photo_id>/view/", views.photo_view, name="photo_view"),
    path("photos/<int:photo_id>/delete/", views.photo_delete, name="photo_delete"),
    path("photos/<int:photo_id>/reindex/", views.photo_reindex, name="photo_reindex"),
    path("photos/<int:photo_id>/albums/", views.photo_add_to_album, name="photo_add_to_album"),
    path("media/photos/<int:photo_id>/<str:kind>/", apis.PhotoMediaApi.as_view(), name="photo_media"),
    path("trash/", trash_views.trash_list, name="trash_list"),
    path("trash/restore/", trash_views.trash_restore, name="trash_restore"),
    path("trash/delete/", trash_views.trash_delete, name="trash_delete"),
    path("trash/empty/", trash_views.trash_empty, name="trash_empty"),
    path("albums/", views.album_list, name="album_list"),
    path("albums/<int:album_id>/", views.album_detail, name="album_detail"),
    path("albums/<int:album_id>/delete/", views.album_delete, name="album_delete"),
    path("albums/<int:album_id>/download/", views.album_download, name="album_download"),
    path("albums/<int:album_id>/add/", views.album_add_photos, name="album_add_photos"),
    path("albums/<int:album_id>/sort/", views.album_sort, name="album_sort"),
    path("albums/<int:album_id>/cover/", views.album_cover, name="album_cover"),
    path(
        "albums/<int:album_id>/photos/<int:photo_id>/move/", views.album_move_photo, name="album_move_photo"
    ),
    path(
        "albums/<int:album_id>/photos/<int:photo_id>/remove/",
        views.album_remove_photo,
        name="album_remove_photo",
    ),
    path("albums/<int:album_id>/shares/", share_views.album_share_create, name="album_share_create"),
    path(
        "albums/<int:album_id>/shares/<int:share_id>/revoke/",
        share_views.album_share_revoke,
        name="album_share_revoke",
    ),
]
