"""Usage reporting pages (SPEC §9) against a small team whose figures are worked out here.

The usage goes through the real import (tests.usage.factories.run), so the roll-ups the
pages read are the ones the import keeps. D = 2026-03-10:
- past 30 days  = 2026-02-08 … 2026-03-09
- past 3 months = 2025-12-01 … 2026-02-28 (90 days)
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from flex.models import TokenEvent
from tests.conftest import committed_db
from tests.factories import MAINT, make_pack, make_snapshot, make_team
from tests.usage.factories import rows, run, write_csv
from usage import figures
from usage.imports.pseudonym import anonymous_key, user_key

pytestmark = committed_db

D = date(2026, 3, 10)
HEADER = ["day_used", "team", "product_name", "version", "email", "tokens_used", "feature"]
ANN, BOB, CARA, DAN = (
    "ann@acme.example",
    "bob@acme.example",
    "cara@acme.example",
    "dan@beta.example",
)
USAGE = [
    # n°  day          team     product    version user     tokens feature
    ["2025-11-30", "T-USE", "AutoCAD", "2025", ANN, "7", ""],  # 1: before 3m
    ["2025-12-01", "T-USE", "AutoCAD", "2025", ANN, "7", ""],  # 2
    ["2025-12-01", "T-USE", "Revit", "2026", ANN, "10", "Render"],  # 3: same day as 2
    ["2025-12-15", "T-USE", "Revit", "2026", BOB, "10", ""],  # 4
    ["2026-01-10", "T-USE", "AutoCAD", "2026", ANN, "7", ""],  # 5
    ["2026-01-10", "T-USE", "AutoCAD", "2026", "*****", "7", ""],  # 6: anonymous
    ["2026-02-07", "T-USE", "Revit", "2025", BOB, "10", ""],  # 7: 3m, not 30d
    ["2026-02-08", "T-USE", "Revit", "2026", BOB, "10", "Render"],  # 8: 3m and 30d
    ["2026-02-28", "T-USE", "AutoCAD", "2026", CARA, "600", ""],  # 9: 3m and 30d
    ["2026-03-01", "T-USE", "AutoCAD", "2026", CARA, "500", ""],  # 10: 30d
    ["2026-03-09", "T-USE", "Revit", "2026", ANN, "10", ""],  # 11: 30d, D−1
    ["2026-03-10", "T-USE", "AutoCAD", "2026", ANN, "7", ""],  # 12: D, in no range
    ["2026-01-20", "T-A2", "AutoCAD", "2026", DAN, "70", ""],  # another team of A
    ["2026-01-20", "T-B", "Maya", "2026", DAN, "6", ""],  # B's team only
    ["2026-01-20", "T-NONE", "AutoCAD", "2026", DAN, "7", ""],  # nobody's team
]


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


@pytest.fixture
def team(tenants, tmp_path):
    t = tenants
    team = make_team("T-USE", "Usage Studio", linked=[t.a])
    make_team("T-A2", "Second Studio", linked=[t.a])
    make_team("T-B", "Bee Team", linked=[t.b])
    make_team("T-NONE", "Nobody's Team")
    report = run("usage", write_csv(tmp_path, "usage.csv", HEADER, USAGE))
    assert report.ok, report.row_errors
    # Pool: 1,000 tokens of which 150 remain (red, under 20%); 300 from another supplier,
    # who sold them during the week (a week ago there was no additional token).
    make_snapshot(
        t.a, team, D, flex_total_tokens=1000, flex_tokens_balance=150, flex_purchased_tokens=700
    )
    make_snapshot(
        t.a,
        team,
        date(2026, 3, 3),
        flex_total_tokens=700,
        flex_tokens_balance=200,
        flex_purchased_tokens=700,
    )
    make_pack(team, "SO-OLD", t.a, 200, date(2025, 3, 11))
    fresh = make_pack(team, "SO-7D", t.a, 500, date(2026, 3, 6))
    TokenEvent.unscoped.using(MAINT).create(
        kind="adjustment", date=date(2026, 3, 8), pack=fresh, quantity=-20, reason="Goodwill"
    )
    TokenEvent.unscoped.using(MAINT).create(
        kind="adjustment", date=date(2026, 3, 2), pack=fresh, quantity=5, reason="Too old"
    )
    return team


def label(email: str) -> str:
    keys = [user_key(e) for e in (ANN, BOB, CARA)] + [anonymous_key()]
    labels = figures.user_labels("T-USE", keys, anonymous_key())
    return labels[anonymous_key() if email == "*****" else user_key(email)]


def slug(email: str) -> str:
    return figures.label_slug(label(email))


def product_id(name: str) -> int:
    return rows("SELECT id FROM usage_product WHERE name = %s", [name])[0][0]


URL = "/teams/T-USE/usage/"


# ------------------------------------------------------------------ summary


def test_summary_pool_and_tokens_added_or_removed_in_7_days(client_a, team):
    response = client_a.get(URL + "?range=3m")
    assert response.status_code == 200
    ctx = response.context
    assert ctx["snapshot"].flex_tokens_consumption == 850
    assert ctx["snapshot"].flex_tokens_balance == 150 and ctx["low_balance"] is True
    # D−6 … D: purchased +500 (2026-03-06), adjusted −20 (03-08), other suppliers +300
    # (additional tokens 0 on 2026-03-03, 300 on D); the adjustment of 03-02 is older.
    changes = [(c.date, c.kind, c.tokens) for c in ctx["changes"]]
    assert changes == [
        (D, "Other suppliers", 300),
        (date(2026, 3, 8), "Adjusted", -20),
        (date(2026, 3, 6), "Purchased", 500),
    ]
    assert ctx["change_net"] == 780
    content = response.content.decode()
    assert "+780" in content and "spp-kpi-alert" in content
    for foreign in ("FOREIGN", "Too old"):
        assert foreign not in content


def test_summary_figures_for_the_past_3_months(client_a, team):
    ctx = client_a.get(URL + "?range=3m").context
    # Rows 2–9: 7 + 10 + 10 + 7 + 7 + 10 + 10 + 600
    assert ctx["range_tokens"] == 661
    assert ctx["range_products"] == 2  # AutoCAD, Revit
    assert ctx["range_users"] == 4  # ann, bob, cara, anonymous
    assert ctx["range_avg"] == pytest.approx(661 / 3)
    assert ctx["range_days_used"] == 6  # 12-01, 12-15, 01-10, 02-07, 02-08, 02-28
    assert [p.product for p, _ in ctx["top_products"]] == ["AutoCAD", "Revit"]
    assert [(u.label, u.tokens) for u, _ in ctx["top_users"]] == [
        (label(CARA), 600),
        (label(BOB), 30),
        (label(ANN), 24),
        ("Anonymous", 7),
    ]


def test_summary_defaults_to_the_past_30_days_and_charts_365_days(client_a, team):
    response = client_a.get(URL)
    ctx = response.context
    assert ctx["range"].key == "30d"
    # Rows 8–11: 10 + 600 + 500 + 10; row 12 is D itself.
    assert ctx["range_tokens"] == 1120
    assert ctx["range_users"] == 3 and ctx["range_products"] == 2
    assert ctx["range_avg"] == 1120  # one month
    assert ctx["chart_start"] == date(2025, 3, 10) and ctx["chart_end"] == date(2026, 3, 9)
    assert ctx["chart_total"] == 7 + 661 + 500 + 10  # rows 1–11
    assert 'data-testid="line-chart"' in response.content.decode()


def test_custom_range_across_a_cut_month_and_a_full_one(client_a, team):
    ctx = client_a.get(URL + "?start=2025-12-15&end=2026-01-31").context
    # Rows 4, 5, 6: bob 10 (cut December), ann 7 + anonymous 7 (January in full).
    assert ctx["range_tokens"] == 24 and ctx["range_users"] == 3
    # 17/31 of December + January = 48/31 months: 24 × 31 / 48
    assert ctx["range_avg"] == pytest.approx(15.5)
    assert ctx["range_months"] == "1.55"


def test_a_bad_range_says_why_and_shows_the_past_30_days(client_a, team):
    response = client_a.get(URL + "?start=2026-03-05&end=2026-03-01")
    assert response.status_code == 200
    assert response.context["range"].key == "30d"
    content = response.content.decode()
    assert "That range could not be used." in content
    assert "The start date (2026-03-05) is after the end date (2026-03-01)." in content
    assert client_a.get(URL + "?range=5y").status_code == 200


# ------------------------------------------------------------------ by product


def test_products_for_the_past_3_months(client_a, team):
    response = client_a.get(URL + "products/?range=3m")
    shown = response.context["products"]
    cells = [[c["text"] for c in row["cells"]] for row in shown.rows]
    # AutoCAD: 7 + 7 + 7 + 600 = 621 by ann, anonymous, cara; Revit: 4 × 10 by ann, bob.
    # Averages over 3 months; shares of 661.
    assert cells == [
        ["AutoCAD", "3", "621", "207.0", "93.9%"],
        ["Revit", "2", "40", "13.3", "6.1%"],
    ]
    assert shown.footer == ["Total", "4", "661", "220.3", "100.0%"]
    assert f"/teams/T-USE/usage/products/{product_id('AutoCAD')}/?range=3m" in (
        response.content.decode()
    )


def test_products_sort_by_any_column(client_a, team):
    shown = client_a.get(URL + "products/?range=3m&sort=product").context["products"]
    assert [r["cells"][0]["text"] for r in shown.rows] == ["AutoCAD", "Revit"]
    shown = client_a.get(URL + "products/?range=3m&sort=-product").context["products"]
    assert [r["cells"][0]["text"] for r in shown.rows] == ["Revit", "AutoCAD"]
    assert shown.headers[0]["aria_sort"] == "descending"


def test_average_per_month_for_each_range(client_a, team):
    expected = {
        # range: (AutoCAD tokens, months)
        "30d": (1100, 1),  # cara 600 + 500
        "3m": (621, 3),
        "6m": (628, 6),  # and row 1 (2025-11-30)
        "9m": (628, 9),
        "12m": (628, 12),
    }
    for key, (tokens, months) in expected.items():
        shown = client_a.get(URL + f"products/?range={key}").context["products"]
        autocad = next(r for r in shown.rows if r["cells"][0]["text"] == "AutoCAD")
        assert autocad["cells"][2]["text"] == f"{tokens:,}", key
        assert autocad["cells"][3]["text"] == f"{tokens / months:,.1f}", key


def test_product_detail_bands_versions_and_users(client_a, team):
    autocad = product_id("AutoCAD")
    ctx = client_a.get(URL + f"products/{autocad}/?range=3m").context
    assert ctx["users_count"] == 3 and ctx["tokens"] == 621
    assert ctx["share"] == pytest.approx(621 / 661)
    assert ctx["days_used"] == 3  # 12-01, 01-10, 02-28
    # ann 14 and anonymous 7 in 0–100, cara 600 in 501–1,000
    assert [[c["text"] for c in r["cells"]] for r in ctx["bands"].rows] == [
        ["0–100", "2"],
        ["101–500", "0"],
        ["501–1,000", "1"],
        ["> 1,000", "0"],
    ]
    versions = {
        r["cells"][0]["text"]: [c["text"] for c in r["cells"][1:]] for r in ctx["versions"].rows
    }
    assert versions == {"2025": ["1", "7"], "2026": ["3", "614"]}
    users = [[c["text"] for c in r["cells"]] for r in ctx["users"].rows]
    assert users == [
        [label(CARA), "600", "200.0", "1", "501–1,000"],
        [label(ANN), "14", "4.7", "2", "0–100"],
        ["Anonymous", "7", "2.3", "1", "0–100"],
    ]
    assert ctx["features"] is None  # the feed named no AutoCAD feature
    content = client_a.get(URL + f"products/{autocad}/?range=3m").content.decode()
    assert 'data-testid="band-chart"' in content and 'data-testid="line-chart"' in content


def test_product_detail_band_over_1000_and_features(client_a, team):
    ctx = client_a.get(URL + f"products/{product_id('AutoCAD')}/?range=30d").context
    # cara 600 + 500 = 1,100 in the past 30 days
    assert [r["cells"][1]["text"] for r in ctx["bands"].rows] == ["0", "0", "0", "1"]
    revit = client_a.get(URL + f"products/{product_id('Revit')}/?range=3m").context
    features = {
        r["cells"][0]["text"]: [c["text"] for c in r["cells"][1:]] for r in revit["features"].rows
    }
    # Render: ann (row 3) and bob (row 8); not reported: bob (rows 4, 7)
    assert features == {"Render": ["2", "20"], "(not reported)": ["1", "20"]}


def test_product_detail_of_a_product_the_team_never_used_is_404(client_a, team):
    assert client_a.get(URL + f"products/{product_id('Maya')}/").status_code == 404
    assert client_a.get(URL + "products/999999/").status_code == 404


def test_product_detail_without_usage_in_the_range_says_so(client_a, team):
    response = client_a.get(
        URL + f"products/{product_id('Revit')}/?start=2026-01-01&end=2026-01-31"
    )
    assert response.status_code == 200
    assert "Nobody used Revit in this range." in response.content.decode()


# ------------------------------------------------------------------ by user


def test_users_for_the_past_3_months(client_a, team):
    response = client_a.get(URL + "users/?range=3m")
    cells = [[c["text"] for c in r["cells"]] for r in response.context["users"].rows]
    # ann: 7 + 10 + 7 on 12-01 (two products, one day) and 01-10; bob: 3 × 10 on three days.
    assert cells == [
        [label(CARA), "AutoCAD", "1", "600", "200.0", "1"],
        [label(BOB), "Revit", "1", "30", "10.0", "3"],
        [label(ANN), "AutoCAD, Revit", "2", "24", "8.0", "2"],
        ["Anonymous", "AutoCAD", "1", "7", "2.3", "1"],
    ]
    content = response.content.decode()
    for email in (ANN, BOB, CARA, "ann@", "bob@", "cara@"):
        assert email not in content
    for email in (ANN, BOB, CARA):
        assert user_key(email) not in content and user_key(email)[:16] not in content
    assert f"/teams/T-USE/usage/users/{slug(ANN)}/?range=3m" in content


def test_user_detail_days_products_weeks_versions(client_a, team):
    response = client_a.get(URL + f"users/{slug(ANN)}/?range=3m")
    ctx = response.context
    assert ctx["user_label"] == label(ANN)
    assert (ctx["person"].tokens, ctx["person"].days) == (24, 2)  # of 90 days
    assert ctx["avg_month"] == 8.0
    products = [[c["text"] for c in r["cells"]] for r in ctx["products"].rows]
    assert products == [
        ["AutoCAD", "14", "4.7", "2", "58.3%"],
        ["Revit", "10", "3.3", "1", "41.7%"],
    ]
    versions = [[c["text"] for c in r["cells"]] for r in ctx["versions"].rows]
    assert versions == [
        ["AutoCAD", "2025", "1", "7"],
        ["AutoCAD", "2026", "1", "7"],
        ["Revit", "2026", "1", "10"],
    ]
    content = response.content.decode()
    assert "2 <small" in content and "of 90" in content
    assert 'data-testid="heat-grid"' in content
    assert "AutoCAD, week of 2025-12-01: 1 of 7 days" in content
    assert "Revit, week of 2025-12-01: 1 of 7 days" in content
    assert "AutoCAD, week of 2026-01-05: 1 of 7 days" in content
    assert "AutoCAD, week of 2026-02-23: 0 of 6 days" in content  # 02-23 … 02-28


def test_user_detail_of_bob_counts_each_day_once(client_a, team):
    ctx = client_a.get(URL + f"users/{slug(BOB)}/?range=3m").context
    assert (ctx["person"].tokens, ctx["person"].days) == (30, 3)
    versions = [[c["text"] for c in r["cells"]] for r in ctx["versions"].rows]
    assert versions == [["Revit", "2025", "1", "10"], ["Revit", "2026", "2", "20"]]


def test_user_detail_anonymous_and_unknown_labels(client_a, team):
    response = client_a.get(URL + "users/anonymous/?range=3m")
    assert response.status_code == 200 and response.context["person"].tokens == 7
    assert client_a.get(URL + f"users/{slug(ANN).lower()}/").status_code == 200
    assert client_a.get(URL + "users/ZZZZ/").status_code == 404
    assert client_a.get(URL + f"users/{user_key(ANN)}/").status_code == 404
    quiet = client_a.get(URL + f"users/{slug(CARA)}/?start=2025-12-01&end=2025-12-31")
    assert quiet.status_code == 200 and "used no tokens in this range" in quiet.content.decode()


# ------------------------------------------------------------------ exports


def test_table_exports_xlsx_and_csv(client_a, team):
    response = client_a.get(URL + "products/?range=3m&export=products&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="usage-T-USE-products-2025-12-01-to-2026-02-28.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("product", "users", "tokens", "avg_tokens_per_month", "share"),
        ("AutoCAD", 3, 621, 207.0, 0.939),
        ("Revit", 2, 40, 13.3, 0.061),
    ]
    response = client_a.get(URL + "users/?range=3m&export=users&format=csv")
    text = response.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == [
        "user",
        "products",
        "product_count",
        "tokens",
        "avg_tokens_per_month",
        "days_used",
    ]
    assert lines[1:] == [
        [label(CARA), "AutoCAD", "1", "600", "200.0", "1"],
        [label(BOB), "Revit", "1", "30", "10.0", "3"],
        [label(ANN), "AutoCAD, Revit", "2", "24", "8.0", "2"],
        ["Anonymous", "AutoCAD", "1", "7", "2.3", "1"],
    ]
    weeks = client_a.get(URL + f"users/{slug(ANN)}/?range=3m&export=weeks&format=csv")
    week_rows = list(csv.reader(io.StringIO(weeks.content.decode("utf-8-sig"))))
    assert len(week_rows) == 1 + 2 * 13  # two products × 13 weeks
    assert ["2025-12-01", "AutoCAD", "1", "7"] in week_rows


def test_every_table_of_every_page_exports(client_a, team):
    pages = {
        URL: ("daily", "events"),
        URL + "products/": ("products",),
        URL + f"products/{product_id('Revit')}/": ("users", "bands", "versions", "features"),
        URL + "users/": ("users",),
        URL + f"users/{slug(ANN)}/": ("products", "versions", "weeks"),
        "/usage/": ("products", "months", "teams"),
    }
    for url, names in pages.items():
        for name in names:
            for fmt in ("xlsx", "csv"):
                response = client_a.get(f"{url}?range=3m&export={name}&format={fmt}")
                assert response.status_code == 200, (url, name, fmt)
                assert response["Content-Disposition"].endswith(f'.{fmt}"')


def test_raw_export_rows_as_imported_with_pseudonymous_users(client_a, team):
    response = client_a.get(URL + "raw.csv?range=3m")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["day", "team_id", "product", "version", "user", "feature", "tokens"]
    # Rows 2–9 in day and product order; on 2026-01-10 ann and the anonymous user (in the
    # order of their pseudonymous keys).
    assert lines[1:4] == [
        ["2025-12-01", "T-USE", "AutoCAD", "2025", label(ANN), "", "7"],
        ["2025-12-01", "T-USE", "Revit", "2026", label(ANN), "Render", "10"],
        ["2025-12-15", "T-USE", "Revit", "2026", label(BOB), "", "10"],
    ]
    assert sorted(lines[4:6]) == sorted(
        [
            ["2026-01-10", "T-USE", "AutoCAD", "2026", label(ANN), "", "7"],
            ["2026-01-10", "T-USE", "AutoCAD", "2026", "Anonymous", "", "7"],
        ]
    )
    assert lines[6:] == [
        ["2026-02-07", "T-USE", "Revit", "2025", label(BOB), "", "10"],
        ["2026-02-08", "T-USE", "Revit", "2026", label(BOB), "Render", "10"],
        ["2026-02-28", "T-USE", "AutoCAD", "2026", label(CARA), "", "600"],
    ]
    text = response.content.decode()
    for email in (ANN, BOB, CARA):
        assert email not in text and user_key(email) not in text
    xlsx = client_a.get(URL + "raw.xlsx?start=2026-02-08&end=2026-03-09")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 1 + 4  # rows 8–11
    assert values[1][0].date() == date(2026, 2, 8) and values[1][6] == 10


def test_exports_refuse_bad_requests_with_a_reason(client_a, team):
    bad_range = client_a.get(URL + "raw.csv?start=2026-03-01&end=2026-03-10")
    assert bad_range.status_code == 400
    assert "on or before 2026-03-09" in bad_range.content.decode()
    assert client_a.get(URL + "products/?export=nope&format=csv").status_code == 400
    assert client_a.get(URL + "products/?export=products&format=pdf").status_code == 400
    assert client_a.get(URL + "products/?range=7y&export=products&format=csv").status_code == 400


# ------------------------------------------------------------------ isolation


def test_other_partners_and_unlinked_teams_get_404(client, tenants, team):
    pages = [
        URL,
        URL + "products/",
        URL + f"products/{product_id('AutoCAD')}/",
        URL + "users/",
        URL + f"users/{slug(ANN)}/",
        URL + "raw.csv",
        URL + "raw.xlsx",
        URL + "products/?export=products&format=csv",
    ]
    client.force_login(tenants.b_admin)
    for url in pages:
        assert client.get(url).status_code == 404, url
    client.force_login(tenants.a_viewer)
    for url in pages:
        assert client.get(url).status_code == 200, url
        assert client.get(url.replace("T-USE", "T-NONE")).status_code == 404, url
        assert client.get(url.replace("T-USE", "T-B")).status_code == 404, url


def test_portfolio_sums_only_the_partners_teams(client_a, client, tenants, team):
    ctx = client_a.get("/usage/?range=3m").context
    # T-USE 661 and T-A2 70 (2026-01-20); never T-B's or T-NONE's.
    assert ctx["totals"]["tokens"] == 731 and ctx["totals"]["teams"] == 2
    products = [[c["text"] for c in r["cells"]] for r in ctx["products"].rows]
    assert products == [
        ["AutoCAD", "2", "691", "230.3", "94.5%"],
        ["Revit", "1", "40", "13.3", "5.5%"],
    ]
    months = dict(ctx["month_totals"])
    # December 7 + 10 + 10; January 7 + 7 + 70; February 10 + 10 + 600
    assert months == {date(2025, 12, 1): 27, date(2026, 1, 1): 84, date(2026, 2, 1): 620}
    teams = [[c["text"] for c in r["cells"]] for r in ctx["teams"].rows]
    assert teams[0][:4] == ["Usage Studio", "Customer of Usage Studio", "661", "7.3"]
    assert teams[1][:4] == ["Second Studio", "Customer of Second Studio", "70", "0.8"]
    assert 'data-testid="month-chart"' in client_a.get("/usage/?range=3m").content.decode()
    client.force_login(tenants.b_admin)
    b = client.get("/usage/?range=3m").context
    assert b["totals"]["tokens"] == 6 and b["product_count"] == 1


def test_portfolio_of_ranges_that_cut_months(client_a, team):
    """Full months come from the monthly product roll-up, cut months from the daily one;
    the sums and days used must be those of the rows either way."""

    def teams_csv(query: str) -> list[list[str]]:
        response = client_a.get(f"/usage/?{query}&export=teams&format=csv")
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        header = lines[0]
        keep = [header.index(k) for k in ("team_id", "tokens", "days_used")]
        return [[line[i] for i in keep] for line in lines[1:]]

    # 30 days (2026-02-08 … 03-09) cuts February and March: rows 8, 9, 10 and 11.
    ctx = client_a.get("/usage/?range=30d").context
    assert ctx["totals"] == {"tokens": 1120, "teams": 1}
    assert teams_csv("range=30d") == [["T-USE", "1120", "4"]]
    # 2025-12-15 … 2026-02-07: half of December, all January, a week of February.
    query = "start=2025-12-15&end=2026-02-07"
    ctx = client_a.get(f"/usage/?{query}").context
    assert ctx["totals"] == {"tokens": 104, "teams": 2}  # 10 + 7 + 7 + 10, and T-A2's 70
    products = [[c["text"] for c in r["cells"]][:3] for r in ctx["products"].rows]
    assert products == [["AutoCAD", "2", "84"], ["Revit", "1", "20"]]
    assert dict(ctx["month_totals"]) == {
        date(2025, 12, 1): 10,
        date(2026, 1, 1): 84,
        date(2026, 2, 1): 10,
    }
    # T-USE used tokens on 12-15, 01-10 (two users, one day) and 02-07.
    assert teams_csv(query) == [["T-A2", "70", "1"], ["T-USE", "34", "3"]]


# ------------------------------------------------------------------ queries and roll-up


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connections["default"]) as ctx:
        assert client.get(url).status_code == 200, url
    return len(ctx.captured_queries)


def test_a_constant_number_of_queries_whatever_the_range_and_the_data(client_a, team, tmp_path):
    pages = [
        URL,
        URL + "products/",
        URL + f"products/{product_id('AutoCAD')}/",
        URL + "users/",
        URL + f"users/{slug(ANN)}/",
        "/usage/",
    ]
    ranges = ("?range=30d", "?range=3m", "?range=12m", "?start=2025-11-15&end=2026-02-10")
    before = {(p, r): count_queries(client_a, p + r) for p in pages for r in ranges}
    for page in pages:
        assert len({before[(page, r)] for r in ranges}) == 1, page
    more = [
        [f"2026-01-{day:02d}", "T-USE", product, "2026", f"user{u}@acme.example", "3", ""]
        for day in range(11, 29)
        for product in ("AutoCAD", "Revit", "Maya", "Fusion")
        for u in range(12)
    ]
    assert run("usage", write_csv(tmp_path, "more.csv", HEADER, more)).ok
    after = {(p, r): count_queries(client_a, p + r) for p in pages for r in ranges}
    assert after == before
    assert max(before.values()) <= 25


def test_the_monthly_roll_ups_match_the_rows_after_a_day_is_replaced(team, tmp_path):
    corrected = [
        ["2026-01-10", "T-USE", "AutoCAD", "2026", ANN, "9", ""],
        ["2026-01-10", "T-USE", "Revit", "2025", BOB, "10", "Render"],
    ]
    assert run("usage", write_csv(tmp_path, "fix.csv", HEADER, corrected)).ok
    from_rows = rows(
        """
        SELECT team_id, date_trunc('month', day)::date, product_id, version, feature, user_key,
               sum(tokens), bit_or(1 << (extract(day FROM day)::int - 1))
        FROM usage_usagerow GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        """
    )
    rolled = rows(
        "SELECT team_id, month, product_id, version, feature, user_key, tokens, days "
        "FROM usage_usagemonthlyuser ORDER BY 1, 2, 3, 4, 5, 6"
    )
    assert rolled == from_rows
    january = rows(
        "SELECT sum(tokens), bit_or(days) FROM usage_usagemonthlyuser m "
        "JOIN teams_team t ON t.id = m.team_id WHERE t.team_id = 'T-USE' AND month = '2026-01-01'"
    )
    assert january == [(19, 1 << 9)]  # ann 9 + bob 10, both on the 10th (the anonymous 7 went)
    by_product = rows(
        """
        SELECT team_id, date_trunc('month', day)::date, product_id, sum(tokens),
               bit_or(1 << (extract(day FROM day)::int - 1))
        FROM usage_usagerow GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        """
    )
    assert by_product == rows(
        "SELECT team_id, month, product_id, tokens, days FROM usage_usagemonthlyproduct "
        "ORDER BY 1, 2, 3"
    )


def test_team_page_has_the_usage_tabs(client_a, team):
    content = client_a.get("/teams/T-USE/").content.decode()
    for href in (
        "/teams/T-USE/usage/",
        "/teams/T-USE/usage/products/",
        "/teams/T-USE/usage/users/",
    ):
        assert f'href="{href}"' in content
    assert 'data-testid="tab-balances"' in content and 'aria-current="page"' in content


def test_odd_requests_never_fail(client_a, team):
    for url in (
        URL + "?start=0001-01-01&end=0001-01-02",
        URL + "?start=2026-02-30&end=2026-03-01",
        URL + "?range=%00",
        URL + "users/?sort=%00",
        "/usage/?start=9999-12-31&end=9999-12-31",
    ):
        response = client_a.get(url)
        assert response.status_code == 200, url
        assert response.context["range_problem"] or "sort" in url, url
    assert client_a.get("/teams/%00/usage/").status_code == 404
    assert client_a.get(URL + "products/99999999999999999999999/").status_code == 404
    assert client_a.get(URL + "raw.csv?start=0001-01-01&end=0001-01-02").status_code == 400
