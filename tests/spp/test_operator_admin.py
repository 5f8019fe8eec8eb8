"""The operator admin works across partners (operator scope, maintenance alias)."""

from __future__ import annotations

from spp.models import Membership, User
from spp.tenancy import current_partner_or_none, in_operator_scope
from tests.conftest import committed_db
from tests.factories import make_tenants, make_user


def _operator(client):
    user = User.objects.db_manager("maint").create_superuser("ops@spp.example", "x")
    client.force_login(user)
    return user


@committed_db
def test_partner_page_with_memberships_opens_and_adds_a_member(client):
    t = make_tenants()
    _operator(client)
    newcomer = make_user("new@a.example")
    url = f"/admin/spp/partner/{t.a.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Ada Admin" in page.content.decode()
    members = list(Membership.unscoped.using("maint").filter(partner=t.a).order_by("pk"))
    form = {
        "csn": t.a.csn,
        "name": "Partner A renamed",
        "currency": "USD",
        "token_price": "3.10",
        "memberships-TOTAL_FORMS": str(len(members) + 1),
        "memberships-INITIAL_FORMS": str(len(members)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, m in enumerate(members):
        form |= {
            f"memberships-{i}-id": str(m.pk),
            f"memberships-{i}-partner": str(t.a.pk),
            f"memberships-{i}-user": str(m.user_id),
            f"memberships-{i}-role": m.role,
        }
    n = len(members)
    form |= {
        f"memberships-{n}-partner": str(t.a.pk),
        f"memberships-{n}-user": str(newcomer.pk),
        f"memberships-{n}-role": "viewer",
    }
    saved = client.post(url, form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert Membership.unscoped.using("maint").filter(partner=t.a, user=newcomer).exists()
    assert Membership.unscoped.using("maint").get(partner=t.a, user=newcomer).role == "viewer"


@committed_db
def test_a_duplicate_member_is_a_form_error_not_a_500(client):
    t = make_tenants()
    _operator(client)
    page = client.post(
        f"/admin/spp/partner/{t.a.pk}/change/",
        {
            "csn": t.a.csn,
            "name": t.a.name,
            "currency": "USD",
            "token_price": "3.00",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-partner": str(t.a.pk),
            "memberships-0-user": str(t.a_admin.pk),
            "memberships-0-role": "viewer",
        },
    )
    assert page.status_code == 200
    assert "already exists" in page.content.decode()


@committed_db
def test_operator_scope_ends_with_the_admin_request(client):
    make_tenants()
    _operator(client)
    assert client.get("/admin/teams/team/").status_code == 200
    assert not in_operator_scope()
    assert current_partner_or_none() is None
