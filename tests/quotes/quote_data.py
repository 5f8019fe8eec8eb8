"""A small portfolio with real packs and usage, recomputed, for partner A (and B).

D = 2026-03-10. Team "low" holds 5,000 tokens bought from A on 2025-04-01 (ending
2026-03-31) with 4,600 used: balance 400 (8 %), rate_30 = 343/30 = 11.43, rate_180 =
1,199/180 = 6.66 (SPEC §7's example), so annual quantity 4,200 and value $12,600 at
A's 3.00 USD. Team "healthy" has used little of a recent pack: no lead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flex import services
from teams.models import AccountAssignment
from tests.factories import MAINT, add_usage, make_account, make_pack, make_team

D = date(2026, 3, 10)


def spread(first: date, last: date, total: int) -> dict[date, int]:
    """`total` tokens over the days first … last (inclusive), as evenly as integers go."""
    days = (last - first).days + 1
    base, extra = divmod(total, days)
    return {first + timedelta(days=i): base + (1 if i < extra else 0) for i in range(days)}


@dataclass
class Portfolio:
    teams: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)


def build(t, *, recompute: bool = True) -> Portfolio:
    p = Portfolio()
    acme = make_account("C-ACME", "Acme Architects")
    p.accounts["acme"] = acme
    AccountAssignment.unscoped.using(MAINT).create(
        partner=t.a, account=acme, account_manager=t.a_manager
    )
    low = make_team("T-LOW", "Acme Main Office", account=acme, linked=[t.a])
    make_pack(low, "SO-LOW-1", t.a, 5000, date(2025, 4, 1), unit_price=3, currency="USD")
    usage = spread(date(2025, 4, 2), D - timedelta(days=181), 4600 - 1199)
    usage.update(spread(D - timedelta(days=180), D - timedelta(days=31), 1199 - 343))
    usage.update(spread(D - timedelta(days=30), D - timedelta(days=1), 343))
    add_usage(low, usage)
    p.teams["low"] = low

    healthy = make_team("T-OK", "Healthy Studio", linked=[t.a])
    make_pack(healthy, "SO-OK-1", t.a, 5000, date(2026, 1, 5))
    add_usage(healthy, spread(date(2026, 1, 6), D - timedelta(days=1), 300))
    p.teams["healthy"] = healthy
    if recompute:
        services.recompute(D)
    return p
