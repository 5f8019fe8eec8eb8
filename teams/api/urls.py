from django.urls import include, path
from rest_framework.routers import SimpleRouter

from teams.api import views

router = SimpleRouter(trailing_slash=True)
router.register("teams", views.TeamViewSet, basename="api-team")
router.register("accounts", views.AccountViewSet, basename="api-account")
router.register("contacts", views.ContactViewSet, basename="api-contact")

urlpatterns = [
    path("teams/<str:team>/events/", views.TeamEventListView.as_view(), name="api-team-events"),
    path("", include(router.urls)),
]
