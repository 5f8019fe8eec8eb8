"""Team and customer pages: balances, token events, manager assignment, contacts,
roles (viewers read only) and partner isolation (404 across partners)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from flex.models import TokenEvent
from spp.models import Role
from teams.models import AccountAssignment, Contact
from tests.conftest import committed_db
from tests.factories import MAINT, make_pack, make_snapshot, make_user
from tests.flex.flex_data import D, build

pytestmark = committed_db


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


@pytest.fixture
def portfolio(tenants):
    return build(tenants)


def contact(partner, account, name="Carla Buyer", **extra):
    return Contact.unscoped.using(MAINT).create(
        partner=partner, account=account, name=name, **extra
    )


# ------------------------------------------------------------------------ team page


def test_team_page_header_donut_and_figures(client_a, portfolio):
    response = client_a.get(f"/teams/{portfolio.teams['low'].team_id}/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Low Balance Ltd" in content and "Acme Architects" in content
    assert "Amos Manager" in content
    assert 'data-colour="red"' in content and "10.0%" in content
    assert response.context["snapshot"].flex_tokens_balance == 100
    assert "200 tokens expire within 90 days" in content
    healthy = client_a.get(f"/teams/{portfolio.teams['healthy'].team_id}/")
    assert 'data-colour="green"' in healthy.content.decode()


def test_team_page_shows_own_packs_in_full_and_foreign_ones_only_as_a_total(
    client_a, portfolio, tenants
):
    team = portfolio.teams["additional"]
    make_pack(team, "SO-A-1", tenants.a, 700, date(2025, 6, 1), unit_price=3, currency="USD")
    make_pack(team, "FOREIGN-77", "9999999999", 300, date(2025, 8, 15), unit_price=2)
    make_pack(team, "B-SOLD-1", tenants.b, 50, date(2025, 9, 1), unit_price=1)
    response = client_a.get(f"/teams/{team.team_id}/")
    content = response.content.decode()
    assert "SO-A-1" in content and "3.00 USD" in content
    assert "Additional tokens from other suppliers: <strong" in content
    for secret in ("FOREIGN-77", "B-SOLD-1", "2025-08-15", "2025-09-01"):
        assert secret not in content
    assert [p.order_number for p in response.context["packs"]] == ["SO-A-1"]


def test_team_page_lists_moves_of_own_packs_and_merges(client_a, portfolio, tenants):
    team, other = portfolio.teams["low"], portfolio.teams["watch"]
    own = make_pack(team, "SO-OWN", tenants.a, 100, date(2025, 5, 1))
    foreign = make_pack(team, "SO-FOREIGN", "9999999999", 100, date(2025, 5, 1))
    TokenEvent.unscoped.using(MAINT).create(
        kind="adjustment", date=date(2026, 1, 5), pack=own, quantity=-20, reason="Goodwill"
    )
    TokenEvent.unscoped.using(MAINT).create(
        kind="move",
        date=date(2026, 1, 6),
        pack=foreign,
        from_team=team,
        to_team=other,
        quantity=40,
    )
    TokenEvent.unscoped.using(MAINT).create(
        kind="merge", date=date(2026, 2, 1), from_team=other, to_team=team
    )
    response = client_a.get(f"/teams/{team.team_id}/")
    events = response.context["events"]
    assert [(e.kind, e.date) for e in events] == [
        ("merge", date(2026, 2, 1)),
        ("adjustment", date(2026, 1, 5)),
    ]
    timeline = [(e.date, e.kind, e.tokens) for e in response.context["timeline"]]
    assert timeline == [
        (date(2026, 2, 1), "Merged in", None),
        (date(2026, 1, 5), "Adjusted", -20),
        (date(2025, 5, 1), "Purchased", 100),
    ]
    content = response.content.decode()
    assert "SO-FOREIGN" not in content and "Goodwill" in content and "−20" in content


def test_team_page_shows_what_became_of_each_own_pack(client_a, portfolio, tenants):
    """Used and unused tokens per own pack, from the ledger replay: another seller's pack
    that ends first is drawn first (it changes the numbers) but never shows."""
    from tests.factories import make_team
    from usage.models import UsageDaily

    team = make_team("T-PACKS", "Pack Use Studio", linked=[tenants.a])
    make_pack(team, "SO-OLD", tenants.a, 100, date(2025, 3, 1), date(2025, 12, 31))
    make_pack(team, "FX-1", "9999999999", 100, date(2025, 3, 1), date(2025, 11, 30))
    make_pack(team, "SO-NEW", tenants.a, 50, date(2026, 1, 1), date(2026, 12, 31))
    for day, tokens, cum in ((date(2025, 6, 1), 120, 120), (date(2026, 2, 1), 10, 130)):
        UsageDaily.objects.using(MAINT).create(
            team=team, day=day, tokens=tokens, cum_tokens=cum, users=1
        )
    response = client_a.get(f"/teams/{team.team_id}/")
    # 2025-06-01: 120 tokens, FX-1 first (earliest end) 100, then SO-OLD 20; SO-OLD ends
    # with 80 unused; 2026-02-01: 10 from SO-NEW.
    rows = {p.order_number: (use.used, use.unused) for p, use in response.context["pack_rows"]}
    assert rows == {"SO-OLD": (20, 80), "SO-NEW": (10, 40)}
    expired = [(e.date, e.tokens) for e in response.context["timeline"] if e.kind == "Expired"]
    assert expired == [(date(2025, 12, 31), -80)]
    content = response.content.decode()
    assert "tokens expired unused" in content
    assert "FX-1" not in content  # (its end date is a day of the chart like any other)


def test_team_page_usage_products_users_and_chart(client_a, portfolio):
    from usage.models import Product, UsageDaily, UsageDailyProduct, UsageRow

    team = portfolio.teams["low"]
    revit = Product.objects.using(MAINT).create(name="Revit")
    day = D - timedelta(days=3)
    UsageDaily.objects.using(MAINT).create(team=team, day=day, tokens=30, cum_tokens=30, users=2)
    UsageDailyProduct.objects.using(MAINT).create(
        team=team, day=day, product=revit, tokens=30, users=2
    )
    for user in ("u1", "u2", "u2"):
        UsageRow.objects.using(MAINT).create(
            team=team, day=day, product=revit, user_key=user, tokens=10
        )
    old = D - timedelta(days=200)  # in the chart, not in the 90-day products
    UsageDaily.objects.using(MAINT).create(team=team, day=old, tokens=5, cum_tokens=35, users=1)
    response = client_a.get(f"/teams/{team.team_id}/")
    assert response.context["users"] == 2
    [revit_use] = response.context["products"]
    assert (revit_use.product, revit_use.tokens, revit_use.users, revit_use.days) == (
        "Revit",
        30,
        2,
        1,
    )
    assert response.context["chart_total"] == 35
    assert 'data-testid="line-chart"' in response.content.decode()


def test_team_without_figures_or_usage_says_so(client_a, portfolio, tenants):
    from tests.factories import make_team

    team = make_team("T-NEW", "No Figures Yet", linked=[tenants.a])
    content = client_a.get(f"/teams/{team.team_id}/").content.decode()
    assert "No Flex figures for this team yet" in content
    assert "No usage reported" in content


def test_partner_b_gets_404_on_a_team_page(client_b, portfolio):
    assert client_b.get(f"/teams/{portfolio.teams['low'].team_id}/").status_code == 404
    assert client_b.get("/teams/does-not-exist/").status_code == 404
    shared = client_b.get(f"/teams/{portfolio.teams['shared'].team_id}/")
    assert shared.status_code == 200
    assert shared.context["snapshot"].flex_tokens_balance == 150


def test_team_list_and_search(client_a, portfolio):
    response = client_a.get("/teams/")
    ids = {team.team_id for team in response.context["page"].object_list}
    assert ids == {t.team_id for k, t in portfolio.teams.items() if k != "b_only"}
    found = client_a.get("/teams/", {"q": "acme"}).context["page"].object_list
    assert {t.team_id for t in found} == {"T-001", "T-002"}
    assert b"No team matches" in client_a.get("/teams/", {"q": "zzz"}).content


# -------------------------------------------------------------------- customer pages


def test_customer_list_with_manager_and_team_count(client_a, portfolio):
    accounts = {a.csn: a for a in client_a.get("/customers/").context["page"].object_list}
    assert accounts["C-ACME"].team_count == 2
    assert accounts["C-ACME"].account_manager_name == "Amos Manager"
    assert accounts["C-T-SH1"].account_manager_name is None  # B's assignment stays B's
    assert "C-T-B01" not in accounts
    found = client_a.get("/customers/", {"q": "acme"}).context["page"].object_list
    assert [a.csn for a in found] == ["C-ACME"]


def test_customer_detail(client_a, portfolio, tenants):
    contact(tenants.a, portfolio.accounts["acme"], email="carla@acme.example")
    contact(tenants.b, portfolio.accounts["acme"], name="B Secret Contact")
    response = client_a.get("/customers/C-ACME/")
    content = response.content.decode()
    assert "Carla Buyer" in content and "B Secret Contact" not in content
    assert [item["team"].team_id for item in response.context["teams"]] == ["T-001", "T-002"]
    assert response.context["can_assign"] and response.context["can_edit_contacts"]


def test_partner_b_gets_404_on_a_customer_and_its_contacts(client_b, portfolio, tenants):
    person = contact(tenants.a, portfolio.accounts["acme"])
    assert client_b.get("/customers/C-ACME/").status_code == 404
    assert client_b.post("/customers/C-ACME/manager/", {"manager": ""}).status_code == 404
    assert client_b.get(f"/customers/C-ACME/contacts/{person.pk}/edit/").status_code == 404
    response = client_b.post(f"/customers/C-T-SH1/contacts/{person.pk}/delete/")
    assert response.status_code == 404
    assert Contact.unscoped.using(MAINT).filter(pk=person.pk).exists()


def test_assigning_a_manager_is_inherited_by_the_teams(client, portfolio, tenants):
    sales = make_user("sales@a.example", tenants.a, Role.SALES_MANAGER, full_name="Sal Sales")
    client.force_login(sales)
    account = portfolio.teams["onboard"].account
    response = client.post(f"/customers/{account.csn}/manager/", {"manager": sales.pk})
    assert response.status_code == 302
    assignment = AccountAssignment.unscoped.using(MAINT).get(partner=tenants.a, account=account)
    assert assignment.account_manager_id == sales.pk
    rows = client.get("/flex/", {"manager": sales.pk}).context["rows"]
    assert [r["team__team_id"] for r in rows] == [portfolio.teams["onboard"].team_id]
    client.post(f"/customers/{account.csn}/manager/", {"manager": ""})
    assignment.refresh_from_db(using=MAINT)
    assert assignment.account_manager_id is None


def test_only_members_can_be_assigned(client_a, portfolio, tenants):
    response = client_a.post("/customers/C-ACME/manager/", {"manager": tenants.b_admin.pk})
    assert response.status_code == 400
    assignment = AccountAssignment.unscoped.using(MAINT).get(
        partner=tenants.a, account=portfolio.accounts["acme"]
    )
    assert assignment.account_manager_id == tenants.a_manager.pk


def test_viewers_cannot_assign_or_edit_contacts(client, portfolio, tenants):
    person = contact(tenants.a, portfolio.accounts["acme"])
    client.force_login(tenants.a_viewer)
    page = client.get("/customers/C-ACME/")
    assert page.status_code == 200 and not page.context["can_assign"]
    assert b"assign-form" not in page.content and b"add-contact" not in page.content
    assert client.post("/customers/C-ACME/manager/", {"manager": ""}).status_code == 403
    assert client.get("/customers/C-ACME/contacts/new/").status_code == 403
    assert client.post("/customers/C-ACME/contacts/new/", {"name": "X"}).status_code == 403
    assert client.get(f"/customers/C-ACME/contacts/{person.pk}/edit/").status_code == 403
    assert client.post(f"/customers/C-ACME/contacts/{person.pk}/delete/").status_code == 403
    assert Contact.unscoped.using(MAINT).filter(pk=person.pk).exists()


def test_account_managers_edit_contacts_but_do_not_assign(client, portfolio, tenants):
    client.force_login(tenants.a_manager)
    assert client.post("/customers/C-ACME/manager/", {"manager": ""}).status_code == 403
    response = client.post("/customers/C-ACME/contacts/new/", {"name": "Ivy IT"})
    assert response.status_code == 302


def test_contacts_add_edit_delete(client_a, portfolio, tenants):
    low = portfolio.teams["low"]
    response = client_a.post(
        "/customers/C-ACME/contacts/new/",
        {"name": "Dana CAD", "title": "CAD manager", "email": "dana@acme.example", "team": low.pk},
    )
    assert response.status_code == 302 and response["Location"] == "/customers/C-ACME/"
    person = Contact.unscoped.using(MAINT).get(name="Dana CAD")
    assert (person.partner_id, person.account_id, person.team_id) == (
        tenants.a.pk,
        portfolio.accounts["acme"].pk,
        low.pk,
    )
    edit_url = f"/customers/C-ACME/contacts/{person.pk}/edit/"
    assert client_a.get(edit_url).status_code == 200
    client_a.post(edit_url, {"name": "Dana CAD", "title": "BIM lead", "email": ""})
    person.refresh_from_db(using=MAINT)
    assert person.title == "BIM lead" and person.team_id is None
    invalid = client_a.post(edit_url, {"name": "", "email": "not-an-email"})
    assert invalid.status_code == 400 and b"invalid-feedback" in invalid.content
    # A team of another customer is not a choice.
    other = client_a.post(
        "/customers/C-ACME/contacts/new/",
        {"name": "Wrong Team", "team": portfolio.teams["healthy"].pk},
    )
    assert other.status_code == 400
    assert client_a.get(f"/customers/C-ACME/contacts/{person.pk}/delete/").status_code == 200
    deleted = client_a.post(f"/customers/C-ACME/contacts/{person.pk}/delete/")
    assert deleted.status_code == 302
    assert not Contact.unscoped.using(MAINT).filter(pk=person.pk).exists()


def test_a_contact_is_reached_only_through_its_customer(client_a, portfolio, tenants):
    person = contact(tenants.a, portfolio.accounts["acme"])
    healthy_csn = portfolio.teams["healthy"].account.csn
    assert client_a.get(f"/customers/{healthy_csn}/contacts/{person.pk}/edit/").status_code == 404


def test_snapshot_of_other_days_does_not_hide_the_team(client_a, portfolio, tenants):
    make_snapshot(tenants.a, portfolio.teams["low"], D - timedelta(days=30))
    response = client_a.get(f"/teams/{portfolio.teams['low'].team_id}/")
    assert response.context["snapshot"].as_of == D
