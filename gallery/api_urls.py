from django.urls import path

from gallery import apis

urlpatterns = [
    path("photos/", apis.PhotoListApi.as_view(), name="api-photo-list"),
    path("photos/bulk/", apis.PhotoBulkApi.as_view(), name="api-photo-bulk"),
    path("photos/<int:photo_id>/", apis.PhotoDetailApi.as_view(), name="api-photo-detail"),
    path("photos/<int:photo_id>/reindex/", apis.PhotoReindexApi.as_view(), name="api-photo-reindex"),
    path("albums/", apis.AlbumListApi.as_view(), name="api-album-list"),
    path("albums/<int:album_id>/", apis.AlbumDetailApi.as_view(), name="api-album-detail"),
    path("albums/<int:album_id>/photos/", apis.AlbumPhotosApi.as_view(), name="api-album-photos"),
    path(
        "albums/<int:album_id>/photos/<int:photo_id>/",
        apis.AlbumPhotoApi.as_view(),
        name="api-album-photo",
    ),
]
