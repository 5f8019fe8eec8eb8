"""`GET /api/v1/teams/{team}/advisor/` (SPEC §10): the Advisor tab's numbers as JSON.

The team and its figures are tests/flex/test_advisor_views.py's.
"""

from __future__ import annotations

import pytest

from tests.conftest import committed_db
from tests.flex.test_advisor_views import ANN, BOB, D, advised, label  # noqa: F401

pytestmark = committed_db
URL = "/api/v1/teams/T-ADV/advisor/"


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


def test_the_advisor_as_json_equals_the_tab(client_a, advised):  # noqa: F811
    response = client_a.get(URL + "?range=3m")
    assert response.status_code == 200
    body = response.json()
    assert body["range"]["key"] == "3m" and body["users"] == 3
    assert (body["currency"], body["token_price"]) == ("USD", 3)
    assert [(s["segment"], s["users"]) for s in body["segments"]] == [
        ("power", 1),
        ("regular", 1),
        ("occasional", 0),
        ("rare", 1),
    ]
    seats = [(r["user"], r["product"], r["yearly_saving"], r["recommendation"])
             for r in body["named_vs_flex"]]  # fmt: skip
    assert seats == [
        (label(ANN), "AutoCAD", 3010, "Named seat"),
        (label(BOB), "AutoCAD", 490, "Named seat"),
        (seats[2][0], "Revit", None, "Flex"),
    ]
    assert body["named_vs_flex"][0]["break_even_days_per_month"] == pytest.approx(8.0556, 1e-3)
    assert body["savings"] == {
        "users": 2,
        "seats": 2,
        "yearly_saving": [{"currency": "USD", "yearly_saving": 3500}],
        "not_compared": 0,
    }
    forecast = body["forecast"]
    assert (forecast["refill_quantity"], forecast["needed_until_latest_end"]) == (2034, 2800)
    assert forecast["refill_value"] == 6102
    assert [(p["product"], p["tokens"]) for p in body["product_mix"]] == [
        ("AutoCAD", 630),
        ("Revit", 60),
    ]
    assert body["seasonality"]["peak_month"] == "Feb"
    assert body["sessions"] is None
    assert ANN not in response.content.decode()


def test_the_default_range_is_the_past_12_months_and_a_bad_one_a_400(client_a, advised):  # noqa: F811
    assert client_a.get(URL).json()["range"]["key"] == "12m"
    bad = client_a.get(URL + "?start=2026-01-01")
    assert bad.status_code == 400 and "end" in bad.json()["field_errors"]


def test_other_partners_get_404(client_b, advised):  # noqa: F811
    for url in (URL, "/api/v1/teams/T-NONE/advisor/"):
        response = client_b.get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
