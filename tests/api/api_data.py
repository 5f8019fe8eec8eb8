"""The API tests' world: tests.flex.flex_data's portfolio (A: seven teams, B: two, one
shared) plus packs (A's own, B's and an off-platform seller's on the shared team),
token events, contacts, a lead of A's, and API keys of every kind. D = 2026-03-10.

`add_usage()` adds usage through the real import (the roll-ups the reporting reads):
T-001 gets the hand-checked rows of tests/usage/test_reporting_views.py (3m: 661
tokens, 2 products, 4 users), the shared team and B's team a few rows, and an
unlinked team T-NONE one; `grow_usage()` replaces a team's recent days with many more rows.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from rest_framework.test import APIClient

from flex.models import Pack, TokenEvent
from quotes.models import Lead
from spp.models import ApiKeyScope
from spp.services import create_api_key, create_operator_key
from teams.models import Contact
from tests.factories import MAINT, make_pack
from tests.flex import flex_data

D = flex_data.D
OFF_PLATFORM = "5999999999"


@dataclass
class World:
    t: object
    p: flex_data.Portfolio
    keys: dict[str, str] = field(default_factory=dict)
    packs: dict[str, Pack] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    leads: dict[str, Lead] = field(default_factory=dict)

    def team(self, name: str):
        return self.p.teams[name]

    def api(self, key: str | None = None, user=None, csrf: bool = False) -> APIClient:
        """A client with one of the keys ("a_read", "a_write", "b_write", "operator"...)
        or signed in as `user` (`csrf=True`: with CSRF checks, as a browser would be)."""
        client = APIClient(enforce_csrf_checks=csrf)
        if key:
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {self.keys[key]}")
        if user is not None:
            client.force_login(user)
        return client


def build(t) -> World:
    w = World(t=t, p=flex_data.build(t))
    shared, low = w.team("shared"), w.team("low")
    w.packs["a_low"] = make_pack(
        low,
        "A-LOW-1",
        t.a,
        1000,
        date(2025, 6, 1),
        unit_price=Decimal("3.0000"),
        currency="USD",
        discount_pct=Decimal("5.00"),
    )
    w.packs["a_shared"] = make_pack(shared, "A-SH-1", t.a, 1000, date(2025, 4, 1))
    w.packs["b_shared"] = make_pack(
        shared, "B-SECRET-1", t.b, 700, date(2025, 9, 9), unit_price=Decimal("2.5"), currency="EUR"
    )
    w.packs["off"] = make_pack(shared, "OFF-SECRET-1", OFF_PLATFORM, 300, date(2025, 10, 10))
    w.packs["b_only"] = make_pack(w.team("b_only"), "B-ONLY-1", t.b, 500, date(2025, 5, 5))
    TokenEvent.unscoped.using(MAINT).create(
        kind=TokenEvent.Kind.ADJUSTMENT,
        date=date(2025, 12, 1),
        pack=w.packs["a_shared"],
        quantity=50,
        reason="Goodwill",
    )
    TokenEvent.unscoped.using(MAINT).create(
        kind=TokenEvent.Kind.ADJUSTMENT,
        date=date(2025, 12, 2),
        pack=w.packs["b_shared"],
        quantity=-70,
        reason="B secret adjustment",
    )
    acme = w.p.accounts["acme"]
    w.contacts["a"] = Contact.unscoped.using(MAINT).create(
        partner=t.a, account=acme, team=low, name="Dana Buyer", email="dana@acme.example"
    )
    w.contacts["b"] = Contact.unscoped.using(MAINT).create(
        partner=t.b, account=shared.account, name="Bob Secret", email="bob@b.example"
    )
    w.leads["a"] = Lead.unscoped.using(MAINT).create(
        partner=t.a,
        team=low,
        number=1,
        figures_as_of=D,
        projected_end=date(2026, 3, 20),
        balance_rate=0.1,
        rate_30=11.43,
        rate_180=6.66,
        annual_quantity=4200,
        unit_price=Decimal("3"),
        value=Decimal("12600"),
        currency="USD",
        opened_on=D,
    )
    w.leads["b"] = Lead.unscoped.using(MAINT).create(
        partner=t.b,
        team=w.team("b_only"),
        number=1,
        figures_as_of=D,
        currency="EUR",
        opened_on=D,
    )
    for name, partner, scope in (
        ("a_read", t.a, ApiKeyScope.READ),
        ("a_write", t.a, ApiKeyScope.READ_WRITE),
        ("b_read", t.b, ApiKeyScope.READ),
        ("b_write", t.b, ApiKeyScope.READ_WRITE),
    ):
        w.keys[name] = create_api_key(partner, name=name, scope=scope, using=MAINT)[1]
    w.keys["operator"] = create_operator_key(name="feeds")[1]
    w.keys["operator_read"] = create_operator_key(name="feeds-ro", scope=ApiKeyScope.READ)[1]
    return w


# ------------------------------------------------------------------ usage (SPEC §9)

USAGE_HEADER = ["day_used", "team", "product_name", "version", "email", "tokens_used", "feature"]
ANN, BOB, CARA, DAN = (
    "ann@acme.example",
    "bob@acme.example",
    "cara@acme.example",
    "dan@beta.example",
)
# D = 2026-03-10: past 30 days = 2026-02-08 … 2026-03-09; 3m = 2025-12-01 … 2026-02-28.
USAGE = [
    # day          team     product    version user     tokens feature
    ["2025-11-30", "T-001", "AutoCAD", "2025", ANN, "7", ""],  # before 3m
    ["2025-12-01", "T-001", "AutoCAD", "2025", ANN, "7", ""],
    ["2025-12-01", "T-001", "Revit", "2026", ANN, "10", "Render"],  # same day
    ["2025-12-15", "T-001", "Revit", "2026", BOB, "10", ""],
    ["2026-01-10", "T-001", "AutoCAD", "2026", ANN, "7", ""],
    ["2026-01-10", "T-001", "AutoCAD", "2026", "*****", "7", ""],  # anonymous
    ["2026-02-07", "T-001", "Revit", "2025", BOB, "10", ""],  # 3m, not 30d
    ["2026-02-08", "T-001", "Revit", "2026", BOB, "10", "Render"],  # 3m and 30d
    ["2026-02-28", "T-001", "AutoCAD", "2026", CARA, "600", ""],  # 3m and 30d
    ["2026-03-01", "T-001", "AutoCAD", "2026", CARA, "500", ""],  # 30d
    ["2026-03-09", "T-001", "Revit", "2026", ANN, "10", ""],  # 30d, D−1
    ["2026-03-10", "T-001", "AutoCAD", "2026", ANN, "7", ""],  # D: in no range
    ["2026-02-20", "T-SH1", "Maya", "2026", DAN, "6", ""],  # shared: A and B see it
    ["2026-02-21", "T-SH1", "Maya", "2026", DAN, "6", ""],
    ["2026-02-20", "T-B01", "Fusion", "2026", "secret@b.example", "3", ""],  # B's only
    ["2026-02-20", "T-NONE", "AutoCAD", "2026", "nobody@x.example", "7", ""],  # unlinked
]


def import_usage(rows: list[list[str]]) -> None:
    """Usage rows through the real import (roll-ups included), no Flex recompute."""
    from usage.imports import import_file

    with tempfile.TemporaryDirectory(prefix="spp-api-usage-") as folder:
        path = Path(folder) / "usage.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(USAGE_HEADER)
            writer.writerows(rows)
        report = import_file("usage", path, recompute="none")
    assert report.ok, report.format()


def add_usage(w: World) -> World:
    from tests.factories import make_team

    make_team("T-NONE", "Nobody's Team")  # linked to no partner
    import_usage(USAGE)
    # In the past 7 days (D−6 … D): A adjusts its pack of T-001 by −20.
    TokenEvent.unscoped.using(MAINT).create(
        kind=TokenEvent.Kind.ADJUSTMENT,
        date=date(2026, 3, 8),
        pack=w.packs["a_low"],
        quantity=-20,
        reason="Goodwill",
    )
    return w


def grow_usage(team_id: str, users: int, products: tuple[str, ...], days: int) -> None:
    """Every user uses every product every day of the `days` before D (a bigger team).

    A usage file replaces the usage of every (team, day) it holds: the team's earlier rows
    of those days are gone."""
    rows = [
        [
            (D - timedelta(days=offset)).isoformat(),
            team_id,
            product,
            "2026",
            f"grow{index}@acme.example",
            "3",
            "Extra",
        ]
        for offset in range(1, days + 1)
        for product in products
        for index in range(users)
    ]
    import_usage(rows)
