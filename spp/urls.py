from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from spp import views
from spp.api.views import OfflineRedocView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard", permanent=False)),
    path("healthz", views.healthz, name="healthz"),
    # Pages without our <link rel="icon"> (Django admin) make browsers ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=static("spp/favicon.svg"), permanent=True)),
    path("accounts/", include("allauth.urls")),
    path("partner/switch/", views.switch_partner, name="switch_partner"),
    path("settings/api-keys/", views.ApiKeysView.as_view(), name="api_keys"),
    path(
        "settings/api-keys/<int:pk>/revoke/",
        views.ApiKeyRevokeView.as_view(),
        name="api_key_revoke",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("spp.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", OfflineRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("flex.urls")),
    path("", include("teams.urls")),
    path("", include("quotes.urls")),
    path("", include("usage.urls")),
]
