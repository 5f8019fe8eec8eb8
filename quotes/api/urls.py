from django.urls import include, path
from rest_framework.routers import SimpleRouter

from quotes.api import views

router = SimpleRouter(trailing_slash=True)
router.register("leads", views.LeadViewSet, basename="api-lead")
router.register("quotes", views.QuoteViewSet, basename="api-quote")

urlpatterns = [path("", include(router.urls))]
