"""Partner B — by its key and by its people — never reaches A's objects: 404 or an
empty list on every endpoint, and no write can point at A's objects (ARCHITECTURE.md)."""

from __future__ import annotations

import pytest

from quotes.models import Quote
from teams.models import AccountAssignment, Contact
from tests.conftest import committed_db
from tests.factories import MAINT

pytestmark = committed_db


@pytest.fixture(params=["key", "user"])
def b(request, world):
    """B acting through its read-write key, or its admin's session."""
    if request.param == "key":
        return world.api("b_write")
    return world.api(user=world.t.b_admin)


@pytest.fixture
def a_quote(world) -> str:
    response = world.api("a_write").post("/api/v1/quotes/", {"team": "T-001"}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["number"]


def test_b_gets_404_on_every_detail_of_a(world, b, a_quote):
    contact = world.contacts["a"].pk
    for url in (
        "/api/v1/flex/teams/T-001/",
        "/api/v1/teams/T-001/",
        "/api/v1/teams/T-001/events/",
        "/api/v1/teams/T-001/usage/",
        "/api/v1/teams/T-001/usage/products/",
        "/api/v1/teams/T-001/usage/users/",
        "/api/v1/teams/T-001/usage/daily/?range=12m",
        "/api/v1/teams/T-001/advisor/",
        "/api/v1/teams/T-001/audit/",
        "/api/v1/accounts/C-ACME/",
        f"/api/v1/contacts/{contact}/",
        "/api/v1/packs/A-LOW-1/",
        "/api/v1/packs/A-SH-1/",  # A's pack on a team B also sees
        f"/api/v1/quotes/{a_quote}/",
    ):
        response = b.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found", url
    # Lead numbers are per partner: B's lead 1 is B's own, never A's.
    assert b.get("/api/v1/leads/1/").json()["team_id"] == "T-B01"


def test_b_lists_show_none_of_a(world, b, a_quote):
    def rows(url: str) -> list[dict]:
        response = b.get(url)
        assert response.status_code == 200, url
        return response.json()["results"]

    assert {r["team_id"] for r in rows("/api/v1/flex/teams/?bucket=all")} == {"T-B01", "T-SH1"}
    shared = b.get("/api/v1/flex/teams/T-SH1/").json()
    assert shared["flex_tokens_balance"] == 150  # B's figures of the shared team, not A's
    assert {r["team_id"] for r in rows("/api/v1/teams/")} == {"T-B01", "T-SH1"}
    accounts = rows("/api/v1/accounts/")
    assert "C-ACME" not in {r["csn"] for r in accounts}
    # B's own assignment of the shared account shows at B; A's never.
    assert {r["account_manager"] for r in accounts} <= {None, "Bea Admin"}
    assert [r["name"] for r in rows("/api/v1/contacts/")] == ["Bob Secret"]
    assert {r["order_number"] for r in rows("/api/v1/packs/")} == {"B-SECRET-1", "B-ONLY-1"}
    assert [r["team_id"] for r in rows("/api/v1/leads/?status=all")] == ["T-B01"]
    assert rows("/api/v1/quotes/") == []
    events = rows("/api/v1/teams/T-SH1/events/")
    assert {e["order_number"] for e in events} <= {None, "B-SECRET-1"}
    widget = b.get("/api/v1/flex/widget/").json()
    assert widget["all"] == 2
    export = b.get("/api/v1/flex/export/?format=csv&bucket=all").content.decode("utf-8-sig")
    assert "T-001" not in export and "T-B01" in export


def test_b_cannot_change_or_delete_a_objects(world, b, a_quote):
    contact = world.contacts["a"].pk
    assert b.patch("/api/v1/accounts/C-ACME/", {"account_manager_id": None}).status_code == 404
    assert b.patch(f"/api/v1/contacts/{contact}/", {"name": "x"}).status_code == 404
    assert (
        b.put(f"/api/v1/contacts/{contact}/", {"account": "C-T-SH1", "name": "x"}).status_code
        == 404
    )
    assert b.delete(f"/api/v1/contacts/{contact}/").status_code == 404
    assert b.patch(f"/api/v1/quotes/{a_quote}/", {"notes": "x"}, format="json").status_code == 404
    for verb in ("send", "accept", "decline"):
        assert b.post(f"/api/v1/quotes/{a_quote}/{verb}/", {"reason": "x"}).status_code == 404
    assert Contact.unscoped.using(MAINT).get(pk=contact).name == "Dana Buyer"
    assert Quote.unscoped.using(MAINT).get(number=a_quote, partner=world.t.a).status == "draft"
    assignment = AccountAssignment.unscoped.using(MAINT).get(
        partner=world.t.a, account__csn="C-ACME"
    )
    assert assignment.account_manager_id == world.t.a_manager.pk


def test_b_cannot_create_objects_pointing_at_a(world, b):
    before = Contact.unscoped.using(MAINT).count()
    # A's customer: B cannot see it, so it "does not exist" for B.
    response = b.post("/api/v1/contacts/", {"account": "C-ACME", "name": "Spy"}, format="json")
    assert response.status_code == 400
    assert "account" in response.json()["field_errors"]
    # A customer B sees, with a team of A's.
    response = b.post(
        "/api/v1/contacts/", {"account": "C-T-SH1", "team": "T-001", "name": "Spy"}, format="json"
    )
    assert response.status_code == 400
    assert "team" in response.json()["field_errors"]
    assert Contact.unscoped.using(MAINT).count() == before
    quotes = Quote.unscoped.using(MAINT).count()
    response = b.post("/api/v1/quotes/", {"team": "T-001"}, format="json")
    assert response.status_code == 400 and "team" in response.json()["field_errors"]
    assert Quote.unscoped.using(MAINT).count() == quotes
    # An account manager from A's people cannot be assigned at B.
    response = b.patch(
        "/api/v1/accounts/C-T-SH1/", {"account_manager_id": world.t.a_manager.pk}, format="json"
    )
    assert response.status_code == 400
    assert "account_manager_id" in response.json()["field_errors"]


def test_events_show_foreign_purchases_only_as_the_aggregate(world):
    """SPEC §1: at A, B's and the off-platform seller's packs on the shared team appear
    only as the `additional` aggregate: no date, order, quantity or price of theirs."""
    from flex.models import FlexSnapshot

    FlexSnapshot.unscoped.using(MAINT).filter(partner=world.t.a, team=world.team("shared")).update(
        flex_purchased_tokens=1000, flex_additional_tokens=1000
    )
    events = world.api("a_read").get("/api/v1/teams/T-SH1/events/").json()["results"]
    assert events[0] == {
        "kind": "additional",
        "date": None,
        "tokens": 1000,
        "order_number": None,
        "detail": "Tokens of other suppliers in the active pool as of 2026-03-10 (an aggregate).",
    }
    text = repr(events)
    for secret in ("B-SECRET-1", "OFF-SECRET-1", "2025-09-09", "2025-10-10", "700", "B secret"):
        assert secret not in text
    assert {e["order_number"] for e in events[1:]} == {"A-SH-1"}
