"""`GET /api/v1/teams/{team}/audit/` (SPEC §11): the Audit tab's numbers as JSON, users
and machines as labels only, the standard error body, 404 across partners.

The team and its findings are tests/usage/test_audit_views.py's.
"""

from __future__ import annotations

import pytest

from tests.conftest import committed_db
from tests.usage.test_audit_views import ANN, BOB, D, audited, label  # noqa: F401

pytestmark = committed_db
URL = "/api/v1/teams/T-AUD/audit/"


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


def test_the_audit_as_json_equals_the_page(client_a, audited):  # noqa: F811
    response = client_a.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert (body["audited_start"], body["audited_end"], body["not_audited"]) == (
        "2026-03-02",
        "2026-03-09",
        1,
    )
    assert (body["reported_charges"], body["expected_charges"]) == (8, 3)
    assert (body["tokens_at_stake"], body["value_at_stake"]) == (41, 123)
    assert (body["currency"], body["token_price"]) == ("USD", 3)
    assert sorted((f["day"], f["cause"], f["tokens_at_stake"]) for f in body["findings"]) == [
        ("2026-03-03", "midnight", 7),
        ("2026-03-04", "short_launch", 10),
        ("2026-03-05", "two_versions", 7),
        ("2026-03-06", "no_session", 10),
        ("2026-03-06", "subscription", 7),
    ]
    midnight = next(f for f in body["findings"] if f["cause"] == "midnight")
    assert midnight["user"] == label(ANN)
    assert midnight["sessions"] == [
        {
            "start": "2026-03-02T20:00:00Z",
            "end": "2026-03-03T01:30:00Z",
            "version": "2026",
            "machine": midnight["sessions"][0]["machine"],
        }
    ]
    assert midnight["sessions"][0]["machine"].startswith("Machine ")
    [warning] = body["warnings"]
    assert (warning["user"], warning["minutes"], len(warning["machines"])) == (label(BOB), 60, 2)
    assert [c["cause"] for c in body["by_cause"]] == [
        "subscription",
        "no_session",
        "midnight",
        "two_versions",
        "short_launch",
        "unexplained",
    ]
    text = response.content.decode()
    for secret in (ANN, BOB, "ANN-PC", "BOB-LAPTOP"):
        assert secret not in text
    assert "user_key" not in text and "machine_key" not in text


def test_no_logs_in_the_range_is_an_empty_audit_and_a_bad_range_a_400(client_a, audited):  # noqa: F811
    body = client_a.get(URL + "?range=3m").json()
    assert body["audited_start"] is None and body["findings"] == []
    assert body["not_audited"] == 1

    bad = client_a.get(URL + "?range=2y")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid" and "range" in bad.json()["field_errors"]


def test_other_partners_get_404(client_b, audited):  # noqa: F811
    for url in (URL, "/api/v1/teams/T-NONE/audit/"):
        response = client_b.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert client_b.get("/api/v1/teams/T-BEE/audit/").status_code == 200
