"""Signing in, rate limits on failed sign-ins, sign-out, partner pages behind login."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import committed_db
from tests.factories import PASSWORD, make_tenants, make_user


def _login(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@committed_db
def test_sign_in_lands_on_the_dashboard(client):
    make_tenants()
    response = _login(client, "admin@a.example", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert "Partner A" in page.content.decode()


@committed_db
def test_wrong_password_is_refused_with_a_message(client):
    make_tenants()
    response = _login(client, "admin@a.example", "not the password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


@committed_db
def test_failed_sign_ins_are_rate_limited(client):
    make_tenants()
    for _ in range(5):
        assert _login(client, "admin@a.example", "wrong").status_code == 200
    blocked = _login(client, "admin@a.example", PASSWORD)
    assert blocked.status_code == 429 or "Too many failed" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


@committed_db
def test_pages_need_sign_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@committed_db
def test_sign_out(client):
    make_tenants()
    _login(client, "admin@a.example", PASSWORD)
    client.post(reverse("account_logout"))
    assert client.get(reverse("dashboard")).status_code == 302


@committed_db
def test_password_reset_sends_an_email(client):
    make_tenants()
    response = client.post(reverse("account_reset_password"), {"email": "admin@a.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "admin@a.example" in mail.outbox[0].to


@committed_db
def test_signup_is_closed(client):
    response = client.get(reverse("account_signup"))
    assert "closed" in response.content.decode().lower()


@committed_db
def test_user_without_partner_is_told_what_to_do(client):
    user = make_user("lonely@example.com")
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 403
    assert "not linked to a partner" in response.content.decode()


@committed_db
def test_partner_switch_only_to_own_memberships(client):
    from spp.models import Membership, Role

    t = make_tenants()
    Membership.unscoped.using("maint").create(partner=t.b, user=t.a_admin, role=Role.VIEWER)
    client.force_login(t.a_admin)
    client.post(reverse("switch_partner"), {"partner_id": t.b.pk})
    assert "Partner B" in client.get(reverse("dashboard")).content.decode()
    client.force_login(t.a_viewer)  # a member of A only
    client.post(reverse("switch_partner"), {"partner_id": t.b.pk})
    page = client.get(reverse("dashboard")).content.decode()
    assert "Partner A" in page and "Partner B" not in page


@committed_db
def test_healthz_reports_database_and_redis(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database_default": "ok",
        "database_maint": "ok",
        "redis": "ok",
    }


@pytest.mark.django_db
def test_favicon_ico_points_at_the_svg_icon(client):
    # Django admin pages have no icon link; the browser's /favicon.ico must not be a 404.
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/static/spp/favicon.svg")
