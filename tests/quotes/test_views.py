"""Token Balance list (filters, sorting, export, query count), settings, roles and
cross-partner isolation of every page of the quotes app."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from quotes import services, tables
from quotes.models import Lead, Notification, PartnerSettings, PriceList, Quote
from spp.tenancy import partner_scope
from teams.models import AccountAssignment
from tests.conftest import committed_db
from tests.factories import MAINT, make_snapshot, make_team
from tests.quotes.quote_data import D, build

pytestmark = committed_db


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


@pytest.fixture
def portfolio(tenants):
    return build(tenants)


def add_leads(partner, count: int, manager=None) -> list:
    """`count` more teams with figures that qualify, and their leads."""
    teams = []
    for i in range(count):
        team = make_team(f"T-{i:03d}", f"Team {i:03d}", linked=[partner])
        if manager is not None:
            AccountAssignment.unscoped.using(MAINT).create(
                partner=partner, account=team.account, account_manager=manager
            )
        make_snapshot(
            partner,
            team,
            D,
            flex_total_tokens=1000,
            flex_tokens_balance=100 + i,
            flex_consumption_rate_30=1.0 + i,
            flex_consumption_rate_180=0.5,
            flex_projected_end_date=D + timedelta(days=10 + i),
            customer="=cmd|' /C calc'!A0" if i == 0 else "n/a",
        )
        teams.append(team)
    with transaction.atomic(using=MAINT):
        services.sync_leads([t.pk for t in teams], D)
    return teams


def a_quote(tenants, status: str = "draft") -> Quote:
    user = tenants.a_manager
    with partner_scope(tenants.a, user_id=user.pk):
        lead = Lead.objects.get(number=1)
        quote = services.create_quote(
            team=lead.team,
            lead=lead,
            user=user,
            currency="USD",
            valid_until=D + timedelta(days=30),
            notes="",
            lines=[services.LineData("Flex tokens", 4200, Decimal("3.00"))],
        )
        if status != "draft":
            services.send_quote(quote, user)
    return quote


# ------------------------------------------------------------------ the list


def test_token_balance_shows_the_spec_columns(client_a, portfolio):
    response = client_a.get("/token-balance/")
    assert response.status_code == 200
    html = response.content.decode()
    for header in (
        "Lead #",
        "Status",
        "End date",
        "Balance %",
        "Rate 30 days",
        "Rate 180 days",
        "Annual quantity",
        "Value",
        "Account manager",
        "Customer",
    ):
        assert f">{header}" in html
    (row,) = response.context["rows"]
    assert row["end_label"] == "2026-03-31 (+21)"
    assert (row["annual_quantity"], row["value"], row["currency"]) == (
        4200,
        Decimal("12600.00"),
        "USD",
    )
    assert row["account_manager"] == "Amos Manager" and row["customer"] == "n/a"
    assert "Value (USD)" in html and ">12,600.00<" in html and "OPEN" in html and "11.43" in html


def test_filters_status_manager_end_range_and_search(client_a, tenants, portfolio):
    add_leads(tenants.a, 5, manager=tenants.a_admin)
    Lead.unscoped.using(MAINT).filter(number=2).update(status="won")

    def numbers(**params):
        response = client_a.get("/token-balance/", params)
        assert response.status_code == 200, response.context.get("problems")
        return sorted(row["number"] for row in response.context["rows"])

    assert numbers() == [1, 3, 4, 5, 6]  # open and quoted by default
    assert numbers(status="won") == [2]
    assert numbers(status="all") == [1, 2, 3, 4, 5, 6]
    assert numbers(manager=tenants.a_manager.pk) == [1]
    assert numbers(manager=tenants.a_admin.pk, status="all") == [2, 3, 4, 5, 6]
    assert numbers(manager="unassigned") == []
    assert numbers(
        end_from=(D + timedelta(days=12)).isoformat(), end_to=(D + timedelta(days=13)).isoformat()
    ) == [4, 5]
    assert numbers(q="Team 003") == [5]
    assert numbers(q="#1") == [1]
    tabs = {
        tab["key"]: tab["count"] for tab in client_a.get("/token-balance/").context["status_tabs"]
    }
    assert (tabs["active"], tabs["won"], tabs["all"]) == (5, 1, 6)


def test_bad_filters_say_what_is_wrong(client_a, portfolio):
    response = client_a.get("/token-balance/", {"end_from": "tomorrow", "status": "maybe"})
    assert response.status_code == 200
    problems = " ".join(response.context["problems"])
    assert "end_from=tomorrow" in problems and "status=maybe" in problems
    assert response.context["rows"] == []
    response = client_a.get("/token-balance/", {"end_from": "2026-05-01", "end_to": "2026-04-01"})
    assert "ends before it starts" in " ".join(response.context["problems"])


@pytest.mark.parametrize("key", tables.sortable_keys())
def test_every_column_sorts_both_ways(client_a, tenants, portfolio, key):
    add_leads(tenants.a, 3)
    for ordering in (key, "-" + key):
        response = client_a.get("/token-balance/", {"ordering": ordering, "status": "all"})
        assert response.status_code == 200 and not response.context["problems"]
        assert len(response.context["rows"]) == 4


def test_sorting_by_value_and_end_date(client_a, tenants, portfolio):
    add_leads(tenants.a, 3)
    by_value = [
        r["number"] for r in client_a.get("/token-balance/", {"ordering": "-value"}).context["rows"]
    ]
    assert by_value[0] == 1  # 12,600 beats the small ones
    by_end = [r["number"] for r in client_a.get("/token-balance/").context["rows"]]
    assert by_end == [2, 3, 4, 1]  # soonest end first: D+10, D+11, D+12, D+21


def test_the_list_runs_the_same_queries_for_10_and_100_rows(client_a, tenants, portfolio):
    add_leads(tenants.a, 120)
    client_a.get("/token-balance/")
    counts = {}
    for size in (10, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client_a.get("/token-balance/", {"page_size": size})
        assert len(response.context["rows"]) == size
        counts[size] = len(queries)
    assert counts[10] == counts[100]
    assert counts[100] <= 15  # 8 of them are sign-in, scope and transaction


def test_export_xlsx_holds_exactly_the_filtered_rows_with_real_types(client_a, tenants, portfolio):
    add_leads(tenants.a, 3)
    response = client_a.get("/token-balance/export/", {"format": "xlsx", "ordering": "lead_number"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="token-balance-5100000001-2026-03-10'
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == list(tables.EXPORT_KEYS)
    assert [row[0] for row in rows[1:]] == [1, 2, 3, 4]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["status"] == "OPEN" and first["team_id"] == "T-LOW"
    assert first["end_date"].date() == D + timedelta(days=21) and first["end_date_days"] == 21
    assert (first["annual_quantity"], first["value"], first["currency"]) == (4200, 12600.0, "USD")
    assert first["rate_30"] == 11.43 and first["balance_rate"] == 0.08
    injected = dict(zip(rows[0], rows[2], strict=True))
    assert injected["customer"] == "=cmd|' /C calc'!A0"  # text, not a formula (quotePrefix)

    filtered = client_a.get("/token-balance/export/", {"format": "csv", "q": "Team 001"})
    text = filtered.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == list(tables.EXPORT_KEYS) and len(lines) == 2 and lines[1][3] == "Team 001"


def test_export_refuses_bad_parameters(client_a, portfolio):
    assert client_a.get("/token-balance/export/", {"format": "pdf"}).status_code == 400
    assert client_a.get("/token-balance/export/", {"end_to": "x"}).status_code == 400


def test_lead_detail_history_and_create_quote_button(client, tenants, portfolio):
    client.force_login(tenants.a_manager)
    page = client.get("/token-balance/1/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="create-quote"' in html and "Opened by the recompute" in html
    client.force_login(tenants.a_viewer)
    assert b'data-testid="create-quote"' not in client.get("/token-balance/1/").content


def test_marking_a_lead_lost_by_hand(client, tenants, portfolio):
    client.force_login(tenants.a_manager)
    assert client.post("/token-balance/1/lost/", {"reason": ""}).status_code == 302
    assert Lead.unscoped.using(MAINT).get().status == "open"
    client.post("/token-balance/1/lost/", {"reason": "Moved to named users"})
    lead = Lead.unscoped.using(MAINT).get()
    assert (lead.status, lead.lost_reason) == ("lost", "Moved to named users")


# ------------------------------------------------------------------ settings


def test_settings_for_admins_only(client, tenants, portfolio):
    for user in (tenants.a_manager, tenants.a_viewer):
        client.force_login(user)
        assert client.get("/settings/").status_code == 403
        assert client.post("/settings/", {"section": "settings"}).status_code == 403
        assert b'data-testid="settings-link"' not in client.get("/dashboard/").content
    client.force_login(tenants.a_admin)
    assert b'data-testid="settings-link"' in client.get("/dashboard/").content
    page = client.get("/settings/")
    assert page.status_code == 200
    assert page.context["settings_form"]["lead_balance_pct"].value() == Decimal("30")


def test_admin_saves_thresholds_and_leads_follow(client, tenants, portfolio):
    client.force_login(tenants.a_admin)
    data = {
        "section": "settings",
        "lead_balance_pct": "5",
        "lead_days": "10",
        "quote_validity_days": "14",
        "alert_lt20": "on",
        "email_alerts": "on",
    }
    assert client.post("/settings/", data).status_code == 302
    saved = PartnerSettings.unscoped.using(MAINT).get(partner=tenants.a)
    assert (saved.lead_balance_pct, saved.lead_days, saved.quote_validity_days) == (5, 10, 14)
    assert (saved.alert_lt20, saved.alert_20to30, saved.weekly_digest) == (True, False, False)
    assert saved.updated_by_id == tenants.a_admin.pk
    services.resync_partner_leads(tenants.a.pk)  # what the queued task does
    assert Lead.unscoped.using(MAINT).get().status == "closed"
    bad = client.post("/settings/", {**data, "lead_balance_pct": "150"})
    assert bad.status_code == 400 and bad.context["settings_form"].errors["lead_balance_pct"]


def price_rows(*rows, initial: int = 0) -> dict:
    data = {
        "section": "prices",
        "prices-TOTAL_FORMS": str(len(rows)),
        "prices-INITIAL_FORMS": str(initial),
        "prices-MIN_NUM_FORMS": "0",
        "prices-MAX_NUM_FORMS": "100",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"prices-{index}-{name}"] = value
    return data


def test_price_list_with_validity_dates(client, tenants, portfolio):
    client.force_login(tenants.a_admin)
    old = {
        "currency": "usd",
        "unit_price": "2.80",
        "valid_from": "2025-01-01",
        "valid_to": "2026-02-28",
    }
    new = {"currency": "USD", "unit_price": "3.20", "valid_from": "2026-03-01", "valid_to": ""}
    overlapping = {**new, "valid_from": "2026-02-01"}
    response = client.post("/settings/", price_rows(old, overlapping))
    assert response.status_code == 400
    assert "overlaps" in " ".join(response.context["price_formset"].non_form_errors())
    assert client.post("/settings/", price_rows(old, new)).status_code == 302
    saved = list(
        PriceList.unscoped.using(MAINT).order_by("valid_from").values_list("currency", "unit_price")
    )
    assert saved == [("USD", Decimal("2.8000")), ("USD", Decimal("3.2000"))]
    services.resync_partner_leads(tenants.a.pk)
    lead = Lead.unscoped.using(MAINT).get()
    assert (lead.unit_price, lead.value) == (Decimal("3.20"), Decimal("13440.00"))
    page = client.get("/quotes/new/", {"lead": 1})
    assert page.context["formset"].initial[0]["unit_price"] == "3.20"
    # Removing a row keeps the others.
    assert (
        client.post("/settings/", price_rows({**old, "DELETE": "on"}, new, initial=2)).status_code
        == 302
    )
    assert PriceList.unscoped.using(MAINT).count() == 1


# ------------------------------------------------------------------ roles


def test_viewers_read_but_never_write(client, tenants, portfolio):
    quote = a_quote(tenants, "sent")
    client.force_login(tenants.a_viewer)
    for url in (
        "/token-balance/",
        "/token-balance/1/",
        "/quotes/",
        f"/quotes/{quote.number}/",
        f"/quotes/{quote.number}/print/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/quotes/new/?lead=1").status_code == 403
    for url, data in (
        ("/quotes/new/?lead=1", {}),
        (f"/quotes/{quote.number}/edit/", {}),
        (f"/quotes/{quote.number}/send/", {}),
        (f"/quotes/{quote.number}/accept/", {"order_date": D.isoformat()}),
        (f"/quotes/{quote.number}/decline/", {"reason": "no"}),
        ("/token-balance/1/lost/", {"reason": "no"}),
        ("/settings/", {"section": "prices"}),
    ):
        assert client.post(url, data).status_code == 403, url
    html = client.get(f"/quotes/{quote.number}/").content.decode()
    assert 'data-testid="accept-quote"' not in html and 'data-testid="decline-quote"' not in html
    assert Quote.unscoped.using(MAINT).get().status == "sent"


def test_sales_roles_send_and_accept(client, tenants, portfolio):
    quote = a_quote(tenants)
    client.force_login(tenants.a_manager)
    html = client.get(f"/quotes/{quote.number}/").content.decode()
    assert 'data-testid="send-quote"' in html and 'data-testid="edit-quote"' in html
    client.post(f"/quotes/{quote.number}/send/")
    html = client.get(f"/quotes/{quote.number}/").content.decode()
    assert 'data-testid="accept-quote"' in html and 'data-testid="edit-quote"' not in html


# ------------------------------------------------------------------ isolation


def test_partner_b_gets_404_for_every_page_of_a(client_b, tenants, portfolio):
    quote = a_quote(tenants, "sent")
    Notification.unscoped.using(MAINT).create(
        partner=tenants.a,
        user=tenants.a_manager,
        kind="lt20",
        team=portfolio.teams["low"],
        event_date=D,
        message="A's",
    )
    note = Notification.unscoped.using(MAINT).get()
    number = quote.number
    for url in (
        "/token-balance/1/",
        f"/quotes/{number}/",
        f"/quotes/{number}/edit/",
        f"/quotes/{number}/print/",
        f"/quotes/{number}/export/",
        "/quotes/new/?lead=1",
        "/quotes/new/?team=T-LOW",
        f"/notifications/{note.pk}/",
    ):
        assert client_b.get(url).status_code == 404, url
    for url, data in (
        (f"/quotes/{number}/edit/", {}),
        (f"/quotes/{number}/send/", {}),
        (f"/quotes/{number}/accept/", {"order_date": D.isoformat()}),
        (f"/quotes/{number}/decline/", {"reason": "x"}),
        ("/token-balance/1/lost/", {"reason": "x"}),
        ("/quotes/new/?lead=1", {}),
        ("/quotes/new/?team=T-LOW", {}),
        ("/notifications/", {"id": note.pk}),
    ):
        assert client_b.post(url, data).status_code == 404, url
    listing = client_b.get("/token-balance/", {"status": "all"})
    assert listing.context["rows"] == [] and b"T-LOW" not in listing.content
    assert client_b.get("/quotes/").context["quotes"] == []
    export = client_b.get("/token-balance/export/", {"format": "csv", "status": "all"})
    assert export.content.decode("utf-8-sig").count("\n") == 1  # the header only
    assert Quote.unscoped.using(MAINT).get().status == "sent"
    assert Notification.unscoped.using(MAINT).get().read_at is None


def test_b_cannot_quote_a_team_of_a_by_its_id(client_b, tenants, portfolio):
    from tests.quotes.test_quotes import LINE, quote_post

    response = client_b.post("/quotes/new/", quote_post(LINE, team_id="T-LOW", currency="EUR"))
    assert response.status_code == 400
    assert response.context["form"].errors["team_id"]
    assert not Quote.unscoped.using(MAINT).filter(partner=tenants.b).exists()


def test_rls_refuses_a_quote_for_an_unlinked_team_even_past_the_application(tenants, portfolio):
    with pytest.raises(Exception, match="row-level security"):  # noqa: B017
        with partner_scope(tenants.b, user_id=tenants.b_admin.pk):
            Quote.objects.create(
                partner=tenants.b,
                number="Q-X",
                team_id=portfolio.teams["low"].pk,
                currency="EUR",
                valid_until=D,
                created_on=D,
            )


def test_notifications_are_private_to_their_recipient(client, tenants, portfolio):
    Notification.unscoped.using(MAINT).create(
        partner=tenants.a,
        user=tenants.a_manager,
        kind="lt20",
        team=portfolio.teams["low"],
        event_date=D,
        message="for Amos",
    )
    note = Notification.unscoped.using(MAINT).get()
    client.force_login(tenants.a_admin)  # same partner, another person
    assert client.get(f"/notifications/{note.pk}/").status_code == 404
    assert b"for Amos" not in client.get("/notifications/").content


def test_open_leads_for_the_dashboard_panel(tenants, portfolio):
    from quotes import selectors

    add_leads(tenants.a, 3, manager=tenants.a_admin)
    Lead.unscoped.using(MAINT).filter(number=2).update(status="lost")
    with partner_scope(tenants.a):
        everything = selectors.open_leads()
        mine = selectors.open_leads(manager=tenants.a_manager.pk)
        top = selectors.open_leads(limit=2)
    assert everything.count == 3
    assert [row["number"] for row in everything.rows] == [1, 4, 3]  # by value
    assert everything.rows[0]["end_label"] == "2026-03-31 (+21)"
    assert mine.count == 1
    assert mine.values == [{"currency": "USD", "value": Decimal("12600.00"), "leads": 1}]
    assert (len(top.rows), top.count) == (2, 3)
    with partner_scope(tenants.b):
        assert selectors.open_leads().count == 0


def test_dashboard_shows_the_open_refill_leads_of_the_partner_only(client, tenants):
    add_leads(tenants.a, 3, manager=tenants.a_manager)
    client.force_login(tenants.a_admin)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    panel = page.context["open_leads"]
    assert panel.count == 3
    assert [row["number"] for row in panel.rows] == [3, 2, 1]  # by value, highest first
    assert b'data-testid="panel-leads"' in page.content
    assert b'href="/token-balance/1/"' in page.content
    mine = client.get("/dashboard/?scope=mine").context["open_leads"]
    assert mine.count == 0  # the admin manages none of these customers
    client.force_login(tenants.b_admin)
    assert client.get("/dashboard/").context.get("open_leads") is None  # B has no figures
