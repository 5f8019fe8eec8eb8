from django.urls import path

from teams import views

urlpatterns = [
    path("teams/", views.TeamListView.as_view(), name="team_list"),
    path("teams/<str:team_id>/", views.TeamDetailView.as_view(), name="team_detail"),
    path("customers/", views.CustomerListView.as_view(), name="customer_list"),
    path("customers/<str:csn>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path(
        "customers/<str:csn>/manager/",
        views.CustomerAssignView.as_view(),
        name="customer_assign",
    ),
    path(
        "customers/<str:csn>/contacts/new/",
        views.ContactEditView.as_view(),
        name="contact_create",
    ),
    path(
        "customers/<str:csn>/contacts/<int:pk>/edit/",
        views.ContactEditView.as_view(),
        name="contact_edit",
    ),
    path(
        "customers/<str:csn>/contacts/<int:pk>/delete/",
        views.ContactDeleteView.as_view(),
        name="contact_delete",
    ),
]
