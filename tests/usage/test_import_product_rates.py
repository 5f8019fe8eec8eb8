"""The product_rates feed: rates upserted on (product, effective_from); new products added."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.conftest import committed_db
from tests.usage.factories import counts, rows, run, write_csv

HEADER = ["Product", "Tokens per day", "Effective from", "Named user price", "Currency"]


def rates():
    return rows(
        "SELECT p.name, r.effective_from, r.tokens_per_day, r.named_user_price, r.currency "
        "FROM usage_productrate r JOIN usage_product p ON p.id = r.product_id ORDER BY 1, 2"
    )


@committed_db
def test_rates_are_created_then_unchanged_then_updated_and_aliases_match(tmp_path):
    from usage.models import Product, ProductAlias

    autocad = Product.objects.using("maint").create(name="AutoCAD")
    ProductAlias.objects.using("maint").create(alias="Autodesk AutoCAD 2026", product=autocad)
    data = [
        ["autodesk autocad 2026", "7", "2024-01-01", "2030", "USD"],
        ["Revit", "10", "2024-01-01", "", ""],
    ]
    first = run("product_rates", write_csv(tmp_path, "r.csv", HEADER, data))
    assert first.ok, first.format()
    assert first.counts["product rate"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert first.notes == ["new products: Revit"]
    assert rates() == [
        ("AutoCAD", date(2024, 1, 1), Decimal("7.00"), Decimal("2030.00"), "USD"),
        ("Revit", date(2024, 1, 1), Decimal("10.00"), None, ""),
    ]

    again = run("product_rates", write_csv(tmp_path, "r.csv", HEADER, data))
    assert again.counts["product rate"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert "product" not in again.counts

    data[0][1] = "8"
    data.append(["AutoCAD", "9", "2026-01-01", "", ""])
    changed = run("product_rates", write_csv(tmp_path, "r.csv", HEADER, data))
    assert changed.counts["product rate"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert rates()[0][2] == Decimal("8.00")


@committed_db
def test_every_bad_row_is_reported_and_nothing_is_written(tmp_path):
    data = [
        ["AutoCAD", "7", "2024-01-01", "", ""],  # 2 good
        ["Revit", "0", "2024-01-01", "", ""],  # 3
        ["Maya", "six", "2024-01-01", "", ""],  # 4
        ["Fusion", "3", "2024-13-01", "", ""],  # 5
        ["Inventor", "8", "2024-01-01", "1800", ""],  # 6
        ["", "8", "2024-01-01", "", ""],  # 7
        ["autocad", "6", "2024-01-01", "", ""],  # 8: the same product and day as line 2
        ["X" * 121, "1", "2024-01-01", "", ""],  # 9
    ]
    report = run("product_rates", write_csv(tmp_path, "r.csv", HEADER, data))

    assert report.bad_lines == [
        (3, ["Tokens per day: must be positive, not 0"]),
        (4, ["Tokens per day: bad number 'six'"]),
        (5, ["Effective from: bad date '2024-13-01' (expected YYYY-MM-DD)"]),
        (6, ["Currency: missing required value (a price needs one)"]),
        (7, ["Product: missing required value"]),
        (
            8,
            [
                "autocad from 2024-01-01 appears again (line 2) with other data: tokens_per_day 7.00 ≠ 6.00"
            ],
        ),
        (9, ["Product: longer than 120 characters (121)"]),
    ]
    assert counts()["usage_product"] == counts()["usage_productrate"] == 0
