"""The quote lifecycle (SPEC §8) through the pages: draft from a lead, edit, send,
accept (a pack, the lead WON, the team recomputed at once), decline, expire."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from flex.models import FlexSnapshot, Pack
from quotes import services, tasks
from quotes.models import Lead, LeadEvent, Quote, QuoteLine
from spp.tenancy import partner_scope
from tests.conftest import committed_db
from tests.factories import MAINT
from tests.quotes.quote_data import D, build

pytestmark = committed_db


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


@pytest.fixture
def portfolio(tenants):
    return build(tenants)


def lines_post(*lines, total: int | None = None, initial: int = 0) -> dict:
    data = {
        "lines-TOTAL_FORMS": str(total if total is not None else len(lines)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
    }
    for index, line in enumerate(lines):
        for name, value in line.items():
            data[f"lines-{index}-{name}"] = value
    return data


def quote_post(*lines, **fields) -> dict:
    data = {"currency": "USD", "valid_until": (D + timedelta(days=30)).isoformat(), "notes": ""}
    data.update(fields)
    data.update(lines_post(*lines))
    return data


LINE = {"description": "Flex tokens", "tokens": "4200", "unit_price": "3.00", "discount_pct": "0"}


def lead_of(tenants) -> Lead:
    return Lead.unscoped.using(MAINT).get(partner=tenants.a)


def snapshot(team) -> FlexSnapshot:
    return FlexSnapshot.unscoped.using(MAINT).get(team=team, as_of=D)


def draft(client, **fields) -> Quote:
    response = client.post("/quotes/new/?lead=1", quote_post(LINE, **fields))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Quote.unscoped.using(MAINT).order_by("-pk").first()


# ------------------------------------------------------------------ drafting


def test_create_from_a_lead_is_prefilled_with_annual_quantity_and_list_price(
    client, tenants, portfolio
):
    client.force_login(tenants.a_manager)
    response = client.get("/quotes/new/", {"lead": 1})
    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.initial[0]["tokens"] == 4200
    assert formset.initial[0]["unit_price"] == "3.00"
    assert formset.initial[0]["description"] == "Autodesk Flex tokens, valid 12 months"
    form = response.context["form"]
    assert form.initial["currency"] == "USD"
    assert form.initial["valid_until"] == D + timedelta(days=30)


def test_draft_edit_and_totals(client, tenants, portfolio):
    client.force_login(tenants.a_manager)
    quote = draft(client, notes="PO 1234")
    assert quote.number == "Q-2026-0001"
    assert (quote.status, quote.lead_id, quote.created_by_id) == (
        "draft",
        lead_of(tenants).pk,
        tenants.a_manager.pk,
    )
    assert (quote.total_tokens, quote.total_net) == (4200, Decimal("12600.00"))

    data = quote_post(
        LINE,
        {
            "description": "Extra block",
            "tokens": "1000",
            "unit_price": "3.00",
            "discount_pct": "10",
        },
        currency="USD",
    )
    response = client.post(f"/quotes/{quote.number}/edit/", data)
    assert response.status_code == 302
    quote.refresh_from_db(using=MAINT)
    assert (quote.total_tokens, quote.total_gross, quote.total_net) == (
        5200,
        Decimal("15600.00"),
        Decimal("15300.00"),
    )
    lines = list(QuoteLine.unscoped.using(MAINT).filter(quote=quote).order_by("position"))
    assert [(x.position, x.tokens, x.discount_pct) for x in lines] == [
        (1, 4200, 0),
        (2, 1000, 10),
    ]
    # Removing a line through the formset's DELETE flag.
    data = quote_post(LINE, {**LINE, "tokens": "50", "DELETE": "on"})
    assert client.post(f"/quotes/{quote.number}/edit/", data).status_code == 302
    quote.refresh_from_db(using=MAINT)
    assert quote.total_tokens == 4200


def test_bad_lines_are_refused_with_messages(client, tenants, portfolio):
    client.force_login(tenants.a_manager)
    bad = {"description": "", "tokens": "0", "unit_price": "-1", "discount_pct": "150"}
    response = client.post("/quotes/new/?lead=1", quote_post(bad))
    assert response.status_code == 400
    errors = response.context["formset"].errors[0]
    assert set(errors) == {"description", "tokens", "unit_price", "discount_pct"}
    response = client.post("/quotes/new/?lead=1", quote_post(valid_until="2020-01-01"))
    assert response.status_code == 400  # no line and a past validity
    assert response.context["form"].errors["valid_until"]
    assert response.context["formset"].non_form_errors()
    assert not Quote.unscoped.using(MAINT).exists()


def test_quote_from_a_team_or_from_scratch(client, tenants, portfolio):
    client.force_login(tenants.a_manager)
    response = client.get("/quotes/new/", {"team": "T-OK"})
    assert response.context["formset"].initial[0]["tokens"] == 1700  # 4.5 × 365 = 1,642.5
    response = client.post("/quotes/new/?team=T-OK", quote_post(LINE))
    assert response.status_code == 302
    quote = Quote.unscoped.using(MAINT).get()
    assert quote.lead_id is None and quote.team == portfolio.teams["healthy"]

    response = client.post("/quotes/new/", quote_post(LINE, team_id="NOPE"))
    assert response.status_code == 400
    assert response.context["form"].errors["team_id"]
    response = client.post("/quotes/new/", quote_post(LINE, team_id="T-LOW"))
    assert response.status_code == 302
    assert Quote.unscoped.using(MAINT).filter(team=portfolio.teams["low"]).exists()


def test_quote_numbers_are_per_partner(client, tenants, portfolio):
    client.force_login(tenants.a_manager)
    first = draft(client)
    second = draft(client)
    assert (first.number, second.number) == ("Q-2026-0001", "Q-2026-0002")
    from tests.factories import make_pack, make_team

    team = make_team("T-BQ", "B team", linked=[tenants.b])
    make_pack(team, "SO-BQ", tenants.b, 1000, D - timedelta(days=10))
    client.force_login(tenants.b_admin)
    response = client.post("/quotes/new/?team=T-BQ", quote_post(LINE, currency="EUR"))
    assert response.status_code == 302
    assert Quote.unscoped.using(MAINT).get(partner=tenants.b).number == "Q-2026-0001"


# ------------------------------------------------------------------ send, accept


def test_send_then_accept_adds_the_pack_and_the_team_changes_at_once(client, tenants, portfolio):
    low = portfolio.teams["low"]
    before = snapshot(low)
    assert before.flex_balance_rate < 0.20 and before.customer == "n/a"
    client.force_login(tenants.a_manager)
    quote = draft(client)

    assert client.post(f"/quotes/{quote.number}/send/").status_code == 302
    quote.refresh_from_db(using=MAINT)
    assert quote.status == "sent" and quote.sent_by_id == tenants.a_manager.pk
    assert quote.sent_on == D  # the business date, whatever the wall clock says
    assert lead_of(tenants).status == "quoted"

    response = client.post(f"/quotes/{quote.number}/accept/", {"order_date": D.isoformat()})
    assert response.status_code == 302
    # Read right after the POST: the recompute ran when the request committed.
    after = snapshot(low)
    assert after.flex_total_tokens == before.flex_total_tokens + 4200
    assert after.flex_tokens_balance == before.flex_tokens_balance + 4200
    assert after.flex_balance_rate >= 0.30
    assert after.customer == "Acme Architects"  # SPEC §6: an accepted quote's pack in the pool

    quote.refresh_from_db(using=MAINT)
    assert (quote.status, quote.order_date, quote.closed_on) == ("accepted", D, D)
    pack = Pack.unscoped.using(MAINT).get(pk=quote.pack_id)
    assert pack.order_number == f"SPP-{tenants.a.csn}-{quote.number}"
    assert (pack.quantity, pack.start_date, pack.end_date) == (
        4200,
        D,
        D.replace(year=2027) - timedelta(days=1),
    )
    assert (pack.seller_partner_id, pack.seller_csn, pack.source) == (
        tenants.a.pk,
        tenants.a.csn,
        "quote",
    )
    assert (pack.unit_price, pack.currency) == (Decimal("3.0000"), "USD")

    lead = lead_of(tenants)
    assert lead.status == "won" and lead.closed_on == D
    history = list(
        LeadEvent.unscoped.using(MAINT)
        .filter(lead=lead)
        .order_by("at", "pk")
        .values_list("to_status", "user_id", "quote_id")
    )
    assert history == [
        ("open", None, None),
        ("quoted", tenants.a_manager.pk, quote.pk),
        ("won", tenants.a_manager.pk, quote.pk),
    ]
    # The team now qualifies for nothing: no new lead opened by the recompute.
    assert Lead.unscoped.using(MAINT).filter(partner=tenants.a).count() == 1

    page = client.get("/flex/", {"bucket": "lt20"})
    assert low.team_id not in page.content.decode()


def test_accepting_twice_makes_one_pack(client, tenants, portfolio):
    client.force_login(tenants.a_manager)
    quote = draft(client)
    client.post(f"/quotes/{quote.number}/send/")
    client.post(f"/quotes/{quote.number}/accept/", {"order_date": D.isoformat()})
    again = client.post(f"/quotes/{quote.number}/accept/", {"order_date": D.isoformat()})
    assert again.status_code == 400
    assert Pack.unscoped.using(MAINT).filter(source="quote").count() == 1


@pytest.mark.parametrize(
    "order_date", [D + timedelta(days=1), D - timedelta(days=91), "not a date", ""]
)
def test_order_date_must_be_real_and_recent(client, tenants, portfolio, order_date):
    client.force_login(tenants.a_manager)
    quote = draft(client)
    client.post(f"/quotes/{quote.number}/send/")
    value = order_date.isoformat() if hasattr(order_date, "isoformat") else order_date
    response = client.post(f"/quotes/{quote.number}/accept/", {"order_date": value})
    assert response.status_code == 400
    quote.refresh_from_db(using=MAINT)
    assert quote.status == "sent" and not Pack.unscoped.using(MAINT).filter(source="quote")


def test_only_drafts_are_edited_and_sent(client, tenants, portfolio):
    client.force_login(tenants.a_manager)
    quote = draft(client)
    client.post(f"/quotes/{quote.number}/send/")
    response = client.post(f"/quotes/{quote.number}/edit/", quote_post(LINE))
    assert response.status_code == 400
    assert client.post(f"/quotes/{quote.number}/send/").status_code == 400
    assert client.get(f"/quotes/{quote.number}/edit/").status_code == 302


# ------------------------------------------------------------------ decline, expire


def test_decline_needs_a_reason_and_loses_the_lead(client, tenants, portfolio):
    client.force_login(tenants.a_manager)
    quote = draft(client)
    client.post(f"/quotes/{quote.number}/send/")
    assert client.post(f"/quotes/{quote.number}/decline/", {"reason": " "}).status_code == 400
    response = client.post(f"/quotes/{quote.number}/decline/", {"reason": "Budget frozen"})
    assert response.status_code == 302
    quote.refresh_from_db(using=MAINT)
    assert (quote.status, quote.declined_reason) == ("declined", "Budget frozen")
    lead = lead_of(tenants)
    assert lead.status == "lost" and lead.lost_reason == "Quote declined: Budget frozen"


def test_a_lead_with_another_quote_still_out_is_not_lost(client, tenants, portfolio):
    client.force_login(tenants.a_manager)
    first, second = draft(client), draft(client)
    client.post(f"/quotes/{first.number}/send/")
    client.post(f"/quotes/{second.number}/send/")
    client.post(f"/quotes/{first.number}/decline/", {"reason": "Too many tokens"})
    assert lead_of(tenants).status == "quoted"
    client.post(f"/quotes/{second.number}/decline/", {"reason": "Went direct"})
    assert lead_of(tenants).status == "lost"


def test_expiry_task_expires_sent_quotes_after_validity_and_loses_their_leads(
    client, tenants, portfolio, monkeypatch
):
    client.force_login(tenants.a_manager)
    quote = draft(client, valid_until=(D + timedelta(days=2)).isoformat())
    waiting = draft(client, valid_until=(D + timedelta(days=2)).isoformat())  # a draft
    client.post(f"/quotes/{quote.number}/send/")

    assert tasks.expire_quotes() == {}  # still valid on D
    monkeypatch.setenv("SPP_TODAY", (D + timedelta(days=2)).isoformat())
    assert tasks.expire_quotes() == {}  # valid through its last day
    monkeypatch.setenv("SPP_TODAY", (D + timedelta(days=3)).isoformat())
    assert tasks.expire_quotes() == {tenants.a.csn: [quote.number]}
    assert tasks.expire_quotes() == {}  # idempotent

    quote.refresh_from_db(using=MAINT)
    waiting.refresh_from_db(using=MAINT)
    assert quote.status == "expired" and quote.expired_at is not None
    assert quote.closed_on == D + timedelta(days=3)
    assert waiting.status == "draft"
    lead = lead_of(tenants)
    assert (lead.status, lead.lost_reason) == ("lost", "quote expired")
    assert lead.closed_on == D + timedelta(days=3)


def test_an_expired_quote_can_no_longer_be_accepted(client, tenants, portfolio, monkeypatch):
    client.force_login(tenants.a_manager)
    quote = draft(client, valid_until=D.isoformat())
    client.post(f"/quotes/{quote.number}/send/")
    monkeypatch.setenv("SPP_TODAY", (D + timedelta(days=1)).isoformat())
    response = client.post(f"/quotes/{quote.number}/accept/", {"order_date": D.isoformat()})
    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_the_expiry_task_runs_on_a_real_worker(tenants, portfolio, monkeypatch):
    from celery.contrib.testing.worker import start_worker

    from spp.celery import app

    user = tenants.a_manager
    with partner_scope(tenants.a, user_id=user.pk):
        lead = Lead.objects.get()
        quote = services.create_quote(
            team=lead.team,
            lead=lead,
            user=user,
            currency="USD",
            valid_until=D,
            notes="",
            lines=[services.LineData("Flex", 100, Decimal("3"))],
        )
        services.send_quote(quote, user)
    monkeypatch.setenv("SPP_TODAY", (D + timedelta(days=1)).isoformat())
    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=[app.conf.task_default_queue]
    ):
        result = tasks.expire_quotes.delay()
        assert result.get(timeout=30) == {tenants.a.csn: [quote.number]}


# ------------------------------------------------------------------ print and export


def test_print_page_and_xlsx(client, tenants, portfolio):
    client.force_login(tenants.a_manager)
    quote = draft(client, notes='=HYPERLINK("http://evil")')
    page = client.get(f"/quotes/{quote.number}/print/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Q-2026-0001" in html and "Acme Architects" in html and "12,600.00" in html
    assert "navbar" not in html  # a clean sheet, no navigation
    response = client.get(f"/quotes/{quote.number}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Q-2026-0001.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [row for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)]
    assert values[0][0] == "Quote Q-2026-0001"
    line = next(row for row in values if row[0] == "Flex tokens")
    assert line[1:] == (4200, 3.0, 0.0, 12600.0, 12600.0)
    total = next(row for row in values if row[4] == "Total")
    assert total[5] == 12600.0
    notes = next(
        cell
        for row in sheet.iter_rows()
        for cell in row
        if cell.value and str(cell.value).startswith("=HYPERLINK")
    )
    assert notes.data_type == "s" and notes.quotePrefix
