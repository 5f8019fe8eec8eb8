from django.urls import include, path
from rest_framework.routers import SimpleRouter

from flex.api import advisor, views

router = SimpleRouter(trailing_slash=True)
router.register("flex/teams", views.FlexTeamViewSet, basename="api-flex-team")
router.register("packs", views.PackViewSet, basename="api-pack")

urlpatterns = [
    path("flex/widget/", views.FlexWidgetView.as_view(), name="api-flex-widget"),
    path("teams/<str:team>/advisor/", advisor.AdvisorView.as_view(), name="api-team-advisor"),
    path("flex/export/", views.FlexExportView.as_view(), name="api-flex-export"),
    path("flex/export/jobs/<str:job>/", views.ExportJobView.as_view(), name="api-flex-export-job"),
    path(
        "flex/export/jobs/<str:job>/download/",
        views.ExportJobDownloadView.as_view(),
        name="api-flex-export-download",
    ),
    path("", include(router.urls)),
]
