"""Leads are opened, updated and closed by the recompute (SPEC §7)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connections, transaction

from flex import services as flex_services
from quotes import services
from quotes.models import Lead, LeadEvent, NumberSequence, PartnerSettings, PriceList
from teams.models import TeamLink
from tests.conftest import committed_db
from tests.factories import MAINT, make_pack, make_partner, make_snapshot, make_team
from tests.quotes.quote_data import D, build

pytestmark = committed_db


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


def leads(partner=None, **filters):
    query = Lead.unscoped.using(MAINT).filter(**filters).order_by("number")
    return list(query.filter(partner=partner) if partner else query)


def events(lead):
    return list(
        LeadEvent.unscoped.using(MAINT)
        .filter(lead=lead)
        .order_by("at", "pk")
        .values_list("from_status", "to_status")
    )


def test_the_recompute_opens_a_lead_with_the_spec_figures(tenants):
    p = build(tenants)
    (lead,) = leads(tenants.a)
    assert lead.team == p.teams["low"]
    assert (lead.number, lead.status) == (1, "open")
    assert lead.annual_quantity == 4200
    assert (lead.value, lead.currency, lead.unit_price) == (Decimal("12600.00"), "USD", 3)
    assert lead.projected_end == date(2026, 3, 31)
    assert lead.balance_rate == pytest.approx(0.08)
    assert (lead.opened_on, lead.figures_as_of) == (D, D)
    assert events(lead) == [("", "open")]


def test_a_recompute_again_updates_the_same_lead(tenants):
    p = build(tenants)
    flex_services.recompute(D)
    flex_services.recompute_teams([p.teams["low"].pk])
    (lead,) = leads(tenants.a)
    assert lead.number == 1 and events(lead) == [("", "open")]


def test_a_team_that_no_longer_qualifies_closes_its_lead_and_a_new_one_gets_a_new_number(
    tenants,
):
    p = build(tenants)
    low = p.teams["low"]
    refill = make_pack(low, "SO-LOW-2", tenants.a, 20000, D)
    flex_services.recompute_teams([low.pk])
    (lead,) = leads(tenants.a)
    assert lead.status == "closed" and lead.closed_on == D
    assert events(lead) == [("", "open"), ("open", "closed")]
    note = LeadEvent.unscoped.using(MAINT).filter(lead=lead, to_status="closed").get().note
    assert "no longer qualifies" in note
    assert lead.balance_rate > 0.5  # the figures it closed with

    refill.delete()
    flex_services.recompute_teams([low.pk])
    first, second = leads(tenants.a)
    assert (first.status, second.status, second.number) == ("closed", "open", 2)
    assert leads(tenants.a, status__in=["open", "quoted"]) == [second]


def test_final_leads_stay_final(tenants):
    p = build(tenants)
    (lead,) = leads(tenants.a)
    Lead.unscoped.using(MAINT).filter(pk=lead.pk).update(status="won", closed_on=D)
    flex_services.recompute_teams([p.teams["low"].pk])
    won, new = leads(tenants.a)
    assert (won.status, new.status, new.number) == ("won", "open", 2)


def test_an_unlinked_team_closes_its_lead(tenants):
    p = build(tenants)
    TeamLink.unscoped.using(MAINT).filter(team=p.teams["low"], partner=tenants.a).delete()
    flex_services.recompute_teams([p.teams["low"].pk])
    (lead,) = leads(tenants.a)
    assert lead.status == "closed"


def test_partner_thresholds_decide(tenants):
    PartnerSettings.unscoped.using(MAINT).create(
        partner=tenants.a, lead_balance_pct=Decimal("5"), lead_days=10
    )
    build(tenants)
    assert leads(tenants.a) == []  # 8 % > 5 %, projected end in 21 days > 10
    PartnerSettings.unscoped.using(MAINT).filter(partner=tenants.a).update(lead_days=30)
    services.resync_partner_leads(tenants.a.pk)
    assert len(leads(tenants.a)) == 1


def test_value_uses_the_price_list_valid_today_else_the_partner_price(tenants):
    rows = [
        ("USD", Decimal("2.80"), D - timedelta(days=400), D - timedelta(days=11)),
        ("USD", Decimal("2.50"), D - timedelta(days=10), None),
        ("USD", Decimal("9.99"), D + timedelta(days=1), None),  # not yet valid
        ("EUR", Decimal("2.20"), D - timedelta(days=10), None),  # not A's currency
    ]
    for currency, price, start, end in rows:
        PriceList.unscoped.using(MAINT).create(
            partner=tenants.a, currency=currency, unit_price=price, valid_from=start, valid_to=end
        )
    build(tenants)
    (lead,) = leads(tenants.a)
    assert (lead.unit_price, lead.value) == (Decimal("2.50"), Decimal("10500.00"))


def test_each_partner_has_its_own_lead_numbers_currency_and_price(tenants):
    p = build(tenants, recompute=False)
    TeamLink.unscoped.using(MAINT).create(
        partner=tenants.b, team=p.teams["low"], source=TeamLink.Source.OPERATOR
    )
    other = make_team("T-B", "B only", linked=[tenants.b])
    make_pack(other, "SO-B-1", tenants.b, 1000, date(2025, 6, 1))
    flex_services.recompute(D)
    a_leads, b_leads = leads(tenants.a), leads(tenants.b)
    assert [lead.number for lead in a_leads] == [1]
    assert sorted(lead.number for lead in b_leads) == [1, 2]
    shared = next(lead for lead in b_leads if lead.team_id == p.teams["low"].pk)
    assert (shared.currency, shared.unit_price, shared.value) == (
        "EUR",
        Decimal("2.5"),
        Decimal("10500.00"),
    )


def test_a_recompute_of_an_old_date_leaves_the_leads_alone(tenants):
    p = build(tenants, recompute=False)
    flex_services.recompute(D - timedelta(days=30))
    assert leads() == []
    flex_services.recompute(D)
    flex_services.recompute_teams([p.teams["low"].pk], D - timedelta(days=2))
    (lead,) = leads()
    assert lead.figures_as_of == D and lead.status == "open"


def test_a_pool_that_ran_dry_but_is_still_used_qualifies(tenants):
    team = make_team("T-DRY", "Dry", linked=[tenants.a])
    make_snapshot(
        tenants.a,
        team,
        D,
        flex_total_tokens=0,
        flex_tokens_balance=0,
        flex_consumption_rate_30=3.0,
        flex_consumption_rate_180=2.0,
    )
    with transaction.atomic(using=MAINT):
        services.sync_leads([team.pk], D)
    (lead,) = leads(tenants.a)
    assert lead.annual_quantity == 1100 and lead.balance_rate is None


def test_lead_numbers_are_race_safe(tenants):
    """Two transactions reserving numbers at once: the second waits, no duplicates."""
    results: list[int] = []
    barrier = threading.Barrier(2)

    def reserve():
        try:
            barrier.wait()
            with transaction.atomic(using=MAINT):
                results.append(services.reserve_numbers(tenants.a.pk, "lead", 3, MAINT))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reserve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [1, 4]
    sequence = NumberSequence.unscoped.using(MAINT).get(partner=tenants.a, name="lead")
    assert sequence.last == 6


def test_one_active_lead_per_team_is_a_database_rule(tenants):
    from django.db import IntegrityError

    build(tenants)
    (lead,) = leads(tenants.a)
    with pytest.raises(IntegrityError), transaction.atomic(using=MAINT):
        Lead.unscoped.using(MAINT).create(
            partner=tenants.a,
            team=lead.team,
            number=99,
            status="quoted",
            figures_as_of=D,
            opened_on=D,
            currency="USD",
        )


def test_a_partner_without_settings_uses_spec_defaults():
    partner = make_partner("5300000001", "No settings")
    setting = services.settings_for(partner.pk, MAINT)
    assert (setting.lead_balance_pct, setting.lead_days) == (30, 90)
    assert setting.pk is None
