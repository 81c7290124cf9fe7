from django.urls import path

from accounts.apis import AccountApi, AccountDeleteApi, FaceDataApi, TokenObtainApi, TokenRevokeApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token"),
    path("auth/token/revoke/", TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("account/", AccountApi.as_view(), name="api-account"),
    path("account/face-data/", FaceDataApi.as_view(), name="api-account-face-data"),
    path("account/delete/", AccountDeleteApi.as_view(), name="api-account-delete"),
]
