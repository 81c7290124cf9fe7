from django.urls import path

from people import apis

urlpatterns = [
    path("people/", apis.PersonListApi.as_view(), name="api-person-list"),
    path("people/merges/undo/", apis.PersonMergeUndoApi.as_view(), name="api-person-merge-undo"),
    path("people/<int:person_id>/", apis.PersonDetailApi.as_view(), name="api-person-detail"),
    path("people/<int:person_id>/faces/", apis.PersonFacesApi.as_view(), name="api-person-faces"),
    path("people/<int:person_id>/photos/", apis.PersonPhotosApi.as_view(), name="api-person-photos"),
    path("people/<int:person_id>/merge/", apis.PersonMergeApi.as_view(), name="api-person-merge"),
    path(
        "people/<int:person_id>/reject-faces/", apis.PersonRejectFacesApi.as_view(), name="api-person-reject"
    ),
    path(
        "people/<int:person_id>/confirm-faces/",
        apis.PersonConfirmFacesApi.as_view(),
        name="api-person-confirm",
    ),
    path("faces/", apis.FaceListApi.as_view(), name="api-face-list"),
    path("faces/<int:face_id>/", apis.FaceDetailApi.as_view(), name="api-face-detail"),
]
