"""Alerts for account managers: in-app and e-mail, never twice for the same event;
the weekly digest of open leads by value."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction

from flex import services as flex_services
from quotes import services, tasks
from quotes.models import Lead, Notification, PartnerSettings
from spp.models import Membership
from teams.models import AccountAssignment
from tests.conftest import committed_db
from tests.factories import MAINT, make_account, make_pack, make_snapshot, make_team
from tests.quotes.quote_data import D, build

pytestmark = committed_db
YESTERDAY = D - timedelta(days=1)


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


@pytest.fixture
def team(tenants):
    """A team of Acme, whose account manager at A is Amos; nothing assigned at B."""
    account = make_account("C-ALERT", "Alert Account")
    AccountAssignment.unscoped.using(MAINT).create(
        partner=tenants.a, account=account, account_manager=tenants.a_manager
    )
    return make_team("T-ALERT", "Alert Team", account=account, linked=[tenants.a, tenants.b])


def figures(partner, team, day, balance, **extra):
    values = {
        "flex_total_tokens": 1000,
        "flex_tokens_balance": balance,
        "flex_start_date": date(2025, 6, 1),
        "flex_projected_end_date": day + timedelta(days=200),
        **extra,
    }
    return make_snapshot(partner, team, day, **values)


def raise_alerts(team, day=D) -> list[int]:
    with transaction.atomic(using=MAINT):
        return services.raise_alerts([team.pk], day)


def notes(**filters) -> list[tuple]:
    return list(
        Notification.unscoped.using(MAINT)
        .filter(**filters)
        .order_by("pk")
        .values_list("user__email", "kind", "event_date")
    )


def test_entering_lt20_notifies_the_account_manager_in_app_and_by_email(tenants, team):
    figures(tenants.a, team, YESTERDAY, 250)
    figures(tenants.a, team, D, 150)
    raise_alerts(team)
    assert notes() == [("am@a.example", "lt20", D)]
    (message,) = mail.outbox
    assert message.to == ["am@a.example"]
    assert "Alert Team entered FLEX BALANCE < 20%: 15.0%" in message.subject
    assert "/teams/T-ALERT/" in message.body
    assert message.alternatives and "Alert Team" in message.alternatives[0][0]
    notification = Notification.unscoped.using(MAINT).get()
    assert notification.emailed_at is not None and notification.read_at is None


def test_the_same_event_never_alerts_twice(tenants, team):
    figures(tenants.a, team, YESTERDAY, 250)
    figures(tenants.a, team, D, 150)
    assert len(raise_alerts(team)) == 1
    assert raise_alerts(team) == []
    assert raise_alerts(team) == []
    assert len(notes()) == 1 and len(mail.outbox) == 1


def test_the_recompute_raises_alerts_once_per_event(tenants):
    """Through flex.services: a team bought 30 days ago and never used (onboarding)."""
    p = build(tenants, recompute=False)
    fresh = make_team("T-NEW", "Fresh Start", account=p.accounts["acme"], linked=[tenants.a])
    make_pack(fresh, "SO-NEW", tenants.a, 2000, D - timedelta(days=30))
    flex_services.recompute(YESTERDAY)  # A's first figures: nothing to compare with
    assert notes() == []
    flex_services.recompute(D)
    assert notes() == [("am@a.example", "onboarding", D)]
    flex_services.recompute(D)
    flex_services.recompute_teams([fresh.pk])
    assert len(notes()) == 1 and len(mail.outbox) == 1
    assert "Fresh Start has used none of its tokens" in mail.outbox[0].subject


def test_flapping_around_the_edge_alerts_once_a_fortnight(tenants, team):
    figures(tenants.a, team, D - timedelta(days=3), 250)
    figures(tenants.a, team, D - timedelta(days=2), 150)
    raise_alerts(team, D - timedelta(days=2))  # would be stale: outside the current window
    assert notes() == []
    Notification.unscoped.using(MAINT).create(
        partner=tenants.a,
        user=tenants.a_manager,
        kind="lt20",
        team=team,
        event_date=D - timedelta(days=2),
        message="earlier",
    )
    figures(tenants.a, team, YESTERDAY, 210)
    figures(tenants.a, team, D, 190)
    assert raise_alerts(team) == []


def test_20to30_from_above_expiring_and_projected_end(tenants, team):
    figures(tenants.a, team, YESTERDAY, 350, tokens_expiring_90d=0)
    figures(
        tenants.a,
        team,
        D,
        290,
        tokens_expiring_90d=400,
        flex_projected_end_date=D + timedelta(days=30),
    )
    raise_alerts(team)
    assert sorted(kind for _, kind, _ in notes()) == ["20to30", "expiring", "projected_end"]
    (message,) = mail.outbox  # one e-mail listing the three
    assert "3 new alerts" in message.subject
    assert "400 tokens expire within 90 days" in message.body
    assert "runs out of tokens in 30 days" in message.body


def test_onboarding_team_not_started_30_days_after_purchase(tenants, team):
    start = D - timedelta(days=30)
    for day in (YESTERDAY, D):
        make_snapshot(
            tenants.a,
            team,
            day,
            flex_total_tokens=1000,
            flex_tokens_balance=1000,
            flex_start_date=start,
            flex_projected_end_date=start + timedelta(days=364),
        )
    raise_alerts(team)
    assert notes() == [("am@a.example", "onboarding", D)]
    assert "has used none of its tokens" in mail.outbox[0].body


def test_no_manager_no_alert_and_b_never_gets_a_rows(tenants, team):
    for partner in (tenants.a, tenants.b):
        figures(partner, team, YESTERDAY, 250)
        figures(partner, team, D, 150)
    raise_alerts(team)
    assert notes(partner=tenants.b) == []  # B assigned nobody
    assert notes(partner=tenants.a) == [("am@a.example", "lt20", D)]


def test_a_manager_who_left_the_partner_gets_nothing(tenants, team):
    Membership.unscoped.using(MAINT).filter(user=tenants.a_manager).delete()
    figures(tenants.a, team, YESTERDAY, 250)
    figures(tenants.a, team, D, 150)
    assert raise_alerts(team) == []


def test_preferences_switch_kinds_and_email_off(tenants, team):
    PartnerSettings.unscoped.using(MAINT).create(
        partner=tenants.a, email_alerts=False, alert_expiring=False
    )
    figures(tenants.a, team, YESTERDAY, 250)
    figures(tenants.a, team, D, 150, tokens_expiring_90d=300)
    raise_alerts(team)
    assert notes() == [("am@a.example", "lt20", D)]
    assert mail.outbox == []


def test_a_failed_email_is_retried_by_the_next_run(tenants, team, monkeypatch):
    from quotes import emails

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(emails, "send_alerts", broken)
    figures(tenants.a, team, YESTERDAY, 250)
    figures(tenants.a, team, D, 150)
    (pk,) = raise_alerts(team)
    assert Notification.unscoped.using(MAINT).get().emailed_at is None
    monkeypatch.undo()
    monkeypatch.setenv("SPP_TODAY", D.isoformat())
    assert services.email_notifications([pk]) == 1
    assert len(mail.outbox) == 1
    assert services.email_notifications([pk]) == 0  # claimed: never twice


def test_notifications_page_bell_and_mark_read(client, tenants, team):
    figures(tenants.a, team, YESTERDAY, 250)
    figures(tenants.a, team, D, 150)
    (pk,) = raise_alerts(team)
    client.force_login(tenants.a_manager)
    page = client.get("/dashboard/")
    assert b'data-testid="unread-count">1<' in page.content
    listing = client.get("/notifications/")
    assert "Alert Team entered FLEX BALANCE" in listing.content.decode()
    response = client.get(f"/notifications/{pk}/")
    assert response.status_code == 302 and response["Location"] == "/teams/T-ALERT/"
    assert Notification.unscoped.using(MAINT).get().read_at is not None
    page = client.get("/dashboard/")
    assert b'data-testid="unread-count"' not in page.content


def test_mark_all_read(client, tenants, team):
    figures(tenants.a, team, YESTERDAY, 350)
    figures(tenants.a, team, D, 150, tokens_expiring_90d=10)
    raise_alerts(team)
    client.force_login(tenants.a_manager)
    client.get("/dashboard/")  # caches the count
    assert client.post("/notifications/").status_code == 302
    assert not Notification.unscoped.using(MAINT).filter(read_at__isnull=True).exists()
    assert b'data-testid="unread-count"' not in client.get("/dashboard/").content


# ------------------------------------------------------------------ weekly digest


def test_weekly_digest_lists_each_managers_open_leads_by_value(tenants):
    build(tenants)
    other = make_team(
        "T-BIG",
        "Big Spender",
        account=Lead.unscoped.using(MAINT).get().team.account,
        linked=[tenants.a],
    )
    make_snapshot(
        tenants.a,
        other,
        D,
        flex_total_tokens=10000,
        flex_tokens_balance=500,
        flex_consumption_rate_30=50.0,
        flex_consumption_rate_180=40.0,
    )
    with transaction.atomic(using=MAINT):
        services.sync_leads([other.pk], D)
    mail.outbox.clear()
    assert tasks.weekly_digest() == 1
    (message,) = mail.outbox
    assert message.to == ["am@a.example"]
    body = message.body
    assert body.index("Big Spender") < body.index("Acme Main Office")  # by value
    assert "USD 54,900.00" in body and "USD 12,600.00" in body
    assert "Total: USD 67,500.00 in 2 leads" in body

    PartnerSettings.unscoped.using(MAINT).create(partner=tenants.a, weekly_digest=False)
    mail.outbox.clear()
    assert tasks.weekly_digest() == 0 and mail.outbox == []


def test_beat_schedules_the_expiry_and_the_monday_digest():
    from celery.schedules import crontab
    from django.conf import settings

    from spp.celery import app

    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["quotes.tasks.weekly_digest"] == crontab(hour=7, minute=0, day_of_week="mon")
    assert "quotes.tasks.expire_quotes" in schedule
    app.loader.import_default_modules()
    assert {"quotes.tasks.weekly_digest", "quotes.tasks.expire_quotes"} <= set(app.tasks)


def test_value_column_of_the_digest_matches_the_lead(tenants):
    build(tenants)
    lead = Lead.unscoped.using(MAINT).get()
    assert lead.value == Decimal("12600.00")


def test_the_bell_costs_no_query_once_signed_in(client, tenants, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    figures(tenants.a, team, YESTERDAY, 250)
    figures(tenants.a, team, D, 150)
    raise_alerts(team)
    client.force_login(tenants.a_manager)  # user_logged_in warms the count
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/token-balance/")
    assert b'data-testid="unread-count">1<' in page.content
    assert not [q for q in queries.captured_queries if "quotes_notification" in q["sql"]]
