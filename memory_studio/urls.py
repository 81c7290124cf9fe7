from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include("accounts.api_urls")),
    path("api/", include("gallery.api_urls")),
    path("api/", include("recognition.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("recognition.urls")),
    path("", include("gallery.urls")),
]

handler400 = "memory_studio.errors.bad_request"
handler403 = "memory_studio.errors.permission_denied"
handler404 = "memory_studio.errors.page_not_found"
handler500 = "memory_studio.errors.server_error"
