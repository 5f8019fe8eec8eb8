from django.urls import path

from spp.views import PlaceholderView

urlpatterns = [
    path(
        "dashboard/",
        PlaceholderView.as_view(
            title="Dashboard", message="The FLEX widget arrives with the dashboard release."
        ),
        name="dashboard",
    ),
    path(
        "flex/",
        PlaceholderView.as_view(title="Flex", message="The Flex list arrives with the dashboard release."),
        name="flex_list",
    ),
]
