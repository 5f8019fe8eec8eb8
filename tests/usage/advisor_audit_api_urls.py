"""The site's URLs plus the advisor and audit API routes, for their tests.

The two routes are not registered in flex/api/urls.py and usage/api/urls.py yet: the
SPEC §1 allow-list of every API body (tests/api/test_spec_fields.py, another engineer's)
must list their serializers in the same commit, or main would fail it. Once registered,
these entries only repeat them.
"""

from django.urls import path

from flex.api.advisor import AdvisorView
from spp.urls import urlpatterns as site
from usage.api.audit import AuditView

urlpatterns = [
    path("api/v1/teams/<str:team>/advisor/", AdvisorView.as_view(), name="api-team-advisor"),
    path("api/v1/teams/<str:team>/audit/", AuditView.as_view(), name="api-team-audit"),
    *site,
]
