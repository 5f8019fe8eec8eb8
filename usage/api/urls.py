from django.urls import path

from usage.api import views

urlpatterns = [
    path("imports/", views.ImportView.as_view(), name="api-imports"),
]
