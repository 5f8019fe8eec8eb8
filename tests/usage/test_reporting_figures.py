"""Pure figures of usage reporting: labels, bands, averages, weekly grid, table rows."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

import pytest

from usage import figures, ranges, tables
from usage.selectors import Breakdown, UserFigures, UserProduct

TEAM = "T-USE"
ANON = "a" * 64


def key(name: str) -> str:
    """A stored user key as the import makes it: an HMAC of the e-mail (hex)."""
    return hmac.new(b"server-secret", name.encode(), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ labels


def test_labels_are_four_hex_digits_of_a_per_team_hmac():
    ann = key("ann@acme.example")
    labels = figures.user_labels(TEAM, [ann], ANON)
    expected = hmac.new(TEAM.encode(), ann.encode(), hashlib.sha256).hexdigest()[:4].upper()
    assert labels == {ann: f"User {expected}"}
    assert re.fullmatch(r"User [0-9A-F]{4}", labels[ann])


def test_labels_are_stable_and_differ_between_teams():
    keys = [key(f"user{i}@acme.example") for i in range(20)]
    first = figures.user_labels(TEAM, keys, ANON)
    again = figures.user_labels(TEAM, list(reversed(keys)), ANON)
    assert first == again
    other = figures.user_labels("T-OTHER", keys, ANON)
    assert sum(first[k] == other[k] for k in keys) <= 1  # unlinkable across teams


def test_masked_user_is_anonymous():
    ann = key("ann@acme.example")
    labels = figures.user_labels(TEAM, [ann, ANON], ANON)
    assert labels[ANON] == figures.ANONYMOUS == "Anonymous"
    assert figures.label_slug("Anonymous") == "anonymous"
    assert figures.key_for_slug(labels, "anonymous") == ANON


def test_colliding_labels_are_lengthened_deterministically():
    # Find two keys whose four-digit labels collide in this team.
    seen: dict[str, str] = {}
    pair = None
    for i in range(100_000):
        k = key(f"u{i}")
        prefix = figures._digest(TEAM, k)[:4]
        if prefix in seen:
            pair = (seen[prefix], k)
            break
        seen[prefix] = k
    assert pair is not None
    loner = key("loner@acme.example")
    labels = figures.user_labels(TEAM, [*pair, loner], None)
    a, b = labels[pair[0]], labels[pair[1]]
    assert a != b and len(a) == len(b) > len("User 7F3A")
    assert a[:9] == b[:9]  # the shared four digits, then the first that differ
    assert len(labels[loner]) == len("User 7F3A")
    assert figures.user_labels(TEAM, [loner, pair[1], pair[0]], None) == labels


def test_labels_never_reveal_the_email_or_the_stored_key():
    emails = [f"person{i}@acme.example" for i in range(50)]
    keys = {e: key(e) for e in emails}
    labels = figures.user_labels(TEAM, keys.values(), ANON)
    for email, k in keys.items():
        label = labels[k]
        assert email not in label and email.split("@")[0] not in label.lower()
        assert k not in label


def test_slugs_round_trip_case_insensitively():
    ann = key("ann@acme.example")
    labels = figures.user_labels(TEAM, [ann], ANON)
    slug = figures.label_slug(labels[ann])
    assert re.fullmatch(r"[0-9A-F]{4}", slug)
    assert figures.key_for_slug(labels, slug.lower()) == ann
    assert figures.key_for_slug(labels, "ZZZZ") is None


# ------------------------------------------------------------------ bands and averages


def test_band_boundaries():
    counts = figures.band_counts([0, 100, 101, 500, 501, 1000, 1001, 25_000])
    assert counts == [("0–100", 2), ("101–500", 2), ("501–1,000", 2), ("> 1,000", 2)]
    assert figures.band_counts([]) == [
        ("0–100", 0),
        ("101–500", 0),
        ("501–1,000", 0),
        ("> 1,000", 0),
    ]


def test_monthly_average_for_each_range():
    d = date(2026, 3, 10)
    # 1,200 tokens: the 30-day range is one month, the month ranges their count of months.
    assert figures.monthly_average(1200, ranges.preset("30d", d).months) == 1200
    assert figures.monthly_average(1200, ranges.preset("3m", d).months) == 400
    assert figures.monthly_average(1200, ranges.preset("6m", d).months) == 200
    assert figures.monthly_average(1200, ranges.preset("9m", d).months) == pytest.approx(
        133.333, 1e-4
    )
    assert figures.monthly_average(1200, ranges.preset("12m", d).months) == 100
    # A custom range: half of December (17/31) and January: 48/31 months.
    custom = ranges.custom(date(2025, 12, 15), date(2026, 1, 31))
    assert figures.monthly_average(24, custom.months) == pytest.approx(15.5)
    assert figures.monthly_average(10, 0) == 0.0


def test_share():
    assert figures.share(621, 661) == pytest.approx(0.93949, 1e-4)
    assert figures.share(5, 0) is None


# ------------------------------------------------------------------ days used per week


def test_week_grid_counts_distinct_days_and_the_days_each_week_has_in_the_range():
    start, end = date(2025, 12, 3), date(2025, 12, 16)  # Wednesday … Tuesday
    grid = figures.week_grid(
        {
            "Revit": [date(2025, 12, 3), date(2025, 12, 3), date(2025, 12, 7), date(2025, 12, 16)],
            "AutoCAD": [date(2025, 12, 8), date(2025, 12, 2)],  # the 2nd is outside
        },
        start,
        end,
    )
    assert grid.weeks == [date(2025, 12, 1), date(2025, 12, 8), date(2025, 12, 15)]
    assert grid.capacity == [5, 7, 2]
    assert grid.rows == [("AutoCAD", [0, 1, 0]), ("Revit", [2, 0, 1])]


# ------------------------------------------------------------------ table rows


def users_fixture() -> dict[str, UserFigures]:
    ann, bob = UserFigures("k-ann", "User 1111", 24, 2), UserFigures("k-bob", "User 2222", 30, 3)
    ann.products = {1: UserProduct("k-ann", 1, 14, 2), 2: UserProduct("k-ann", 2, 10, 1)}
    bob.products = {2: UserProduct("k-bob", 2, 30, 3)}
    anon = UserFigures("k-anon", "Anonymous", 7, 1, {1: UserProduct("k-anon", 1, 7, 1)})
    return {"k-ann": ann, "k-bob": bob, "k-anon": anon}


def test_product_rows_users_tokens_average_share():
    rng = ranges.preset("3m", date(2026, 3, 10))
    rows = {
        r.product: r for r in tables.product_rows(users_fixture(), {1: "AutoCAD", 2: "Revit"}, rng)
    }
    # AutoCAD: ann 14 + anonymous 7 = 21 tokens, 2 users; Revit: ann 10 + bob 30 = 40, 2 users.
    assert (rows["AutoCAD"].users, rows["AutoCAD"].tokens) == (2, 21)
    assert (rows["Revit"].users, rows["Revit"].tokens) == (2, 40)
    assert rows["AutoCAD"].avg_month == 7.0 and rows["Revit"].avg_month == pytest.approx(40 / 3)
    assert rows["AutoCAD"].share == pytest.approx(21 / 61)


def test_user_rows_and_sorting_with_anonymous_last_on_labels():
    rng = ranges.preset("30d", date(2026, 3, 10))
    rows = tables.user_rows(users_fixture(), {1: "AutoCAD", 2: "Revit"}, rng)
    by_label = {r.label: r for r in rows}
    assert by_label["User 1111"].product_names == "AutoCAD, Revit"  # by tokens: 14, 10
    assert by_label["User 1111"].avg_month == 24 and by_label["User 1111"].slug == "1111"
    assert by_label["Anonymous"].slug == "anonymous"
    ordered, key_used = tables.sort_rows(rows, tables.USERS, "user")
    assert [r.label for r in ordered] == ["User 1111", "User 2222", "Anonymous"]
    assert key_used == "user"
    ordered, _ = tables.sort_rows(rows, tables.USERS, "-tokens")
    assert [r.tokens for r in ordered] == [30, 24, 7]
    ordered, key_used = tables.sort_rows(rows, tables.USERS, "products")  # not sortable
    assert key_used == "-tokens"


def test_band_and_breakdown_rows():
    bands = tables.band_rows(users_fixture().values())
    assert [(b.band, b.users) for b in bands] == [
        ("0–100", 3),
        ("101–500", 0),
        ("501–1,000", 0),
        ("> 1,000", 0),
    ]
    rows = tables.breakdown_rows([Breakdown(1, "", 2, 21, 3)], {1: "AutoCAD"})
    assert rows[0].value == "(not reported)" and rows[0].product == "AutoCAD"


def test_display_formats():
    column = tables.PRODUCTS.column
    assert tables.display(column("tokens"), 1234567) == "1,234,567"
    assert tables.display(column("avg_tokens_per_month"), 1234.56) == "1,234.6"
    assert tables.display(column("share"), 0.93949) == "93.9%"
    assert tables.display(tables.DAILY.column("day"), date(2026, 3, 9)) == "2026-03-09"
    assert tables.display(column("product"), "") == "—"


def test_export_rows_follow_the_columns():
    rows = tables.export_rows(
        [tables.ProductRow(1, "AutoCAD", 2, 21, 7.0, 21 / 61)], tables.PRODUCTS.columns
    )
    assert rows == [("AutoCAD", 2, 21, 7.0, 0.344)]
