from django.urls import path

from usage.api import audit, views

TEAM = "teams/<str:team>/usage/"

urlpatterns = [
    path("imports/", views.ImportView.as_view(), name="api-imports"),
    path(TEAM, views.UsageSummaryView.as_view(), name="api-usage-summary"),
    path(TEAM + "products/", views.UsageProductsView.as_view(), name="api-usage-products"),
    path(TEAM + "users/", views.UsageUsersView.as_view(), name="api-usage-users"),
    path(TEAM + "daily/", views.UsageDailyView.as_view(), name="api-usage-daily"),
    path("teams/<str:team>/audit/", audit.AuditView.as_view(), name="api-team-audit"),
]
