from django.urls import path

from recognition.apis import PhotoFacesApi, SearchApi

urlpatterns = [
    path("search/", SearchApi.as_view(), name="api-search"),
    path("photos/<int:photo_id>/faces/", PhotoFacesApi.as_view(), name="api-photo-faces"),
]
