from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include("accounts.api_urls")),
    path("api/", include("gallery.api_urls")),
    path("api/", include("recognition.api_urls")),
    path("api/", include("people.api_urls")),
    path("api/", include("exports.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI with its start-up script as a file, not inline (Content-Security-Policy).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # ReDoc fetched fonts from the internet; the Swagger UI documents the same schema locally.
    path("api/redoc/", RedirectView.as_view(pattern_name="api-docs", permanent=True)),
    # gettext(), ngettext(), interpolate() and the date formats for the page scripts, in the
    # request's language (base.html loads it before every page script). Public: no user data.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="jsi18n"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.ico"), permanent=True)),
    # Album share links: what visitors with a link see (no account needed).
    path("s/", include("gallery.share_urls")),
    path("", include("recognition.urls")),
    path("", include("people.urls")),
    path("", include("exports.urls")),
    path("", include("imports.urls")),
    path("", include("gallery.urls")),
]

handler400 = "memory_studio.errors.bad_request"
handler403 = "memory_studio.errors.permission_denied"
handler404 = "memory_studio.errors.page_not_found"
handler500 = "memory_studio.errors.server_error"
