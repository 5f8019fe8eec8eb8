"""The advisor tab, its printable report, its export and the portfolio (SPEC §10), against a
team whose figures are worked out by hand.

D = 2026-03-10, range 3m = 2025-12-01 … 2026-02-28 (3 months). Partner A prices tokens at
3.00 USD; the catalog: AutoCAD 7 tokens a day, 2,030 USD a named seat a year; Revit 10
and 3,180 USD.

- ann: AutoCAD on days 1–20 of each month: 60 days, 420 tokens, 20 a month: power.
  A year on Flex: 420 × 3 × 12 ÷ 3 = 5,040.00; a seat saves 3,010.00.
- bob: AutoCAD on days 1–10: 30 days, 210 tokens, 10 a month: regular; saves 490.00.
- cara: Revit on six days of February: 60 tokens, 2 a month: rare; 720.00 < 3,180.00.
Tokens per month: December 210, January 210, February 270: the peak is February, 270 ÷
230 = 1.17 times the average month. Saving: 3,500.00 USD a year for 2 users.
Pool (snapshot): balance 766, 280 tokens in 30 days, latest end 2027-01-04 (300 days):
2,800 tokens needed, refill 2,034 (6,102.00 USD).
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.conftest import committed_db
from tests.factories import make_snapshot, make_team
from tests.usage.factories import run, write_csv
from usage import figures
from usage.imports.pseudonym import user_key

pytestmark = committed_db

D = date(2026, 3, 10)
ANN, BOB, CARA = "ann@acme.example", "bob@acme.example", "cara@acme.example"


def usage_rows() -> list[list[str]]:
    rows = []
    for month in ("2025-12", "2026-01", "2026-02"):
        for day in range(1, 21):
            rows.append([f"{month}-{day:02d}", "T-ADV", "AutoCAD", "2026", ANN, "7"])
        for day in range(1, 11):
            rows.append([f"{month}-{day:02d}", "T-ADV", "AutoCAD", "2025", BOB, "7"])
    for day in (2, 3, 9, 10, 16, 17):
        rows.append([f"2026-02-{day:02d}", "T-ADV", "Revit", "2026", CARA, "10"])
    rows.append(["2026-01-15", "T-BEE", "Revit", "2026", CARA, "10"])
    return rows


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


@pytest.fixture
def advised(tenants, tmp_path):
    team = make_team("T-ADV", "Advice Studio", linked=[tenants.a], country="US")
    waste_team = make_team("T-WASTE", "Waste Works", linked=[tenants.a])
    make_team("T-BEE", "Bee Team", linked=[tenants.b])
    rates = run(
        "product_rates",
        write_csv(
            tmp_path,
            "rates.csv",
            ["product", "tokens_per_day", "effective_from", "named_user_price", "currency"],
            [["AutoCAD", "7", "2024-01-01", "2030", "USD"], ["Revit", "10", "2024-01-01", "3180", "USD"]],
        ),
    )  # fmt: skip
    assert rates.ok, rates.format()
    usage = run(
        "usage",
        write_csv(
            tmp_path,
            "usage.csv",
            ["day_used", "team", "product_name", "version", "email", "tokens_used"],
            usage_rows(),
        ),
    )
    assert usage.ok, usage.format()
    make_snapshot(
        tenants.a,
        team,
        D,
        flex_total_tokens=3000,
        flex_tokens_balance=766,
        flex_consumption_rate_30=280 / 30,
        flex_consumption_rate_180=7.1,
        flex_latest_end_date=date(2027, 1, 4),
        projected_runout_date=date(2026, 5, 31),
    )
    make_snapshot(
        tenants.a,
        waste_team,
        D,
        flex_total_tokens=2000,
        flex_tokens_balance=1500,
        flex_consumption_rate_30=1.0,
        forecast_expiring_unused=400,
        flex_latest_end_date=date(2026, 6, 1),
        projected_runout_date=date(2026, 6, 1),
    )
    return tenants


def label(email: str) -> str:
    return figures.user_labels("T-ADV", [user_key(email)])[user_key(email)]


def test_the_advisor_tab_shows_seats_savings_waste_refill_segments_mix_and_season(
    client_a, advised
):
    response = client_a.get("/teams/T-ADV/advisor/?range=3m")
    assert response.status_code == 200
    context = response.context
    page = response.content.decode()
    advice = context["advice"]
    assert [(s.label, s.segment) for s in advice.segments] == [
        (label(ANN), "power"),
        (label(BOB), "regular"),
        (label(CARA), "rare"),
    ]
    seats = [(r.label, r.product, r.flex_year, r.named_year, r.saving, r.recommendation)
             for r in context["seat_rows"]]  # fmt: skip
    assert seats == [
        (label(ANN), "AutoCAD", 5040.0, 2030.0, 3010.0, "Named seat"),
        (label(BOB), "AutoCAD", 2520.0, 2030.0, 490.0, "Named seat"),
        (label(CARA), "Revit", 720.0, 3180.0, None, "Flex"),
    ]
    assert context["saving"] == 3500.0 and context["saving_currency"] == "USD"
    assert [(b.product, round(b.days, 2), b.users_above) for b in context["break_even"]] == [
        ("AutoCAD", 8.06, 2),
        ("Revit", 8.83, 0),
    ]
    waste = advice.waste
    assert (waste.waste, waste.need, waste.refill) == (0, 2800, 2034)
    assert [(m.product, m.tokens) for m in context["mix_rows"]] == [("AutoCAD", 630), ("Revit", 60)]
    # Fewer than twelve calendar months: in the order the range covers them.
    assert [(m.name, m.tokens) for m in advice.season.months] == [
        ("Dec", 210),
        ("Jan", 210),
        ("Feb", 270),
    ]
    assert advice.season.peak.name == "Feb"
    assert advice.sessions is None  # no session logs
    assert 'data-testid="advisor-saving">3,500.00<' in page
    assert 'data-testid="advisor-refill">2,034<' in page
    assert 'data-testid="advisor-peak">Feb<' in page
    for testid in ("segment-chart", "mix-chart", "season-chart", "seats-table", "tab-advisor"):
        assert f'data-testid="{testid}"' in page
    assert ANN not in page and BOB not in page


def test_the_advisor_defaults_to_the_past_12_months(client_a, advised):
    response = client_a.get("/teams/T-ADV/advisor/")
    rng = response.context["range"]
    assert (rng.key, rng.start, rng.end) == ("12m", date(2025, 3, 1), date(2026, 2, 28))
    # Over 12 months ann's 60 days are 5 a month: occasional, and Flex is cheaper.
    advice = response.context["advice"]
    assert advice.segments[0].segment == "occasional"
    assert response.context["movers"] == []


def test_the_export_holds_every_user_and_product(client_a, advised):
    response = client_a.get("/teams/T-ADV/advisor/?range=3m&export=seats&format=xlsx")
    assert response.status_code == 200
    assert (
        'filename="advisor-T-ADV-seats-2025-12-01-to-2026-02-28.xlsx"'
        in (response["Content-Disposition"])
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = rows[0]
    assert header == (
        "user",
        "product",
        "segment",
        "tokens",
        "days_used",
        "avg_days_per_month",
        "break_even_days_per_month",
        "flex_cost_per_year",
        "named_user_cost_per_year",
        "yearly_saving",
        "currency",
        "recommendation",
        "note",
    )
    body = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [(r["user"], r["yearly_saving"], r["recommendation"]) for r in body] == [
        (label(ANN), 3010, "Named seat"),
        (label(BOB), 490, "Named seat"),
        (label(CARA), None, "Flex"),
    ]
    assert body[0]["break_even_days_per_month"] == pytest.approx(8.06, abs=0.01)
    for name in ("users", "segments", "mix", "season"):
        assert client_a.get(f"/teams/T-ADV/advisor/?export={name}&format=csv").status_code == 200


def test_the_printable_report_is_one_branded_page(client_a, advised):
    response = client_a.get("/teams/T-ADV/advisor/print/?range=3m")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Partner A" in page and "5100000001" in page
    assert "Flex usage review" in page
    assert 'class="navbar' not in page  # no navigation on the sheet
    assert "3,500.00 USD" in page
    assert "refill <strong>2,034 tokens</strong> by 2026-05-31" in page
    assert page.count("<tr><td>User ") == 2  # the two users to move


def test_the_portfolio_ranks_teams_by_saving_and_by_waste(client_a, advised):
    response = client_a.get("/advisor/?range=3m")
    assert response.status_code == 200
    context = response.context
    assert context["saving_total"] == 3500.0 and context["saving_currency"] == "USD"
    assert context["waste_total"] == 400 and context["waste_value"] == 1200.0
    page = response.content.decode()
    assert "Advice Studio" in page and "Waste Works" in page
    assert "/teams/T-ADV/advisor/" in page
    export = client_a.get("/advisor/?range=3m&export=waste&format=csv")
    lines = export.content.decode("utf-8-sig").strip().splitlines()
    assert lines[1].startswith("T-WASTE,Waste Works,")
    usage = client_a.get("/usage/").content.decode()
    assert 'data-testid="advisor-portfolio-link"' in usage


def test_other_partners_get_404_and_see_none_of_a_s_teams(client_b, advised):
    for url in (
        "/teams/T-ADV/advisor/",
        "/teams/T-ADV/advisor/print/",
        "/teams/T-ADV/advisor/?export=seats&format=xlsx",
        "/teams/T-NONE/advisor/",
    ):
        assert client_b.get(url).status_code == 404, url
    portfolio = client_b.get("/advisor/?range=3m")
    assert portfolio.status_code == 200
    assert portfolio.context["saving_total"] == 0 and portfolio.context["waste_total"] == 0
    assert "Advice Studio" not in portfolio.content.decode()


def test_the_tab_runs_a_bounded_number_of_queries(client_a, advised, django_assert_max_num_queries):
    with django_assert_max_num_queries(35):
        assert client_a.get("/teams/T-ADV/advisor/?range=3m").status_code == 200
