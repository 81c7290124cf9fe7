from django.urls import path

from gallery import apis, share_apis, trash_apis

urlpatterns = [
    path("photos/", apis.PhotoListApi.as_view(), name="api-photo-list"),
    path("photos/download/", apis.PhotoDownloadApi.as_view(), name="api-photo-download"),
    path("photos/bulk/", apis.PhotoBulkApi.as_view(), name="api-photo-bulk"),
    path("photos/<int:photo_id>/", apis.PhotoDetailApi.as_view(), name="api-photo-detail"),
    path("photos/<int:photo_id>/viewer/", apis.PhotoViewerApi.as_view(), name="api-photo-viewer"),
    path("photos/<int:photo_id>/reindex/", apis.PhotoReindexApi.as_view(), name="api-photo-reindex"),
    path("trash/", trash_apis.TrashListApi.as_view(), name="api-trash-list"),
    path("trash/restore/", trash_apis.TrashRestoreApi.as_view(), name="api-trash-restore"),
    path("trash/delete/", trash_apis.TrashDeleteApi.as_view(), name="api-trash-delete"),
    path("trash/empty/", trash_apis.TrashEmptyApi.as_view(), name="api-trash-empty"),
    path("albums/", apis.AlbumListApi.as_view(), name="api-album-list"),
    path("albums/<int:album_id>/", apis.AlbumDetailApi.as_view(), name="api-album-detail"),
    path("albums/<int:album_id>/order/", apis.AlbumOrderApi.as_view(), name="api-album-order"),
    path("albums/<int:album_id>/photos/", apis.AlbumPhotosApi.as_view(), name="api-album-photos"),
    path("albums/<int:album_id>/download/", apis.AlbumDownloadApi.as_view(), name="api-album-download"),
    path(
        "albums/<int:album_id>/photos/<int:photo_id>/",
        apis.AlbumPhotoApi.as_view(),
        name="api-album-photo",
    ),
    path("albums/<int:album_id>/shares/", share_apis.AlbumShareListApi.as_view(), name="api-album-shares"),
    path(
        "albums/<int:album_id>/shares/<int:share_id>/",
        share_apis.AlbumShareDetailApi.as_view(),
        name="api-album-share",
    ),
]
