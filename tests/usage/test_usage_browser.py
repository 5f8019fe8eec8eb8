"""In a real browser: the team's usage tabs, every chart, ranges, drill-downs and exports.

The team and its hand-computed figures are those of tests/usage/test_reporting_views.py.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.browser import sign_in
from tests.conftest import committed_db
from tests.factories import PASSWORD
from tests.usage.test_reporting_views import ANN, BOB, CARA, D, label, team  # noqa: F401

pytestmark = [pytest.mark.browser, committed_db]


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


def shot(page, artifacts_dir, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / name), full_page=True)


def text(page, testid: str) -> str:
    return page.get_by_test_id(testid).inner_text().strip()


def test_usage_tabs_ranges_drill_downs_and_exports(page, team, artifacts_dir, tmp_path):  # noqa: F811
    sign_in(page, "admin@a.example", PASSWORD)
    page.wait_for_url("**/dashboard/")

    # Balances → Usage summary (the past 30 days by default).
    page.goto(page.base_url + "/teams/T-USE/")
    page.get_by_test_id("tab-summary").click()
    page.wait_for_url("**/teams/T-USE/usage/")
    assert text(page, "range-tokens") == "1,120"
    assert text(page, "tokens-remaining") == "150"
    assert text(page, "tokens-changed") == "+780"
    assert page.get_by_test_id("line-chart").is_visible()

    page.get_by_test_id("range-3m").click()
    page.wait_for_url("**/usage/?range=3m")
    assert text(page, "range-tokens") == "661"
    assert text(page, "range-users") == "4" and text(page, "range-products") == "2"
    assert "2025-12-01 – 2026-02-28 · 90 days" in text(page, "range-note")
    shot(page, artifacts_dir, "usage-summary.png")

    # By product, sorted by keyboard, then AutoCAD's detail.
    page.get_by_test_id("tab-products").click()
    page.wait_for_url("**/usage/products/?range=3m")
    rows = page.locator("[data-testid=products-table] tbody tr")
    assert rows.count() == 2 and rows.first.inner_text().startswith("AutoCAD")
    page.locator("[data-testid=products-table] th[data-key=product] a").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/usage/products/?range=3m&sort=product")
    assert (
        page.locator("[data-testid=products-table] th[data-key=product]").get_attribute("aria-sort")
        == "ascending"
    )
    shot(page, artifacts_dir, "usage-products.png")

    page.get_by_role("link", name="AutoCAD", exact=True).click()
    page.wait_for_url("**/usage/products/*/?range=3m")
    assert text(page, "product-users") == "3" and text(page, "product-tokens") == "621"
    assert page.get_by_test_id("band-chart").is_visible()
    assert page.get_by_test_id("line-chart").is_visible()
    band_titles = page.locator("[data-testid=band-chart] rect title").all_text_contents()
    assert band_titles == ["0–100: 2 users", "501–1,000: 1 user"]
    shot(page, artifacts_dir, "usage-product.png")

    # By user, then ann's detail and a custom range typed in.
    page.get_by_test_id("tab-users").click()
    page.wait_for_url("**/usage/users/?range=3m")
    assert page.locator("[data-testid=users-table] tbody tr").count() == 4
    body = page.content()
    for email in (ANN, BOB, CARA):
        assert email not in body
    shot(page, artifacts_dir, "usage-users.png")

    with page.expect_download() as info:
        page.get_by_test_id("export-users").click()
        page.get_by_test_id("export-users-xlsx").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    exported = list(load_workbook(path).active.iter_rows(values_only=True))
    assert exported[0][:4] == ("user", "products", "product_count", "tokens")
    assert [(r[0], r[3]) for r in exported[1:]] == [
        (label(CARA), 600),
        (label(BOB), 30),
        (label(ANN), 24),
        ("Anonymous", 7),
    ]

    page.get_by_role("link", name=label(ANN), exact=True).click()
    page.wait_for_url("**/usage/users/*/?range=3m")
    assert text(page, "user-tokens") == "24"
    assert text(page, "user-days").startswith("2")
    assert page.get_by_test_id("heat-grid").is_visible()
    assert page.locator("[data-testid=heat-grid] rect").count() == 2 * 13
    shot(page, artifacts_dir, "usage-user.png")

    page.get_by_test_id("range-start").fill("2025-12-15")
    page.get_by_test_id("range-end").fill("2026-01-31")
    page.get_by_test_id("range-apply").click()
    page.wait_for_url("**/usage/users/*/?start=2025-12-15&end=2026-01-31")
    assert text(page, "user-tokens") == "7"  # 2026-01-10, AutoCAD
    assert (
        page.get_by_test_id("tab-summary")
        .get_attribute("href")
        .endswith("?start=2025-12-15&end=2026-01-31")
    )

    # The raw rows of the range, users pseudonymous.
    with page.expect_download() as info:
        page.get_by_test_id("raw-export-button").click()
        page.get_by_test_id("raw-csv").click()
    raw = tmp_path / info.value.suggested_filename
    info.value.save_as(raw)
    lines = list(csv.reader(io.StringIO(raw.read_text(encoding="utf-8-sig"))))
    assert len(lines) == 1 + 3  # rows 4, 5, 6
    assert {line[4] for line in lines[1:]} == {label(BOB), label(ANN), "Anonymous"}

    # The portfolio across the partner's teams.
    page.get_by_role("link", name="Usage", exact=True).click()
    page.wait_for_url("**/usage/")
    page.get_by_test_id("range-3m").click()
    page.wait_for_url("**/usage/?range=3m")
    assert text(page, "portfolio-tokens") == "731"
    assert page.get_by_test_id("month-chart").is_visible()
    assert page.locator("[data-testid=portfolio-teams-table] tbody tr").count() == 2
    shot(page, artifacts_dir, "usage-portfolio.png")
    assert page.console_errors == []


def test_usage_pages_at_tablet_width(page, team, artifacts_dir):  # noqa: F811
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, "admin@a.example", PASSWORD)
    page.wait_for_url("**/dashboard/")
    for name, path in (
        ("usage-summary-tablet.png", "/teams/T-USE/usage/?range=3m"),
        ("usage-user-tablet.png", "/teams/T-USE/usage/users/anonymous/?range=3m"),
    ):
        page.goto(page.base_url + path)
        # Nothing wider than the window but the scrollable tables and grids.
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 768, (path, overflow)
        shot(page, artifacts_dir, name)
    assert page.console_errors == []
