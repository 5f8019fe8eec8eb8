from django.urls import path

from spp.views import PlaceholderView

urlpatterns = [
    path(
        "teams/",
        PlaceholderView.as_view(title="Teams", message="Team pages arrive with the dashboard release."),
        name="team_list",
    ),
]
