from django.urls import path

from usage import views

TEAM = "teams/<str:team_id>/usage/"

urlpatterns = [
    path("usage/", views.PortfolioView.as_view(), name="usage_portfolio"),
    path(TEAM, views.SummaryView.as_view(), name="usage_summary"),
    path(TEAM + "products/", views.ProductsView.as_view(), name="usage_products"),
    path(
        TEAM + "products/<int:product_id>/",
        views.ProductDetailView.as_view(),
        name="usage_product",
    ),
    path(TEAM + "users/", views.UsersView.as_view(), name="usage_users"),
    path(TEAM + "users/<str:slug>/", views.UserDetailView.as_view(), name="usage_user"),
    path("teams/<str:team_id>/audit/", views.AuditView.as_view(), name="usage_audit"),
    path(TEAM + "raw.csv", views.RawExportView.as_view(), {"fmt": "csv"}, name="usage_raw_csv"),
    path(TEAM + "raw.xlsx", views.RawExportView.as_view(), {"fmt": "xlsx"}, name="usage_raw_xlsx"),
]
