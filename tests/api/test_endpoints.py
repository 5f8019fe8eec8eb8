"""What each endpoint answers: the Flex list equals the Flex page for the same
parameters (one FilterSet), exports open in openpyxl, large exports run as jobs,
contacts CRUD, account assignment, quotes from draft to accepted pack, imports with
the command line's report; query counts pinned on every list (5 rows as 50)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flex import export, tables
from flex.models import Pack
from quotes.models import Lead, Quote, QuoteLine
from teams.models import Contact
from tests.api.api_data import D
from tests.conftest import committed_db
from tests.factories import MAINT, make_pack, make_snapshot, make_team
from tests.flex.flex_data import YESTERDAY

pytestmark = committed_db


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["team_id"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"bucket": "lt20"},
        {"bucket": "20to30"},
        {"bucket": "onboarding"},
        {"bucket": "additional"},
        {"bucket": "all", "ordering": "-flex_tokens_balance"},
        {"manager": "unassigned"},
        {"balance_min": "10", "balance_max": "50"},
        {"end_from": "2026-03-01", "end_to": "2026-06-30"},
        {"q": "acme"},
        {"ordering": "team_name"},
        {"ordering": "-flex_projected_end_date"},
        {"as_of": YESTERDAY.isoformat()},
    ],
)
def test_flex_teams_filter_like_the_flex_page(world, client, params):
    client.force_login(world.t.a_admin)
    page = client.get("/flex/", params)
    expected = [row["team__team_id"] for row in page.context["rows"]]
    assert ids(world.api("a_read").get("/api/v1/flex/teams/", params)) == expected


def test_flex_teams_manager_filter_and_rows(world):
    a = world.api("a_read")
    manager = world.t.a_manager.pk
    assert set(ids(a.get("/api/v1/flex/teams/", {"manager": manager}))) == {"T-001", "T-002"}
    assert_error = a.get("/api/v1/flex/teams/", {"manager": world.t.b_admin.pk})
    assert assert_error.status_code == 400 and "manager" in assert_error.json()["field_errors"]
    row = a.get("/api/v1/flex/teams/?bucket=lt20").json()["results"][0]
    assert set(row) == {"as_of", "account_manager_id", *tables.EXPORT_KEYS}
    assert isinstance(row["flex_balance_rate"], float) and isinstance(row["flex_total_tokens"], int)
    assert row["as_of"] == D.isoformat() and row["flex_start_date"] == "2025-04-01"
    detail = a.get("/api/v1/flex/teams/T-001/", {"as_of": YESTERDAY.isoformat()}).json()
    assert detail["as_of"] == YESTERDAY.isoformat() and detail["flex_tokens_balance"] == 120
    assert a.get("/api/v1/flex/teams/T-001/?as_of=2020-01-01").status_code == 404


def test_widget_counts(world):
    a = world.api("a_read")
    assert a.get("/api/v1/flex/widget/").json() == {
        "lt20": 1,
        "20to30": 1,
        "onboarding": 1,
        "additional": 1,
        "all": 6,
    }
    mine = a.get("/api/v1/flex/widget/", {"manager": world.t.a_manager.pk}).json()
    assert mine["all"] == 2
    assert a.get("/api/v1/flex/widget/?manager=abc").status_code == 400
    assert a.get("/api/v1/flex/widget/?as_of=2001-01-01").json()["all"] == 0


def test_export_xlsx_opens_and_holds_the_filtered_rows(world):
    response = world.api("a_read").get("/api/v1/flex/export/?format=xlsx&bucket=all")
    assert response.status_code == 200
    assert response["Content-Type"] == export.FORMATS["xlsx"]
    assert 'filename="flex-5100000001-2026-03-10-all.xlsx"' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(tables.EXPORT_KEYS)
    expected = ids(world.api("a_read").get("/api/v1/flex/teams/?bucket=all"))
    assert [row[0] for row in rows[1:]] == expected
    csv = world.api("a_read").get("/api/v1/flex/export/?format=csv&bucket=lt20")
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").splitlines()[1].startswith("T-001,")


def test_large_export_is_a_job_of_the_key_that_asked(world, monkeypatch):
    monkeypatch.setattr(export, "ASYNC_THRESHOLD", 2)
    a = world.api("a_write")
    response = a.get("/api/v1/flex/export/?format=xlsx&bucket=all")
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == job["status_url"]
    assert job["state"] == "queued" and job["total"] == 6
    assert a.get(job["status_url"]).json()["state"] == "queued"
    assert a.get(job["download_url"]).json()["code"] == "not_ready"
    # Another key of the same partner, and B, do not see the job.
    assert world.api("a_read").get(job["status_url"]).status_code == 404
    assert world.api("b_write").get(job["download_url"]).status_code == 404
    export.run_job(job["job_id"], world.t.a.pk, None, {"bucket": "all"}, "xlsx")
    assert a.get(job["status_url"]).json()["state"] == "done"
    download = a.get(job["download_url"])
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.max_row == 7


def test_contacts_crud(world):
    a = world.api("a_write")
    created = a.post(
        "/api/v1/contacts/",
        {"account": "C-ACME", "team": "T-002", "name": "Eve Engineer", "email": "eve@acme.example"},
    )
    assert created.status_code == 201, created.content
    contact = created.json()
    assert contact["account"] == "C-ACME" and contact["team"] == "T-002"
    url = f"/api/v1/contacts/{contact['id']}/"
    assert a.patch(url, {"title": "CAD lead", "team": None}).json()["team"] is None
    assert a.get("/api/v1/contacts/?account=C-ACME&q=eve").json()["count"] == 1
    replaced = a.put(url, {"account": "C-ACME", "name": "Eve E."}).json()
    assert replaced["name"] == "Eve E." and replaced["title"] == "CAD lead"
    wrong_team = a.patch(url, {"team": "T-004"})  # a team of another customer
    assert wrong_team.status_code == 400 and "team" in wrong_team.json()["field_errors"]
    assert a.delete(url).status_code == 204
    assert not Contact.unscoped.using(MAINT).filter(pk=contact["id"]).exists()


def test_assign_account_manager(world):
    a = world.api("a_write")
    response = a.patch("/api/v1/accounts/C-ACME/", {"account_manager_id": world.t.a_viewer.pk})
    assert response.status_code == 200
    assert response.json()["account_manager"] == "Vera Viewer"
    team = a.get("/api/v1/flex/teams/T-001/").json()
    assert team["account_manager"] == "Vera Viewer"  # teams inherit it
    assert (
        a.patch("/api/v1/accounts/C-ACME/", {"account_manager_id": None}).json()["account_manager"]
        is None
    )
    assert a.patch("/api/v1/accounts/C-ACME/", {}).status_code == 200


def test_quote_from_lead_to_accepted_pack(world, monkeypatch):
    from flex import services as flex_services

    monkeypatch.setattr(flex_services, "recompute_teams", lambda pks, *a, **k: len(pks))
    a = world.api("a_write")
    created = a.post(
        "/api/v1/quotes/",
        {
            "team": "T-001",
            "lead": 1,
            "valid_until": "2026-04-09",
            "lines": [
                {"description": "Flex tokens", "tokens": 4200, "unit_price": 3, "discount_pct": 5}
            ],
        },
    )
    assert created.status_code == 201, created.content
    quote = created.json()
    assert quote["status"] == "draft" and quote["total_net"] == 11970.0
    number = quote["number"]
    assert a.patch(f"/api/v1/quotes/{number}/", {"notes": "Thanks!"}).json()["notes"] == "Thanks!"
    assert a.post(f"/api/v1/quotes/{number}/send/").json()["status"] == "sent"
    assert Lead.unscoped.using(MAINT).get(partner=world.t.a, number=1).status == "quoted"
    future = a.post(f"/api/v1/quotes/{number}/accept/", {"order_date": "2026-03-11"})
    assert future.status_code == 400
    accepted = a.post(f"/api/v1/quotes/{number}/accept/", {"order_date": D.isoformat()}).json()
    assert accepted["status"] == "accepted" and accepted["order_date"] == D.isoformat()
    pack = Pack.unscoped.using(MAINT).get(order_number=accepted["pack_order_number"])
    assert pack.quantity == 4200 and pack.seller_partner_id == world.t.a.pk
    assert Lead.unscoped.using(MAINT).get(partner=world.t.a, number=1).status == "won"
    assert accepted["pack_order_number"] in {
        p["order_number"] for p in a.get("/api/v1/packs/").json()["results"]
    }
    assert a.get(f"/api/v1/quotes/?status=accepted&q={number}").json()["count"] == 1


def test_decline_needs_a_reason(world):
    a = world.api("a_write")
    number = a.post("/api/v1/quotes/", {"team": "T-002"}).json()["number"]
    a.post(f"/api/v1/quotes/{number}/send/")
    assert a.post(f"/api/v1/quotes/{number}/decline/", {}).status_code == 400
    declined = a.post(f"/api/v1/quotes/{number}/decline/", {"reason": "Budget"}).json()
    assert declined["status"] == "declined" and declined["declined_reason"] == "Budget"


def test_packs_are_own_with_prices(world):
    a = world.api("a_read")
    packs = a.get("/api/v1/packs/").json()["results"]
    assert [p["order_number"] for p in packs] == ["A-LOW-1", "A-SH-1"]
    assert packs[0]["unit_price"] == 3.0 and packs[0]["discount_pct"] == 5.0
    assert a.get("/api/v1/packs/?team=T-SH1").json()["count"] == 1
    assert a.get("/api/v1/packs/?active_on=2025-05-01").json()["count"] == 1
    assert a.get("/api/v1/packs/B-SECRET-1/").status_code == 404


def test_imports_give_the_command_line_report(world, tmp_path, capsys):
    feed = tmp_path / "teams.csv"
    feed.write_text(
        "team_id,team_name,account_csn,account_name,country\n"
        "T-NEW1,New One,C-NEW,New Customer,DE\n"
        "T-NEW2,New Two,C-NEW,New Customer,DE\n"
    )
    operator = world.api("operator")
    with feed.open("rb") as handle:
        dry = operator.post(
            "/api/v1/imports/",
            {"kind": "teams", "file": handle, "dry_run": "true"},
            format="multipart",
        )
    assert dry.status_code == 200, dry.content
    call_command("spp_import", "teams", str(feed), "--dry-run")
    assert dry.json()["report"] == capsys.readouterr().out.strip()
    assert dry.json()["ok"] and dry.json()["batch_id"] is None
    with feed.open("rb") as handle:
        done = operator.post(
            "/api/v1/imports/", {"kind": "teams", "file": handle}, format="multipart"
        )
    assert done.status_code == 200 and done.json()["counts"]["team"]["created"] == 2
    bad = tmp_path / "purchases.csv"
    bad.write_text(
        "order_number,team_id,seller_csn,quantity,start_date\nX-1,T-NEW1,5100000001,ten,2026-01-01\n"
    )
    with bad.open("rb") as handle:
        refused = operator.post(
            "/api/v1/imports/", {"kind": "purchases", "file": handle}, format="multipart"
        )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "import_refused" and body["report"]["bad_rows"][0]["line"] == 2
    assert not Pack.unscoped.using(MAINT).filter(order_number="X-1").exists()
    missing = operator.post("/api/v1/imports/", {"kind": "nope"}, format="multipart")
    assert missing.status_code == 400 and set(missing.json()["field_errors"]) == {"kind", "file"}


# ---------------------------------------------------------------- query counts


def _grow(world, start: int, end: int) -> None:
    """Add rows of every list kind for A, numbered start … end − 1."""
    t = world.t
    for index in range(start, end):
        key = f"X{index:03d}"
        team = make_team(f"T-{key}", f"Extra {key}", linked=[t.a])
        make_snapshot(t.a, team, D, flex_tokens_balance=100 + index)
        make_pack(team, f"P-{key}", t.a, 100, date(2025, 6, 1) + timedelta(days=index))
        Contact.unscoped.using(MAINT).create(partner=t.a, account=team.account, name=f"C {key}")
        Lead.unscoped.using(MAINT).create(
            partner=t.a, team=team, number=100 + index, figures_as_of=D, currency="USD", opened_on=D
        )
        quote = Quote.unscoped.using(MAINT).create(
            partner=t.a,
            number=f"Q-2026-9{index:03d}",
            team=team,
            currency="USD",
            valid_until=D,
            created_on=D,
        )
        QuoteLine.unscoped.using(MAINT).create(
            partner=t.a, quote=quote, description="x", tokens=10, unit_price=Decimal("3")
        )


# Authentication, partner and scope take 8 of these (set_config in and out of scope).
LISTS = {
    "/api/v1/flex/teams/?bucket=all": 14,
    "/api/v1/teams/": 12,
    "/api/v1/accounts/": 12,
    "/api/v1/contacts/": 12,
    "/api/v1/packs/": 12,
    "/api/v1/leads/": 13,
    "/api/v1/quotes/": 13,
    "/api/v1/teams/T-001/events/": 15,
}


def test_query_counts_are_pinned_and_flat(world, django_assert_max_num_queries):
    a = world.api("a_read")
    a.get("/api/v1/partner/")  # the once-a-minute last-use stamp is not part of a list
    counts: dict[int, dict[str, int]] = {}
    grown = 0
    for size in (5, 50):
        _grow(world, grown, size)
        grown = size
        counts[size] = {}
        for url, pinned in LISTS.items():
            with django_assert_max_num_queries(pinned):
                with CaptureQueriesContext(connection) as queries:
                    response = a.get(url)
            assert response.status_code == 200, url
            assert response.json()["count"] >= size or url.endswith("events/"), url
            counts[size][url] = len(queries)
    assert counts[5] == counts[50]
