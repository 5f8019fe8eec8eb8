"""The subscriptions feed (named-user seats, SPEC §12): all or nothing, idempotent,
pseudonymous users, products through the catalog, every bad row with its line."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import committed_db
from tests.factories import make_team
from tests.usage.factories import rows, run, write_csv
from usage.imports.pseudonym import user_key

HEADER = ["team_id", "user", "product", "start_date", "end_date"]
ANN = "ann@acme.example"


@pytest.fixture
def catalog():
    from usage.models import Product, ProductAlias

    revit = Product.objects.using("maint").create(name="Revit")
    ProductAlias.objects.using("maint").create(alias="Autodesk Revit", product=revit)
    return revit


def stored():
    return rows(
        "SELECT t.team_id, s.user_key, p.name, s.start_date, s.end_date "
        "FROM usage_namedusersubscription s JOIN usage_product p ON p.id = s.product_id "
        "JOIN teams_team t ON t.id = s.team_id ORDER BY s.start_date"
    )


@committed_db
def test_seats_are_created_then_unchanged_then_updated(tmp_path, catalog):
    make_team("T-1", "Studio One")
    data = [
        ["T-1", "ANN@acme.example", "autodesk revit", "2026-01-01", "2026-12-31"],
        ["T-1", ANN, "Revit", "2027-01-01", "2027-12-31"],  # renewed: a second seat
        ["T-1", ANN, "Revit", "2026-01-01", "2026-12-31"],  # line 2 again: the same seat
    ]
    first = run("subscriptions", write_csv(tmp_path, "s.csv", HEADER, data))
    assert first.ok, first.format()
    assert first.counts["named-user seat"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert stored() == [
        ("T-1", user_key(ANN), "Revit", date(2026, 1, 1), date(2026, 12, 31)),
        ("T-1", user_key(ANN), "Revit", date(2027, 1, 1), date(2027, 12, 31)),
    ]

    again = run("subscriptions", write_csv(tmp_path, "s.csv", HEADER, data))
    assert not again.changed
    assert again.counts["named-user seat"] == {"created": 0, "updated": 0, "unchanged": 2}

    data[1][4] = "2027-06-30"  # cancelled early
    changed = run("subscriptions", write_csv(tmp_path, "s.csv", HEADER, data))
    assert changed.counts["named-user seat"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert stored()[1][4] == date(2027, 6, 30)


@committed_db
def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(tmp_path, catalog):
    make_team("T-1", "Studio One")
    data = [
        ["T-1", ANN, "Revit", "2026-01-01", "2026-12-31"],  # 2 good
        ["T-1", ANN, "Revit", "2026-01-01", "2026-06-30"],  # 3: line 2 with another end
        ["T-1", ANN, "Revit", "2026-06-01", "2027-05-31"],  # 4: overlaps line 2
        ["T-2", ANN, "Revit", "2026-01-01", "2026-12-31"],  # 5: unknown team
        ["T-1", ANN, "Maya", "2026-01-01", "2026-12-31"],  # 6: unknown product
        ["T-1", "", "Revit", "2026-02-30", "2026-01-01"],  # 7: no user, bad date
        ["T-1", "bob@acme.example", "Revit", "2026-03-01", "2026-02-01"],  # 8: end < start
    ]
    report = run("subscriptions", write_csv(tmp_path, "bad.csv", HEADER, data))
    lines = dict(report.bad_lines)
    assert sorted(lines) == [3, 4, 5, 6, 7, 8]
    assert "on line 2 with another end date (2026-12-31 ≠ 2026-06-30)" in lines[3][0]
    assert "overlaps the seat on line 2" in lines[4][0]
    assert lines[5] == ["team_id: unknown team 'T-2'"]
    assert "unknown product 'Maya'" in lines[6][0]
    assert lines[7][0] == "user: missing required value"
    assert "bad date '2026-02-30'" in lines[7][1]
    assert lines[8] == ["end_date: 2026-02-01 is before the start date 2026-03-01"]
    assert stored() == []
