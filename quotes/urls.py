from django.urls import path

from spp.views import PlaceholderView

urlpatterns = [
    path(
        "token-balance/",
        PlaceholderView.as_view(
            title="Token Balance", message="Refill leads arrive with the quotes release."
        ),
        name="lead_list",
    ),
    path(
        "quotes/",
        PlaceholderView.as_view(title="Quotes", message="Quotes arrive with the quotes release."),
        name="quote_list",
    ),
]
