"""An independent set of teams, through the command line as an operator runs it:
spp_import (each feed) → recompute_flex --as-of → export_flex, for every partner.

Every expected figure is worked out here by hand from SPEC §3–§4 (D = 2026-03-10):

T1 "Rolling" (P1 only): P1 packs 1,000 from 2025-03-11 (ends 2026-03-10) and 1,000 from
  2025-03-20 (ends 2026-03-19); an off-platform seller 1,000 from 2025-04-01 (ends
  2026-03-31). 300 tokens used on 2026-02-15 draw from the earliest end (P1's first
  pack). On D: total 3,000, balance 2,700, consumption 300, purchased 2,000, additional
  1,000, start 2025-03-11, latest end 2026-03-19, rate 0.900, rate_30 = 300/30 = 10.00,
  rate_180 = 300/180 = 1.67; projected D + 270 = 2026-12-05, capped at 2026-03-19.
T2 "Shared" (P1 and P2): P2 500 from 2025-10-01 (ends 2026-09-30), P1 500 from
  2026-01-01 (ends 2026-12-31); 10 tokens a day on 2026-02-08 … 2026-03-09 (300) draw
  from P2's pack (earlier end). Total 1,000, balance 700, rate 0.700, rate_30 10.00,
  rate_180 1.67, projected D + 70 = 2026-05-19 (under both latest ends).
  P1: purchased 500, additional 500, start 2026-01-01, latest end 2026-12-31.
  P2: purchased 500, additional 500, start 2025-10-01, latest end 2026-09-30.
T3 "Heavy" (P2 only): 1,000 from 2025-06-01 (ends 2026-05-31); 900 used on 2025-12-01,
  2 a day on 2026-02-08 … 2026-03-09 (60). Balance 40, rate 0.040 (< 20 %), rate_30
  2.00, rate_180 = 960/180 = 5.33, projected D + 20 = 2026-03-30.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.core.management import call_command

from tests.conftest import committed_db

pytestmark = committed_db

HEADER = [
    "team_id", "team_name", "customer", "account_manager",
    "flex_total_tokens", "flex_tokens_balance", "flex_tokens_consumption",
    "flex_purchased_tokens", "flex_additional_tokens", "flex_start_date",
    "flex_latest_end_date", "flex_balance_rate", "flex_consumption_rate_30",
    "flex_consumption_rate_180", "flex_projected_end_date",
]  # fmt: skip
EXPECTED = {
    "5400000001": [
        ["T1", "Rolling", "n/a", "", "3000", "2700", "300", "2000", "1000", "2025-03-11",
         "2026-03-19", "0.900", "10.00", "1.67", "2026-03-19"],
        ["T2", "Shared", "n/a", "", "1000", "700", "300", "500", "500", "2026-01-01",
         "2026-12-31", "0.700", "10.00", "1.67", "2026-05-19"],
    ],
    "5400000002": [
        ["T2", "Shared", "n/a", "", "1000", "700", "300", "500", "500", "2025-10-01",
         "2026-09-30", "0.700", "10.00", "1.67", "2026-05-19"],
        ["T3", "Heavy", "n/a", "", "1000", "40", "960", "1000", "0", "2025-06-01",
         "2026-05-31", "0.040", "2.00", "5.33", "2026-03-30"],
    ],
}  # fmt: skip


def _write(path, rows: list[list]) -> str:
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return str(path)


def _days(first: date, last: date):
    while first <= last:
        yield first
        first += timedelta(days=1)


def _feeds(tmp_path) -> list[tuple[str, str]]:
    usage = [["Day used", "Team", "Product", "Version", "Email", "Tokens used"]]
    usage.append(["2026-02-15", "T1", "Revit", "2026", "ann@rolling.example", 300])
    usage.append(["2025-12-01", "T3", "Maya", "2026", "bo@heavy.example", 900])
    for day in _days(date(2026, 2, 8), date(2026, 3, 9)):
        usage.append([day.isoformat(), "Shared", "AutoCAD", "2026", "cy@shared.example", 10])
        usage.append([day.isoformat(), "T3", "Fusion", "2.0", "bo@heavy.example", 2])
    return [
        ("partners", _write(tmp_path / "partners.csv", [
            ["csn", "name", "currency", "token_price"],
            ["5400000001", "Partner One", "USD", "3.00"],
            ["5400000002", "Partner Two", "EUR", "2.80"],
        ])),
        ("teams", _write(tmp_path / "teams.csv", [
            ["team_id", "team_name", "account_csn", "account_name", "country"],
            ["T1", "Rolling", "C1", "Rolling Ltd", "US"],
            ["T2", "Shared", "C2", "Shared Inc", "DE"],
            ["T3", "Heavy", "C3", "Heavy GmbH", "DE"],
        ])),
        ("purchases", _write(tmp_path / "purchases.csv", [
            ["order_number", "team_id", "seller_csn", "quantity", "start_date", "unit_price", "currency"],
            ["O-1", "T1", "5400000001", "1000", "2025-03-11", "3.00", "USD"],
            ["O-2", "T1", "5400000001", "1000", "2025-03-20", "3.00", "USD"],
            ["O-3", "T1", "9999999999", "1000", "2025-04-01", "2.10", "USD"],
            ["O-4", "T2", "5400000002", "500", "2025-10-01", "2.80", "EUR"],
            ["O-5", "T2", "5400000001", "500", "2026-01-01", "3.00", "USD"],
            ["O-6", "T3", "5400000002", "1000", "2025-06-01", "2.80", "EUR"],
        ])),
        ("usage", _write(tmp_path / "usage.csv", usage)),
    ]  # fmt: skip


def _export(tmp_path, csn: str, *extra: str) -> list[list[str]]:
    out = tmp_path / f"{csn}{'-'.join(extra)}.csv"
    call_command(
        "export_flex", "--partner", csn, "--as-of", "2026-03-10", "--output", str(out), *extra
    )
    with open(out, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def test_feeds_through_recompute_to_export_give_the_spec_figures(tmp_path, capsys):
    for kind, path in _feeds(tmp_path):
        call_command("spp_import", kind, path)
    call_command("recompute_flex", "--as-of", "2026-03-10")
    assert "recomputed 3 teams, 4 snapshots as of 2026-03-10" in capsys.readouterr().out

    for csn, expected in EXPECTED.items():
        rows = _export(tmp_path, csn)
        assert rows[0] == HEADER
        assert sorted(rows[1:]) == expected, csn

    assert [r[0] for r in _export(tmp_path, "5400000002", "--bucket", "lt20")[1:]] == ["T3"]
    assert _export(tmp_path, "5400000001", "--bucket", "lt20")[1:] == []
    # P2 never sees P1's start date or order: its T2 row has its own start only.
    assert all("2026-01-01" not in row for row in _export(tmp_path, "5400000002")[1:])
