"""The audit page (SPEC §11) against a team whose findings are worked out by hand.

D = 2026-03-10; the default range is the past 30 days (2026-02-08 … 2026-03-09). The
session logs cover 2026-03-02 … 2026-03-09. Rates: AutoCAD 7, Revit 10 tokens a day;
partner A's token price 3.00 USD.

| user | product | what happened                                  | reported        | verdict            |
|------|---------|------------------------------------------------|-----------------|--------------------|
| ann  | AutoCAD | 03-02 20:00 → 03-03 01:30                      | 03-02, 03-03    | expected, midnight |
| bob  | Revit   | 03-04 16:00 → 16:03                            | 03-04           | sub-5-minute       |
| cara | AutoCAD | 03-05 2025 at 09:00, 2026 at 13:00             | 2025, 2026      | expected, versions |
| dan  | AutoCAD | seat 2026-03-01 … 12-31; 03-06 09:00 → 10:00   | 03-06           | subscription       |
| ann  | Revit   | no session                                     | 03-06           | no session         |
| bob  | AutoCAD | 03-09 PC-1 09:00–12:00, LAPTOP 10:00–11:00     | 03-09           | expected + warning |
| ann  | AutoCAD | (02-20: before the logs)                       | 02-20           | not audited        |

Findings: 5, tokens at stake 7 + 10 + 7 + 7 + 10 = 41, value 41 × 3.00 = 123.00 USD.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.conftest import committed_db
from tests.factories import make_team
from tests.usage.factories import run, write_csv
from usage import figures
from usage.imports.pseudonym import user_key

pytestmark = committed_db

D = date(2026, 3, 10)
ANN, BOB, CARA, DAN = (f"{n}@acme.example" for n in ("ann", "bob", "cara", "dan"))
RATES = [
    ["AutoCAD", "7", "2024-01-01", "2030", "USD"],
    ["Revit", "10", "2024-01-01", "3180", "USD"],
]
USAGE = [
    ["2026-02-20", "T-AUD", "AutoCAD", "2026", ANN, "7"],
    ["2026-03-02", "T-AUD", "AutoCAD", "2026", ANN, "7"],
    ["2026-03-03", "T-AUD", "AutoCAD", "2026", ANN, "7"],
    ["2026-03-04", "T-AUD", "Revit", "2026", BOB, "10"],
    ["2026-03-05", "T-AUD", "AutoCAD", "2025", CARA, "7"],
    ["2026-03-05", "T-AUD", "AutoCAD", "2026", CARA, "7"],
    ["2026-03-06", "T-AUD", "AutoCAD", "2026", DAN, "7"],
    ["2026-03-06", "T-AUD", "Revit", "2026", ANN, "10"],
    ["2026-03-09", "T-AUD", "AutoCAD", "2026", BOB, "7"],
    ["2026-03-05", "T-QUIET", "AutoCAD", "2026", ANN, "7"],
]
SESSIONS = [
    ["T-AUD", ANN, "AutoCAD", "2026", "ANN-PC", "2026-03-02T20:00:00Z", "2026-03-03T01:30:00Z"],
    ["T-AUD", BOB, "Revit", "2026", "BOB-PC", "2026-03-04T16:00:00Z", "2026-03-04T16:03:00Z"],
    ["T-AUD", CARA, "AutoCAD", "2025", "CARA-PC", "2026-03-05T09:00:00Z", "2026-03-05T12:00:00Z"],
    ["T-AUD", CARA, "AutoCAD", "2026", "CARA-PC", "2026-03-05T13:00:00Z", "2026-03-05T15:00:00Z"],
    ["T-AUD", DAN, "AutoCAD", "2026", "DAN-PC", "2026-03-06T09:00:00Z", "2026-03-06T10:00:00Z"],
    ["T-AUD", BOB, "AutoCAD", "2026", "BOB-PC", "2026-03-09T09:00:00Z", "2026-03-09T12:00:00Z"],
    ["T-AUD", BOB, "AutoCAD", "2026", "BOB-LAPTOP", "2026-03-09T10:00:00Z",
     "2026-03-09T11:00:00Z"],
]  # fmt: skip
SEATS = [["T-AUD", DAN, "AutoCAD", "2026-03-01", "2026-12-31"]]


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


@pytest.fixture
def audited(tenants, tmp_path):
    make_team("T-AUD", "Audit Studio", linked=[tenants.a])
    make_team("T-QUIET", "Quiet Studio", linked=[tenants.a])
    make_team("T-BEE", "Bee Team", linked=[tenants.b])
    for kind, header, data in (
        ("product_rates", ["product", "tokens_per_day", "effective_from", "named_user_price",
                           "currency"], RATES),
        ("usage", ["day_used", "team", "product_name", "version", "email", "tokens_used"], USAGE),
        ("sessions", ["team_id", "user", "product", "version", "machine", "start", "end"],
         SESSIONS),
        ("subscriptions", ["team_id", "user", "product", "start_date", "end_date"], SEATS),
    ):  # fmt: skip
        report = run(kind, write_csv(tmp_path, f"{kind}.csv", header, data))
        assert report.ok, report.format()
    return tenants


def label(email: str, team: str = "T-AUD") -> str:
    return figures.user_labels(team, [user_key(email)])[user_key(email)]


def test_the_page_shows_every_finding_with_its_cause_tokens_and_value(client_a, audited):
    response = client_a.get("/teams/T-AUD/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    context = response.context
    assert context["coverage"] == (date(2026, 3, 2), date(2026, 3, 9))
    assert context["reported_outside"] == 1
    assert len(context["result"].verdicts) == 8
    assert context["expected_count"] == 3 and context["seat_count"] == 1
    findings = [
        (f.day, f.user, f.product, f.version, f.cause, f.at_stake) for f in context["findings"]
    ]
    assert findings == sorted(
        [
            (date(2026, 3, 3), label(ANN), "AutoCAD", "2026", "midnight", 7.0),
            (date(2026, 3, 4), label(BOB), "Revit", "2026", "short_launch", 10.0),
            (date(2026, 3, 5), label(CARA), "AutoCAD", "2026", "two_versions", 7.0),
            (date(2026, 3, 6), label(ANN), "Revit", "2026", "no_session", 10.0),
            (date(2026, 3, 6), label(DAN), "AutoCAD", "2026", "subscription", 7.0),
        ]
    )
    assert context["tokens_at_stake"] == 41.0
    assert context["value_at_stake"] == pytest.approx(123.0)
    assert {(c.cause, c.charges, c.tokens) for c in context["causes"] if c.charges} == {
        ("midnight", 1, 7.0),
        ("short_launch", 1, 10.0),
        ("two_versions", 1, 7.0),
        ("subscription", 1, 7.0),
        ("no_session", 1, 10.0),
    }
    [warning] = context["warnings"]
    assert (warning.day, warning.user, warning.span, warning.minutes) == (
        date(2026, 3, 9),
        label(BOB),
        "10:00–11:00 UTC",
        60,
    )
    assert warning.machines.count("Machine ") == 2
    assert 'data-testid="audit-findings">5<' in page
    assert 'data-testid="audit-value">123.00<' in page
    assert 'data-testid="cause-chart"' in page
    assert 'data-testid="tab-audit"' in page and 'aria-current="page"' in page
    # Pseudonyms only: no e-mail and no machine name reaches the page.
    for secret in (ANN, BOB, "ANN-PC", "BOB-LAPTOP", "ann-pc"):
        assert secret not in page


def test_the_evidence_file_has_one_row_per_reported_charge_with_its_sessions(client_a, audited):
    response = client_a.get("/teams/T-AUD/audit/?export=evidence&format=xlsx")
    assert response.status_code == 200
    assert (
        'filename="audit-T-AUD-evidence-2026-02-08-to-2026-03-09.xlsx"'
        in (response["Content-Disposition"])
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = rows[0]
    assert header[:10] == (
        "day",
        "user",
        "product",
        "version",
        "tokens_reported",
        "tokens_expected",
        "tokens_at_stake",
        "value_at_stake",
        "currency",
        "verdict",
    )
    body = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert len(body) == 8
    verdicts = [
        (r["day"].date().isoformat(), r["user"], r["product"], r["version"], r["verdict"])
        for r in body
    ]
    assert verdicts == sorted(
        [
            ("2026-03-02", label(ANN), "AutoCAD", "2026", "Expected"),
            ("2026-03-03", label(ANN), "AutoCAD", "2026", "Midnight double charge"),
            ("2026-03-04", label(BOB), "Revit", "2026", "Sub-5-minute charge"),
            ("2026-03-05", label(CARA), "AutoCAD", "2025", "Expected"),
            ("2026-03-05", label(CARA), "AutoCAD", "2026", "Two versions in one window"),
            ("2026-03-06", label(ANN), "Revit", "2026", "Charge with no session"),
            ("2026-03-06", label(DAN), "AutoCAD", "2026", "Charge under a subscription"),
            ("2026-03-09", label(BOB), "AutoCAD", "2026", "Expected"),
        ]
    )
    by_verdict = {r["verdict"]: r for r in body}
    midnight = by_verdict["Midnight double charge"]
    assert midnight["tokens_at_stake"] == 7 and midnight["value_at_stake"] == 21
    assert midnight["currency"] == "USD"
    assert midnight["sessions"].startswith(
        "2026-03-02 20:00–2026-03-03 01:30 UTC · 2026 · Machine "
    )
    assert midnight["expected_windows"] == "none"
    assert body[0]["expected_windows"] == "2026-03-02 20:00 UTC, 2026, 7 tokens"
    assert by_verdict["Charge with no session"]["sessions"] == "none"
    assert "named-user seat" in by_verdict["Charge under a subscription"]["expected_windows"]

    csv = client_a.get("/teams/T-AUD/audit/?export=findings&format=csv")
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").count("\r\n") == 6


def test_a_range_without_session_logs_says_so(client_a, audited):
    response = client_a.get("/teams/T-AUD/audit/?range=3m")  # 2025-12-01 … 2026-02-28
    assert response.status_code == 200
    assert response.context["result"] is None
    assert response.context["reported_outside"] == 1
    assert "No session logs in this range." in response.content.decode()

    quiet = client_a.get("/teams/T-QUIET/audit/")
    assert "No session logs for this team yet." in quiet.content.decode()


def test_other_partners_and_unlinked_teams_get_404(client_b, audited):
    assert client_b.get("/teams/T-AUD/audit/").status_code == 404
    assert client_b.get("/teams/T-AUD/audit/?export=evidence&format=xlsx").status_code == 404
    assert client_b.get("/teams/T-NONE/audit/").status_code == 404
    assert client_b.get("/teams/T-BEE/audit/").status_code == 200


def test_the_page_runs_a_fixed_number_of_queries(client_a, audited, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        assert client_a.get("/teams/T-AUD/audit/").status_code == 200
