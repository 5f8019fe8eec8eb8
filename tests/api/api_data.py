"""The API tests' world: tests.flex.flex_data's portfolio (A: seven teams, B: two, one
shared) plus packs (A's own, B's and an off-platform seller's on the shared team),
token events, contacts, a lead of A's, and API keys of every kind. D = 2026-03-10.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

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
