"""Operator admin of the quotes tables: every page renders through the maintenance alias."""

from __future__ import annotations

import pytest

from quotes.models import Lead
from tests.conftest import committed_db
from tests.factories import MAINT, make_user
from tests.quotes.quote_data import D, build
from tests.quotes.test_views import a_quote

pytestmark = committed_db


def test_operator_admin_pages(client, tenants, monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())
    build(tenants)
    quote = a_quote(tenants, "sent")
    lead = Lead.unscoped.using(MAINT).get()
    client.force_login(make_user("op@spp.example", None, is_staff=True, is_superuser=True))
    for url in (
        "/admin/quotes/lead/",
        f"/admin/quotes/lead/{lead.pk}/change/",
        "/admin/quotes/quote/",
        f"/admin/quotes/quote/{quote.pk}/change/",
        "/admin/quotes/notification/",
        "/admin/quotes/pricelist/",
        "/admin/quotes/pricelist/add/",
        "/admin/quotes/partnersettings/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert quote.number.encode() in client.get("/admin/quotes/quote/").content


@pytest.mark.parametrize("role_email", ["am@a.example", "admin@a.example"])
def test_partner_users_have_no_admin(client, tenants, role_email):
    from spp.models import User

    client.force_login(User.objects.using(MAINT).get(email=role_email))
    assert client.get("/admin/quotes/lead/").status_code == 302  # to the admin login
