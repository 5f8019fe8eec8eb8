"""In a real browser: a sales manager goes from a refill lead to an accepted quote, and the
team leaves the FLEX BALANCE < 20% bucket on the dashboard at once."""

from __future__ import annotations

import re

import pytest

from spp.models import Role
from tests.browser import sign_in
from tests.conftest import committed_db
from tests.factories import PASSWORD, make_user
from tests.quotes.quote_data import D, build

pytestmark = [pytest.mark.browser, committed_db]


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


def test_lead_to_quote_to_accepted_and_the_team_leaves_the_low_bucket(page, tenants, artifacts_dir):
    build(tenants)
    make_user("sales@a.example", tenants.a, Role.SALES_MANAGER, full_name="Sam Sales")
    sign_in(page, "sales@a.example", PASSWORD)
    page.wait_for_url("**/dashboard/")
    assert page.get_by_test_id("bucket-lt20").get_attribute("data-count") == "1"

    page.get_by_role("link", name="Token Balance", exact=True).click()
    page.wait_for_url("**/token-balance/")
    row = page.locator("[data-testid=lead-table] tbody tr[data-team=T-LOW]")
    assert row.locator("td").nth(3).inner_text() == "2026-03-31 (+21)"
    assert "4,200" in row.inner_text() and "12,600.00" in row.inner_text()
    page.screenshot(path=str(artifacts_dir / "token-balance.png"), full_page=True)

    row.get_by_test_id("lead-link").click()
    page.wait_for_url("**/token-balance/1/")
    page.get_by_test_id("create-quote").click()
    page.wait_for_url("**/quotes/new/?lead=1")
    assert page.locator("[name=lines-0-tokens]").input_value() == "4200"
    assert page.locator("[name=lines-0-unit_price]").input_value() == "3.00"
    assert page.locator("#t-net").inner_text() == "USD 12,600.00"

    # A second line with a discount: the totals follow as one types; then it goes again.
    page.get_by_test_id("add-line").click()
    page.locator("[name=lines-1-tokens]").fill("1000")
    page.locator("[name=lines-1-discount_pct]").fill("10")
    assert page.locator("#t-tokens").inner_text() == "5,200"
    assert page.locator("#t-net").inner_text() == "USD 15,300.00"
    page.locator("[data-line]").nth(1).locator("[data-remove]").click()
    assert page.locator("#t-net").inner_text() == "USD 12,600.00"
    page.get_by_label("Notes").fill("Prices exclude VAT.")
    page.get_by_test_id("save-quote").click()
    page.wait_for_url(re.compile(r".*/quotes/Q-2026-0001/$"))
    assert page.get_by_test_id("total-net").inner_text() == "12,600.00"

    page.get_by_test_id("send-quote").click()
    page.wait_for_url("**/quotes/Q-2026-0001/")
    assert page.get_by_test_id("status").first.inner_text() == "SENT"
    page.screenshot(path=str(artifacts_dir / "quote.png"), full_page=True)

    with page.context.expect_page() as opened:
        page.get_by_test_id("print-quote").click()
    sheet = opened.value
    sheet.wait_for_load_state()
    assert sheet.locator("nav").count() == 0  # no navigation on the printable page
    assert "Acme Architects" in sheet.get_by_test_id("quote-sheet").inner_text()
    sheet.screenshot(path=str(artifacts_dir / "quote-print.png"), full_page=True)
    sheet.close()

    assert page.get_by_label("Order date").input_value() == D.isoformat()
    page.get_by_test_id("accept-quote").click()
    page.wait_for_url("**/quotes/Q-2026-0001/")
    assert page.get_by_test_id("status").first.inner_text() == "ACCEPTED"
    assert "4,200 tokens added to Acme Main Office" in page.locator(".alert-success").inner_text()

    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/dashboard/**")
    assert page.get_by_test_id("bucket-lt20").get_attribute("data-count") == "0"
    page.goto(page.base_url + "/flex/?bucket=all")
    team = page.locator("[data-testid=flex-table] tbody tr[data-team=T-LOW]")
    assert "Acme Architects" in team.inner_text()  # CUSTOMER: an accepted quote's pack

    page.goto(page.base_url + "/token-balance/?status=won")
    assert page.locator("[data-testid=lead-table] tbody tr[data-team=T-LOW]").count() == 1
    assert page.console_errors == []
