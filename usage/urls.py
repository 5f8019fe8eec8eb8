from django.urls import path

from spp.views import PlaceholderView

urlpatterns = [
    path(
        "usage/",
        PlaceholderView.as_view(
            title="Usage", message="Usage reporting arrives with the usage release."
        ),
        name="usage_portfolio",
    ),
]
