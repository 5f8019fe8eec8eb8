"""/api/v1/: the tenancy core's endpoints, then each app's `api.urls`.

An app joins the API by having `<app>/api/urls.py` and its name in API_APPS (quotes is
listed ahead of its endpoints: it is included as soon as quotes/api/urls.py exists).
Anything else under /api/v1/ gets the JSON 404 of spp.api.errors.
"""

from importlib.util import find_spec

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from spp.api import views
from spp.api.errors import not_found

API_APPS = ("flex", "teams", "usage", "quotes")

router = SimpleRouter(trailing_slash=True)
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")


def _has_api_urls(app: str) -> bool:
    try:
        return find_spec(f"{app}.api.urls") is not None
    except ModuleNotFoundError:  # no <app>/api/ package yet
        return False


urlpatterns = [
    path("partner/", views.CurrentPartnerView.as_view(), name="api-partner"),
    path("", include(router.urls)),
    *(path("", include(f"{app}.api.urls")) for app in API_APPS if _has_api_urls(app)),
    re_path(r"^.*/$", not_found, name="api-not-found"),
]
