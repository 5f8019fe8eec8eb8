"""A real browser signs in and lands on the dashboard."""

from __future__ import annotations

import pytest

from tests.browser import sign_in
from tests.conftest import committed_db
from tests.factories import PASSWORD, make_tenants

pytestmark = [pytest.mark.browser, committed_db]


def test_sign_in_lands_on_the_dashboard(page, artifacts_dir):
    make_tenants()
    page.goto(page.base_url + "/")
    assert "/accounts/login/" in page.url
    page.screenshot(path=str(artifacts_dir / "sign-in.png"))
    sign_in(page, "admin@a.example", PASSWORD)
    page.wait_for_url("**/dashboard/")
    assert page.get_by_test_id("partner-name").inner_text().startswith("Partner A")
    assert page.console_errors == []
    page.screenshot(path=str(artifacts_dir / "after-sign-in.png"), full_page=True)


def test_wrong_password_stays_on_sign_in(page):
    make_tenants()
    sign_in(page, "admin@a.example", "wrong password")
    assert "/accounts/login/" in page.url
    assert page.get_by_text("not correct").is_visible()
