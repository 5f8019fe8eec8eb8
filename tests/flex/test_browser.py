"""In a real browser: dashboard widget → bucket → list → Excel export; team page; isolation."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from flex import selectors
from flex.filtersets import FlexSnapshotFilterSet
from spp.tenancy import partner_scope
from tests.browser import sign_in
from tests.conftest import committed_db
from tests.factories import MAINT, PASSWORD, make_pack, make_snapshot, make_team
from tests.flex.flex_data import D, build

pytestmark = [pytest.mark.browser, committed_db]

PRODUCTS = ("AutoCAD", "Revit", "Fusion")
CUSTOMERS = ("Northwind Partners", "Contoso Engineering", "Fabrikam Studio", "n/a", "n/a")


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


def seed(t):
    """The hand-checked portfolio, 40 more teams to fill pages, usage and packs for one team."""
    from teams.models import Contact
    from usage.models import Product, UsageDaily, UsageDailyProduct, UsageRow

    p = build(t)
    rng = random.Random(7)
    for i in range(40):
        team = make_team(
            f"T-{100 + i}",
            f"{rng.choice(('North', 'South', 'East', 'West'))} "
            f"{rng.choice(('Studio', 'Works', 'Design', 'Build'))} {i}",
            linked=[t.a],
        )
        total = rng.choice((1000, 2000, 5000, 12000))
        balance = int(total * rng.random())
        make_snapshot(
            t.a,
            team,
            D,
            flex_total_tokens=total,
            flex_tokens_balance=balance,
            customer=rng.choice(CUSTOMERS),
            flex_start_date=D - timedelta(days=rng.randint(20, 300)),
            flex_latest_end_date=D + timedelta(days=rng.randint(60, 340)),
            flex_projected_end_date=D + timedelta(days=rng.randint(5, 300)),
            flex_consumption_rate_30=round(rng.random() * 20, 2),
            flex_consumption_rate_180=round(rng.random() * 15, 2),
        )
    low = p.teams["low"]
    make_pack(low, "SO-1001", t.a, 600, date(2025, 4, 1), unit_price=3, currency="USD")
    make_pack(
        low, "SO-1002", t.a, 400, date(2025, 6, 1), unit_price=2.85, currency="USD", discount_pct=5
    )
    make_pack(low, "FOREIGN-9", "9999999999", 500, date(2025, 7, 1))
    products = [Product.objects.using(MAINT).create(name=name) for name in PRODUCTS]
    cum = 0
    daily, per_product, raw = [], [], []
    for offset in range(365, 0, -1):
        day = D - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        tokens = 0
        for index, product in enumerate(products):
            used = max(0, int(rng.gauss((3, 2, 1)[index] * (1 + offset % 30 / 30), 1)))
            if used:
                tokens += used
                users = 1 + index
                if offset <= 90:
                    per_product.append(
                        UsageDailyProduct(
                            team=low, day=day, product=product, tokens=used, users=users
                        )
                    )
                    for u in range(users):
                        raw.append(
                            UsageRow(
                                team=low,
                                day=day,
                                product=product,
                                user_key=f"user-{index}-{u}",
                                tokens=1,
                            )
                        )
        cum += tokens
        daily.append(UsageDaily(team=low, day=day, tokens=tokens, cum_tokens=cum, users=3))
    UsageDaily.objects.using(MAINT).bulk_create(daily)
    UsageDailyProduct.objects.using(MAINT).bulk_create(per_product)
    UsageRow.objects.using(MAINT).bulk_create(raw)
    Contact.unscoped.using(MAINT).create(
        partner=t.a,
        account=p.accounts["acme"],
        name="Carla Buyer",
        title="Purchasing",
        email="carla@acme.example",
        phone="+1 555 0100",
    )
    return p


def test_widget_to_list_to_excel(page, tenants, artifacts_dir, tmp_path):
    t = tenants
    p = seed(t)
    sign_in(page, "admin@a.example", PASSWORD)
    page.wait_for_url("**/dashboard/")
    page.screenshot(path=str(artifacts_dir / "dashboard.png"), full_page=True)

    with partner_scope(t.a):
        expected_counts = selectors.widget_counts(selectors.latest_as_of())
        expected_ids = set(
            FlexSnapshotFilterSet({"bucket": "lt20"}).qs.values_list("team__team_id", flat=True)
        )
    for key, count in expected_counts.items():
        assert page.get_by_test_id(f"bucket-{key}").get_attribute("data-count") == str(count)
    assert p.teams["low"].team_id in expected_ids

    page.get_by_test_id("bucket-lt20").click()
    page.wait_for_url("**/flex/?bucket=lt20*")
    shown = set(
        page.locator("[data-testid=flex-table] tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.team)"
        )
    )
    assert shown == expected_ids
    page.screenshot(path=str(artifacts_dir / "flex-list.png"), full_page=True)

    page.get_by_test_id("export-button").click()
    with page.expect_download() as info:
        page.get_by_test_id("export-xlsx").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.suffix == ".xlsx"
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("team_id", "team_name", "customer", "account_manager")
    assert {row[0] for row in rows[1:]} == expected_ids
    first = rows[1]
    assert isinstance(first[4], int) and isinstance(first[11], float)
    assert hasattr(first[9], "year")  # a real date cell, not text
    assert page.console_errors == []


def test_list_page_of_everything(page, tenants, artifacts_dir):
    seed(tenants)
    sign_in(page, "admin@a.example", PASSWORD)
    page.wait_for_url("**/dashboard/")
    page.goto(page.base_url + "/flex/")
    page.screenshot(path=str(artifacts_dir / "flex-list-all.png"), full_page=False)
    # Keyboard: the first sortable header is reachable and sorts on Enter.
    page.locator("th[data-key=team_name] a").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**ordering=team_name*")
    assert page.console_errors == []


def test_team_page_donut_and_chart(page, tenants, artifacts_dir):
    p = seed(tenants)
    sign_in(page, "admin@a.example", PASSWORD)
    page.wait_for_url("**/dashboard/")
    page.goto(page.base_url + f"/teams/{p.teams['low'].team_id}/")
    donut = page.get_by_test_id("donut")
    assert donut.get_attribute("data-colour") == "red"
    assert page.locator(".spp-donut-available").get_attribute("stroke") == "#d64545"
    assert page.get_by_test_id("line-chart").is_visible()
    assert page.locator("[data-testid=line-chart] circle").count() > 200
    assert page.get_by_test_id("expiring-alert").is_visible()
    assert "SO-1001" in page.get_by_test_id("own-packs").inner_text()
    assert "FOREIGN-9" not in page.content()
    page.screenshot(path=str(artifacts_dir / "team.png"), full_page=True)

    page.goto(page.base_url + f"/teams/{p.teams['healthy'].team_id}/")
    assert page.get_by_test_id("donut").get_attribute("data-colour") == "green"

    page.goto(page.base_url + "/customers/C-ACME/")
    assert "Carla Buyer" in page.get_by_test_id("contacts").inner_text()
    page.screenshot(path=str(artifacts_dir / "customer.png"), full_page=True)
    assert page.console_errors == []


def test_tablet_layout(page, tenants, artifacts_dir):
    p = seed(tenants)
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, "admin@a.example", PASSWORD)
    page.wait_for_url("**/dashboard/")
    page.screenshot(path=str(artifacts_dir / "dashboard-tablet.png"), full_page=True)
    page.goto(page.base_url + "/flex/?bucket=all")
    page.screenshot(path=str(artifacts_dir / "flex-list-tablet.png"), full_page=False)
    page.goto(page.base_url + f"/teams/{p.teams['low'].team_id}/")
    page.screenshot(path=str(artifacts_dir / "team-tablet.png"), full_page=True)
    # Nothing wider than the screen except inside the scrollable table wrappers.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.console_errors == []


def test_partner_b_cannot_open_partner_a_team(page, tenants):
    p = seed(tenants)
    sign_in(page, "admin@b.example", PASSWORD)
    page.wait_for_url("**/dashboard/")
    response = page.goto(page.base_url + f"/teams/{p.teams['low'].team_id}/")
    assert response.status == 404
    response = page.goto(page.base_url + f"/teams/{p.teams['shared'].team_id}/")
    assert response.status == 200


def test_large_export_shows_progress_then_a_download_link(
    page, tenants, artifacts_dir, monkeypatch
):
    from celery.contrib.testing.worker import start_worker

    from flex import export
    from spp.celery import app

    seed(tenants)
    # 47 rows stand for "over 5,000": the job path is the same, the test stays quick.
    monkeypatch.setattr(export, "ASYNC_THRESHOLD", 10)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        sign_in(page, "admin@a.example", PASSWORD)
        page.wait_for_url("**/dashboard/")
        page.goto(page.base_url + "/flex/")
        page.get_by_test_id("export-button").click()
        page.get_by_test_id("export-xlsx").click()
        page.wait_for_url("**/flex/export/*/")
        link = page.get_by_test_id("export-download")
        link.wait_for(state="visible", timeout=30_000)
        page.screenshot(path=str(artifacts_dir / "export-job.png"))
        assert page.locator("#job-progress").get_attribute("aria-valuenow") == "100"
        with page.expect_download() as info:
            link.click()
        assert info.value.suggested_filename.endswith(".xlsx")
        target = artifacts_dir / "export-job-download.xlsx"
        info.value.save_as(target)
        rows = list(load_workbook(target).active.iter_rows(values_only=True))
        assert len(rows) == 1 + 47
    assert page.console_errors == []
