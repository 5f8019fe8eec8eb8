from django.urls import include, path
from rest_framework.routers import DefaultRouter

from spp.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")

urlpatterns = [
    path("partner/", views.CurrentPartnerView.as_view(), name="api-partner"),
    path("", include(router.urls)),
]
