"""A small, hand-checked Flex portfolio for partners A and B (view, export and browser tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from teams.models import AccountAssignment
from tests.factories import MAINT, make_account, make_snapshot, make_team

D = date(2026, 3, 10)
YESTERDAY = D - timedelta(days=1)


@dataclass
class Portfolio:
    teams: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)

    def ids(self, *names: str) -> set[str]:
        return {self.teams[name].team_id for name in names}


# name: (balance, total, purchased, customer, projected end, start, rate_30, rate_180)
A_ROWS = {
    "low": (
        100,
        1000,
        1000,
        "Acme Architects",
        D + timedelta(days=12),
        date(2025, 4, 1),
        8.5,
        6.25,
    ),
    "watch": (250, 1000, 1000, "n/a", D + timedelta(days=45), date(2025, 5, 1), 3.0, 2.5),
    "onboard": (500, 500, 500, "Beta Build", None, date(2026, 3, 1), 0.0, 0.0),
    "additional": (
        500,
        1000,
        700,
        "=cmd|' /C calc'!A0",
        D + timedelta(days=90),
        date(2025, 6, 1),
        1.5,
        1.25,
    ),
    "healthy": (
        800,
        1000,
        1000,
        "Delta Design",
        D + timedelta(days=200),
        date(2025, 9, 1),
        1.0,
        0.75,
    ),
    "expired": (0, 0, 0, "n/a", None, None, 0.0, 0.0),
}


def build(t) -> Portfolio:
    """Partner A: six teams (one per bucket, a healthy one, one whose tokens expired);
    partner B: one team of its own and one shared with A."""
    p = Portfolio()
    acme = make_account("C-ACME", "Acme Architects")
    p.accounts["acme"] = acme
    names = {
        "low": "Low Balance Ltd",
        "watch": "Watch Works",
        "onboard": "Onboard Studio",
        "additional": "Additional Co",
        "healthy": "Healthy Inc",
        "expired": "Expired Engineering",
    }
    for index, (key, row) in enumerate(A_ROWS.items()):
        balance, total, purchased, customer, end, start, r30, r180 = row
        account = acme if key in ("low", "watch") else None
        team = make_team(f"T-{index + 1:03d}", names[key], account=account, linked=[t.a])
        p.teams[key] = team
        p.accounts.setdefault(key, team.account)
        make_snapshot(
            t.a,
            team,
            D,
            flex_total_tokens=total,
            flex_tokens_balance=balance,
            flex_purchased_tokens=purchased,
            customer=customer,
            flex_projected_end_date=end,
            flex_start_date=start,
            flex_latest_end_date=(start + timedelta(days=364)) if start else None,
            flex_consumption_rate_30=r30,
            flex_consumption_rate_180=r180,
            tokens_expiring_90d=200 if key == "low" else 0,
        )
    # Yesterday: "low" was already under 20%, "watch" was healthy (it entered 20to30).
    make_snapshot(t.a, p.teams["low"], YESTERDAY, flex_tokens_balance=120)
    make_snapshot(t.a, p.teams["watch"], YESTERDAY, flex_tokens_balance=400)

    p.teams["b_only"] = make_team("T-B01", "Bravo Only", linked=[t.b])
    make_snapshot(t.b, p.teams["b_only"], D, flex_tokens_balance=50, customer="Bravo Secret")
    p.teams["shared"] = make_team("T-SH1", "Shared Team", linked=[t.a, t.b])
    make_snapshot(t.a, p.teams["shared"], D, flex_tokens_balance=900, customer="n/a")
    make_snapshot(t.b, p.teams["shared"], D, flex_tokens_balance=150, customer="n/a")

    AccountAssignment.unscoped.using(MAINT).create(
        partner=t.a, account=acme, account_manager=t.a_manager
    )
    AccountAssignment.unscoped.using(MAINT).create(
        partner=t.a, account=p.teams["healthy"].account, account_manager=t.a_admin
    )
    # B's own assignment of the shared team's account must never show at A.
    AccountAssignment.unscoped.using(MAINT).create(
        partner=t.b, account=p.teams["shared"].account, account_manager=t.b_admin
    )
    return p
