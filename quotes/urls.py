from django.urls import path

from quotes import views

urlpatterns = [
    path("token-balance/", views.LeadListView.as_view(), name="lead_list"),
    path("token-balance/export/", views.LeadExportView.as_view(), name="lead_export"),
    path("token-balance/<int:number>/", views.LeadDetailView.as_view(), name="lead_detail"),
    path("token-balance/<int:number>/lost/", views.LeadLostView.as_view(), name="lead_lost"),
    path("quotes/", views.QuoteListView.as_view(), name="quote_list"),
    path("quotes/new/", views.QuoteCreateView.as_view(), name="quote_create"),
    path("quotes/<str:number>/", views.QuoteDetailView.as_view(), name="quote_detail"),
    path("quotes/<str:number>/edit/", views.QuoteEditView.as_view(), name="quote_edit"),
    path("quotes/<str:number>/send/", views.QuoteSendView.as_view(), name="quote_send"),
    path("quotes/<str:number>/accept/", views.QuoteAcceptView.as_view(), name="quote_accept"),
    path("quotes/<str:number>/decline/", views.QuoteDeclineView.as_view(), name="quote_decline"),
    path("quotes/<str:number>/print/", views.QuotePrintView.as_view(), name="quote_print"),
    path("quotes/<str:number>/export/", views.QuoteExportView.as_view(), name="quote_export"),
    path("settings/", views.SettingsView.as_view(), name="partner_settings"),
    path("notifications/", views.NotificationListView.as_view(), name="notification_list"),
    path("notifications/<int:pk>/", views.NotificationOpenView.as_view(), name="notification_open"),
]
