"""The purchases feed: one pack per order, sellers linked, all or nothing, idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.conftest import committed_db
from tests.factories import make_partner, make_team
from tests.usage.factories import counts, run, write_csv

HEADER = [
    "Order Number",
    "Team ID",
    "Seller CSN",
    "Quantity",
    "Start Date",
    "End Date",
    "Unit Price",
    "Currency",
    "Discount %",
]
SHORT = HEADER[:5]  # the required columns only


@pytest.fixture
def world():
    seller = make_partner("5100000001", "Partner A", currency="EUR")
    return {
        "seller": seller,
        "t1": make_team("T-1", "Studio One"),
        "t2": make_team("T-2", "Studio Two"),
    }


def packs():
    from flex.models import Pack

    return {
        p.order_number: p
        for p in Pack.unscoped.using("maint").select_related("team", "seller_partner")
    }


@committed_db
def test_packs_are_created_with_default_or_explicit_end_dates(world, tmp_path):
    data = [
        ["ORD-1", "T-1", "5100000001", "1000", "2025-06-12", "", "3.00", "USD", "10"],
        ["ORD-2", "T-1", "5100000001", "500", "2024-02-29", "", "", "", ""],
        ["ORD-3", "T-2", "5100000001", "200", "2025-01-01", "2025-03-31", "2.5", "", ""],
    ]
    report = run("purchases", write_csv(tmp_path, "p.csv", HEADER, data))

    assert report.ok, report.format()
    got = packs()
    assert got["ORD-1"].end_date == date(2026, 6, 11)  # the day before the anniversary
    assert got["ORD-2"].end_date == date(2025, 2, 28)  # 29 February: anniversary 1 March
    assert got["ORD-3"].end_date == date(2025, 3, 31)  # an explicit end date wins
    assert (got["ORD-1"].unit_price, got["ORD-1"].currency, got["ORD-1"].discount_pct) == (
        Decimal("3.0000"),
        "USD",
        Decimal("10.00"),
    )
    assert got["ORD-3"].currency == "EUR"  # a price without currency: the seller's
    assert got["ORD-2"].unit_price is None and got["ORD-2"].currency == ""
    assert report.counts["pack"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert report.teams_affected == 2


@committed_db
def test_a_registered_seller_is_linked_and_an_off_platform_seller_still_sells(world, tmp_path):
    from teams.models import TeamLink

    data = [
        ["ORD-1", "T-1", "5100000001", "1000", "2025-06-12"],
        ["ORD-2", "T-2", "ADSK-STORE", "300", "2025-06-12"],
    ]
    report = run("purchases", write_csv(tmp_path, "p.csv", SHORT, data))

    got = packs()
    assert got["ORD-1"].seller_partner == world["seller"]
    assert got["ORD-2"].seller_partner is None and got["ORD-2"].seller_csn == "ADSK-STORE"
    assert list(
        TeamLink.unscoped.using("maint").values_list("partner__csn", "team__team_id", "source")
    ) == [("5100000001", "T-1", "seller")]
    assert report.counts["team link"] == {"created": 1}
    assert any("ADSK-STORE" in note for note in report.notes)


@committed_db
def test_the_same_file_twice_changes_nothing(world, tmp_path):
    path = write_csv(
        tmp_path,
        "p.csv",
        HEADER,
        [["ORD-1", "T-1", "5100000001", "1000", "2025-06-12", "", "3", "USD", ""]],
    )
    run("purchases", path)
    before = counts()

    again = run("purchases", path)

    assert again.counts["pack"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert again.counts["team link"] == {"created": 0}
    assert counts() == {**before, "usage_importbatch": before["usage_importbatch"] + 1}
    assert again.teams_affected == 0


@committed_db
def test_a_known_order_with_different_data_is_a_bad_row(world, tmp_path):
    run(
        "purchases",
        write_csv(tmp_path, "p.csv", SHORT, [["ORD-1", "T-1", "5100000001", "1000", "2025-06-12"]]),
    )

    data = [
        ["ORD-1", "T-1", "5100000001", "1200", "2025-06-12"],
        ["ORD-9", "T-1", "5100000001", "100", "2025-06-12"],
    ]
    report = run("purchases", write_csv(tmp_path, "p2.csv", SHORT, data))

    assert report.bad_lines == [
        (2, ["order ORD-1 already exists with different data: quantity 1000 ≠ 1200"])
    ]
    assert set(packs()) == {"ORD-1"}  # ORD-9, a good row, was not written either


@committed_db
def test_a_price_delivered_later_fills_in_the_known_order(world, tmp_path):
    run(
        "purchases",
        write_csv(tmp_path, "p.csv", SHORT, [["ORD-1", "T-1", "5100000001", "1000", "2025-06-12"]]),
    )

    later = [["ORD-1", "T-1", "5100000001", "1000", "2025-06-12", "", "2.80", "EUR", "5"]]
    report = run("purchases", write_csv(tmp_path, "p2.csv", HEADER, later))

    assert report.counts["pack"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert packs()["ORD-1"].unit_price == Decimal("2.8000")
    assert report.teams_affected == 0  # prices change no Flex figure


@committed_db
def test_every_bad_row_is_reported_with_its_line(world, tmp_path):
    data = [
        ["ORD-1", "T-1", "5100000001", "1000", "2025-06-12", "", "", "", ""],  # 2 good
        ["ORD-2", "T-404", "5100000001", "1000", "2025-06-12", "", "", "", ""],  # 3
        ["ORD-3", "T-1", "5100000001", "0", "2025-06-12", "", "", "", ""],  # 4
        ["ORD-4", "T-1", "5100000001", "-5", "2025-06-12", "", "", "", ""],  # 5
        ["ORD-5", "T-1", "5100000001", "1000", "12/06/2025", "", "", "", ""],  # 6
        ["ORD-6", "T-1", "5100000001", "1000", "2025-06-12", "2025-06-01", "", "", ""],  # 7
        ["ORD-7", "T-1", "5100000001", "ten", "2025-06-12", "", "", "", ""],  # 8
        ["ORD-8", "T-1", "5100000001", "1000", "2025-06-12", "", "3", "Euro", ""],  # 9
        ["ORD-9", "T-1", "5100000001", "1000", "2025-06-12", "", "", "", "120"],  # 10
        ["ORD-10", "T-1", "ADSK", "1000", "2025-06-12", "", "3", "", ""],  # 11
        ["ORD-1", "T-2", "5100000001", "1000", "2025-06-12", "", "", "", ""],  # 12
        ["", "T-1", "", "", "", "", "", "", ""],  # 13
        ["ORD-1", "T-1", "5100000001", "1000", "2025-06-12", "", "", "", ""],  # 14 = line 2
    ]
    before = counts()

    report = run("purchases", write_csv(tmp_path, "p.csv", HEADER, data))

    assert report.bad_lines == [
        (3, ["Team ID: unknown team 'T-404'"]),
        (4, ["Quantity: must be positive, not 0"]),
        (5, ["Quantity: must be positive, not -5"]),
        (6, ["Start Date: bad date '12/06/2025' (expected YYYY-MM-DD)"]),
        (7, ["End Date: 2025-06-01 is before the start date 2025-06-12"]),
        (8, ["Quantity: bad number 'ten' (a whole number is required)"]),
        (9, ["Currency: unknown currency format 'Euro' (a three-letter ISO code such as USD)"]),
        (10, ["Discount %: must be at most 100, not 120.00"]),
        (
            11,
            [
                "Currency: missing required value (a unit price needs a currency; "
                "the seller is not registered)"
            ],
        ),
        (12, ["order ORD-1 appears again (line 2) with different data: team T-1 ≠ T-2"]),
        (
            13,
            [
                "Order Number: missing required value",
                "Seller CSN: missing required value",
                "Quantity: missing required value",
                "Start Date: missing required value",
            ],
        ),
    ]
    assert counts() == before


@committed_db
def test_missing_required_columns_and_wrong_file_type(world, tmp_path):
    report = run(
        "purchases", write_csv(tmp_path, "p.csv", ["order_number", "team_id"], [["O", "T-1"]])
    )
    assert report.file_errors == ["missing required column(s): seller_csn; quantity; start_date"]
    wrong = run("purchases", write_csv(tmp_path, "p.txt", SHORT, []))
    assert wrong.file_errors == ["wrong file type .txt: expected a .csv file or an .xlsx workbook"]


@committed_db
def test_dry_run_writes_nothing(world, tmp_path):
    before = counts()
    report = run(
        "purchases",
        write_csv(tmp_path, "p.csv", SHORT, [["ORD-1", "T-1", "5100000001", "1000", "2025-06-12"]]),
        dry_run=True,
    )
    assert report.counts["pack"]["created"] == 1
    assert report.counts["team link"] == {"created": 1}
    assert counts() == before


@committed_db
def test_a_workbook_with_date_cells_and_number_cells(world, tmp_path):
    from tests.usage.factories import write_xlsx

    path = write_xlsx(
        tmp_path,
        "orders.xlsx",
        HEADER,
        [
            ["ORD-1", "T-1", 5100000001, 1000, date(2025, 6, 12), None, 3, "USD", None],
            ["ORD-2", "T-2", "ADSK", 250.0, date(2025, 1, 1), date(2025, 6, 30), None, None, None],
            ["ORD-3", "T-1", "ADSK", 0, date(2025, 1, 1), None, None, None, None],
        ],
    )
    report = run("purchases", path)
    assert report.bad_lines == [(4, ["Quantity: must be positive, not 0"])]

    path = write_xlsx(
        tmp_path,
        "orders.xlsx",
        HEADER,
        [
            ["ORD-1", "T-1", 5100000001, 1000, date(2025, 6, 12), None, 3, "USD", None],
            ["ORD-2", "T-2", "ADSK", 250.0, date(2025, 1, 1), date(2025, 6, 30), None, None, None],
        ],
    )
    report = run("purchases", path)
    assert report.ok, report.format()
    got = packs()
    assert (got["ORD-1"].seller_partner, got["ORD-1"].end_date) == (
        world["seller"],
        date(2026, 6, 11),
    )
    assert (got["ORD-2"].quantity, got["ORD-2"].end_date) == (250, date(2025, 6, 30))
