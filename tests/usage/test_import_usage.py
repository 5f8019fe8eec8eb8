"""The usage feed: Autodesk's export as it comes, pseudonymised, rolled up, day-replaced."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime

import pytest
from django.conf import settings

from tests.conftest import committed_db
from tests.factories import make_account, make_team
from tests.usage.factories import counts, dump, rows, run, write_csv, write_xlsx
from usage.imports.pseudonym import anonymous_key, user_key

SNAKE = ["day_used", "team", "product_name", "version", "email", "tokens_used", "feature"]
TITLE = ["Day used", "Team", "Product", "Version", "Email", "Tokens used", "Feature"]
CAMEL = ["usageDate", "contextId", "productName", "version", "hashedUserId", "tokens", "featureId"]

# A small export, with every case the totals below were worked out by hand for.
EXPORT = [
    ["2025-03-01", "T-1", "AutoCAD", "2026", "ann.archer@acme.example", "7", ""],
    ["2025-03-01", "T-1", "Autodesk AutoCAD 2026", "2026", "bob@acme.example", "7", ""],
    ["2025-03-01", "T-1", "Revit", "2026", "ann.archer@acme.example", "10", "Render"],
    ["2025-03-02", "Studio One", "AutoCAD", "2025", "ANN.Archer@acme.example ", "7", ""],
    ["2025-03-02", "T-1", "Revit", "2026", "*****", "10", ""],
    ["2025-03-02", "T-1", "Revit", "2026", "***", "10", ""],
    ["2025-03-04", "T-1", "Maya", "2026", "carl@acme.example", "6.0", ""],
    ["2025-03-01", "Solo", "Revit", "2026", "dora@solo.example", "10", ""],
]
# (team, day, tokens, cum_tokens, users): ann twice is one user, both masks one anonymous.
DAILY = [
    ("T-1", date(2025, 3, 1), 24, 24, 2),
    ("T-1", date(2025, 3, 2), 27, 51, 2),
    ("T-1", date(2025, 3, 4), 6, 57, 1),
    ("T-4", date(2025, 3, 1), 10, 10, 1),
]
DAILY_PRODUCT = [
    ("T-1", date(2025, 3, 1), "AutoCAD", 14, 2),
    ("T-1", date(2025, 3, 1), "Revit", 10, 1),
    ("T-1", date(2025, 3, 2), "AutoCAD", 7, 1),
    ("T-1", date(2025, 3, 2), "Revit", 20, 1),
    ("T-1", date(2025, 3, 4), "Maya", 6, 1),
    ("T-4", date(2025, 3, 1), "Revit", 10, 1),
]


@pytest.fixture
def world():
    """Teams (two share a name) and a catalog with an alias."""
    from usage.models import Product, ProductAlias

    acme = make_account("C-ACME", "Acme")
    teams = {
        "T-1": make_team("T-1", "Studio One", account=acme),
        "T-2": make_team("T-2", "Studio Two", account=acme),
        "T-3": make_team("T-3", "Studio Two"),
        "T-4": make_team("T-4", "Solo"),
    }
    autocad = Product.objects.using("maint").create(name="AutoCAD")
    Product.objects.using("maint").create(name="Revit")
    ProductAlias.objects.using("maint").create(alias="Autodesk AutoCAD 2026", product=autocad)
    return teams


def daily() -> list[tuple]:
    return rows(
        "SELECT t.team_id, d.day, d.tokens, d.cum_tokens, d.users FROM usage_usagedaily d "
        "JOIN teams_team t ON t.id = d.team_id ORDER BY 1, 2"
    )


def daily_product() -> list[tuple]:
    return rows(
        "SELECT t.team_id, d.day, p.name, d.tokens, d.users FROM usage_usagedailyproduct d "
        "JOIN teams_team t ON t.id = d.team_id JOIN usage_product p ON p.id = d.product_id "
        "ORDER BY 1, 2, 3"
    )


def usage_rows() -> list[tuple]:
    return rows(
        "SELECT t.team_id, u.day, p.name, u.version, u.user_key, u.feature, u.tokens "
        "FROM usage_usagerow u JOIN teams_team t ON t.id = u.team_id "
        "JOIN usage_product p ON p.id = u.product_id ORDER BY 1, 2, 3, 5, 7"
    )


@committed_db
@pytest.mark.parametrize("header", [SNAKE, TITLE, CAMEL], ids=["snake", "title", "camel"])
def test_roll_ups_and_running_totals_are_exactly_right_for_each_header_scheme(
    world, tmp_path, header
):
    report = run("usage", write_csv(tmp_path, "usage.csv", header, EXPORT))

    assert report.ok, report.format()
    assert daily() == DAILY
    assert daily_product() == DAILY_PRODUCT
    assert len(usage_rows()) == 8
    assert report.counts["team-day"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert report.counts["usage row"] == {"created": 8, "deleted": 0}
    assert report.counts["product"] == {"created": 1}
    assert "new products: Maya" in report.notes
    assert report.teams_affected == 2


@committed_db
def test_xlsx_with_real_date_cells_and_number_cells(world, tmp_path):
    def typed(row):
        day = date.fromisoformat(row[0])
        when = datetime(day.year, day.month, day.day, 14, 5) if row[4] == "***" else day
        return [when, row[1], row[2], int(row[3]), row[4], float(row[5]), row[6] or None]

    path = write_xlsx(tmp_path, "usage.xlsx", TITLE, [typed(r) for r in EXPORT])
    report = run("usage", path)

    assert report.ok, report.format()
    assert daily() == DAILY
    assert daily_product() == DAILY_PRODUCT


@committed_db
def test_users_are_pseudonymised_and_no_email_or_name_is_stored(world, tmp_path):
    run("usage", write_csv(tmp_path, "usage.csv", SNAKE, EXPORT))

    stored = usage_rows()
    expected = hmac.new(
        settings.PSEUDONYM_KEY.encode(), b"ann.archer@acme.example", hashlib.sha256
    ).hexdigest()
    ann = [r for r in stored if r[1] == date(2025, 3, 1) and r[2] == "Revit" and r[0] == "T-1"]
    assert ann[0][4] == expected == user_key(" Ann.Archer@ACME.example")
    masked = {r[4] for r in stored if r[1] == date(2025, 3, 2) and r[2] == "Revit"}
    assert masked == {anonymous_key()}
    # Nothing personal anywhere in the usage tables, whatever the column.
    for table in ("usage_usagerow", "usage_usagedaily", "usage_usagedailyproduct"):
        text = " ".join(str(value) for row in dump(table) for value in row).lower()
        for fragment in ("@", "ann", "archer", "acme", "bob", "carl", "dora", "solo.example"):
            assert fragment not in text, f"{fragment!r} stored in {table}"


@committed_db
def test_the_same_file_twice_changes_nothing(world, tmp_path):
    path = write_csv(tmp_path, "usage.csv", SNAKE, EXPORT)
    run("usage", path)
    before = {t: dump(t) for t in ("usage_usagerow", "usage_usagedaily", "usage_usagedailyproduct")}

    again = run("usage", path)

    assert again.ok
    assert again.counts["team-day"] == {"created": 0, "updated": 0, "unchanged": 4}
    assert again.counts["usage row"] == {"created": 0, "deleted": 0}
    assert not again.changed
    assert "nothing changed" in again.headline
    assert again.teams_affected == 0
    after = {t: dump(t) for t in before}
    assert after == before  # the same rows, with the same ids: nothing rewritten


@committed_db
def test_a_corrected_day_replaces_that_day_only_and_moves_later_running_totals(world, tmp_path):
    run("usage", write_csv(tmp_path, "usage.csv", SNAKE, EXPORT))
    others = "SELECT * FROM usage_usagerow WHERE day <> '2025-03-02' ORDER BY id"
    untouched = rows(others)
    assert len(untouched) == 5

    correction = [["2025-03-02", "T-1", "AutoCAD", "2026", "bob@acme.example", "5", ""]]
    report = run("usage", write_csv(tmp_path, "fix.csv", SNAKE, correction))

    assert report.counts["team-day"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert report.counts["usage row"] == {"created": 1, "deleted": 3}
    assert "running totals updated on 1 later days" in report.notes
    assert daily() == [
        ("T-1", date(2025, 3, 1), 24, 24, 2),
        ("T-1", date(2025, 3, 2), 5, 29, 1),
        ("T-1", date(2025, 3, 4), 6, 35, 1),
        ("T-4", date(2025, 3, 1), 10, 10, 1),
    ]
    # No stale roll-up: Revit is gone from the corrected day.
    assert [r for r in daily_product() if r[1] == date(2025, 3, 2)] == [
        ("T-1", date(2025, 3, 2), "AutoCAD", 5, 1)
    ]
    assert rows(others) == untouched  # the other days' rows were not even rewritten


@committed_db
def test_an_earlier_day_shifts_every_later_running_total(world, tmp_path):
    run("usage", write_csv(tmp_path, "usage.csv", SNAKE, EXPORT))
    earlier = [["2025-02-27", "T-1", "Revit", "2026", "bob@acme.example", "4", ""]]

    run("usage", write_csv(tmp_path, "earlier.csv", SNAKE, earlier))

    assert [(r[1], r[3]) for r in daily() if r[0] == "T-1"] == [
        (date(2025, 2, 27), 4),
        (date(2025, 3, 1), 28),
        (date(2025, 3, 2), 55),
        (date(2025, 3, 4), 61),
    ]


@committed_db
def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(world, tmp_path):
    good = ["2025-03-01", "T-1", "AutoCAD", "2026", "ann@acme.example", "7", ""]
    lines = [
        good,  # line 2
        ["2025-02-30", "T-1", "AutoCAD", "2026", "ann@acme.example", "7", ""],  # 3
        ["2025-03-01", "T-1", "AutoCAD", "2026", "ann@acme.example", "7.5", ""],  # 4
        ["2025-03-01", "T-1", "AutoCAD", "2026", "ann@acme.example", "-2", ""],  # 5
        ["2025-03-01", "T-404", "AutoCAD", "2026", "ann@acme.example", "7", ""],  # 6
        ["2025-03-01", "Studio Two", "AutoCAD", "2026", "ann@acme.example", "7", ""],  # 7
        ["2025-03-01", "T-1", "AutoCAD", "2026", "", "7", ""],  # 8
        ["2025-03-01", "T-1", "AutoCAD", "V" * 41, "ann@acme.example", "7", ""],  # 9
        ["2025-03-01", "T-1", "", "2026", "ann@acme.example", "", ""],  # 10
        good,  # 11
    ]
    before = counts()

    report = run("usage", write_csv(tmp_path, "bad.csv", SNAKE, lines))

    assert report.bad_lines == [
        (3, ["day_used: bad date '2025-02-30' (expected YYYY-MM-DD)"]),
        (4, ["tokens_used: bad number '7.5' (a whole number is required)"]),
        (5, ["tokens_used: negative tokens (-2)"]),
        (6, ["team: unknown team 'T-404'"]),
        (7, ["team: ambiguous team name 'Studio Two' (2 teams have it; use the team id)"]),
        (8, ["email: missing required value"]),
        (9, ["version: longer than 40 characters (41)"]),
        (10, ["product_name: missing required value", "tokens_used: missing required value"]),
    ]
    assert counts() == before
    text = report.format()
    assert "bad.csv: 8 bad rows of 10; nothing was written." in text
    assert "ann@acme.example" not in text  # a report never repeats personal data


@committed_db
def test_a_team_is_named_by_its_id_before_its_name(world, tmp_path):
    make_team("Studio One", "Another team whose id is a name")
    export = [["2025-03-01", "Studio One", "AutoCAD", "2026", "a@x.example", "7", ""]]

    run("usage", write_csv(tmp_path, "usage.csv", SNAKE, export))

    assert [r[0] for r in daily()] == ["Studio One"]


@committed_db
def test_missing_required_columns_are_named(world, tmp_path):
    path = write_csv(tmp_path, "usage.csv", ["day_used", "team", "product", "version"], [])
    path.write_text(path.read_text() + "2025-03-01,T-1,AutoCAD,2026\n")

    report = run("usage", path)

    assert report.file_errors == [
        "missing required column(s): user (user, email, hashed_autodesk_id, hashed_user_id, "
        "user_id, user_name); tokens (tokens, tokens_used)"
    ]
    assert counts()["usage_usagerow"] == 0


@committed_db
def test_dry_run_reports_what_would_change_and_writes_nothing(world, tmp_path):
    before = counts()

    report = run("usage", write_csv(tmp_path, "usage.csv", SNAKE, EXPORT), dry_run=True)

    assert report.ok and report.dry_run
    assert report.counts["team-day"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert report.counts["usage row"] == {"created": 8, "deleted": 0}
    assert "new products: Maya" in report.notes
    assert counts() == before
    assert "dry run of 8 rows; nothing was written" in report.format()


@committed_db
def test_a_successful_import_is_recorded_as_a_batch(world, tmp_path):
    from usage.models import ImportBatch

    path = write_csv(tmp_path, "usage.csv", SNAKE, EXPORT)
    report = run("usage", path)

    batch = ImportBatch.objects.using("maint").get()
    assert batch.pk == report.batch_id
    assert (batch.kind, batch.file_name, batch.rows) == ("usage", "usage.csv", 8)
    assert batch.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert batch.summary["counts"]["usage row"] == {"created": 8, "deleted": 0}
    assert batch.created_by is None
