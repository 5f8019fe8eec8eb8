from django.urls import path

from flex import views

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("flex/", views.FlexListView.as_view(), name="flex_list"),
    path("flex/columns/", views.FlexColumnsView.as_view(), name="flex_columns"),
    path("flex/export/", views.FlexExportView.as_view(), name="flex_export"),
    path("flex/export/<str:job_id>/", views.ExportJobView.as_view(), name="flex_export_job"),
    path(
        "flex/export/<str:job_id>/status/",
        views.ExportJobStatusView.as_view(),
        name="flex_export_status",
    ),
    path(
        "flex/export/<str:job_id>/download/",
        views.ExportJobDownloadView.as_view(),
        name="flex_export_download",
    ),
    path("advisor/", views.AdvisorPortfolioView.as_view(), name="flex_advisor_portfolio"),
    path("teams/<str:team_id>/advisor/", views.AdvisorView.as_view(), name="flex_advisor"),
    path(
        "teams/<str:team_id>/advisor/print/",
        views.AdvisorPrintView.as_view(),
        name="flex_advisor_print",
    ),
]
