"""In a real browser: the Advisor tab (charts, the seats table, the export, the printable
report on one A4 page, the portfolio) and the Audit tab (findings, warnings, evidence).

The teams and their hand-computed figures are those of tests/flex/test_advisor_views.py
and tests/usage/test_audit_views.py.
"""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from tests.browser import sign_in
from tests.conftest import committed_db
from tests.factories import PASSWORD
from tests.flex.test_advisor_views import advised  # noqa: F401
from tests.usage.test_audit_views import D, audited  # noqa: F401

pytestmark = [pytest.mark.browser, committed_db]


@pytest.fixture(autouse=True)
def _pinned_business_date(monkeypatch):
    monkeypatch.setenv("SPP_TODAY", D.isoformat())


def shot(page, artifacts_dir, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / name), full_page=True)


def text(page, testid: str) -> str:
    return page.get_by_test_id(testid).inner_text().strip()


def download(page, testid: str, tmp_path):
    with page.expect_download() as info:
        page.get_by_test_id(testid).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_the_advisor_tab_its_export_report_and_portfolio(page, advised, artifacts_dir, tmp_path):  # noqa: F811
    sign_in(page, "admin@a.example", PASSWORD)
    page.wait_for_url("**/dashboard/")

    page.goto(page.base_url + "/teams/T-ADV/")
    page.get_by_test_id("tab-advisor").click()
    page.wait_for_url("**/teams/T-ADV/advisor/")
    assert page.get_by_test_id("range-12m").get_attribute("aria-current") == "true"
    page.get_by_test_id("range-3m").click()
    page.wait_for_url("**/advisor/?range=3m")
    assert text(page, "advisor-saving") == "3,500.00"
    assert text(page, "advisor-refill") == "2,034"
    assert text(page, "advisor-peak") == "Feb"
    assert text(page, "advisor-users") == "3"
    for chart in ("segment-chart", "mix-chart", "season-chart"):
        assert page.get_by_test_id(chart).is_visible(), chart
    assert page.locator("[data-testid=season-chart] rect[data-peak=true]").count() == 1
    rows = page.locator("[data-testid=seats-table] tbody tr")
    assert rows.count() == 3
    assert (
        page.locator("[data-testid=seats-table] tr[data-recommendation='Named seat']").count() == 2
    )
    assert page.get_by_test_id("break-even-table").is_visible()
    shot(page, artifacts_dir, "advisor.png")

    exported = download(page, "advisor-xlsx", tmp_path)
    assert exported.name == "advisor-T-ADV-seats-2025-12-01-to-2026-02-28.xlsx"
    sheet = list(load_workbook(exported).active.iter_rows(values_only=True))
    assert len(sheet) == 4 and sheet[0][0] == "user"
    assert [row[9] for row in sheet[1:]] == [3010, 490, None]

    page.get_by_test_id("advisor-print").click()
    page.wait_for_url("**/advisor/print/?range=3m")
    report = page.get_by_test_id("advisor-report")
    assert report.is_visible()
    assert "Partner A" in report.inner_text() and "3,500.00 USD" in report.inner_text()
    assert page.locator("nav.navbar").count() == 0
    shot(page, artifacts_dir, "advisor-print.png")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one sheet of paper
    page.emulate_media(media="screen")
    page.get_by_test_id("report-back").click()
    page.wait_for_url("**/teams/T-ADV/advisor/?range=3m")

    page.goto(page.base_url + "/usage/?range=3m")
    page.get_by_test_id("advisor-portfolio-link").click()
    page.wait_for_url("**/advisor/")
    page.get_by_test_id("range-3m").click()
    page.wait_for_url("**/advisor/?range=3m")
    assert text(page, "portfolio-saving") == "3,500.00"
    assert page.locator("[data-testid=advisor-savings-table] tbody tr").count() == 1
    assert page.locator("[data-testid=advisor-waste-table] tbody tr").count() == 1
    shot(page, artifacts_dir, "advisor-portfolio.png")
    assert page.console_errors == []


def test_the_audit_tab_findings_warnings_and_evidence(page, audited, artifacts_dir, tmp_path):  # noqa: F811
    sign_in(page, "admin@a.example", PASSWORD)
    page.wait_for_url("**/dashboard/")

    page.goto(page.base_url + "/teams/T-AUD/usage/")
    page.get_by_test_id("tab-audit").click()
    page.wait_for_url("**/teams/T-AUD/audit/?range=30d")
    assert text(page, "audit-reported") == "8"
    assert text(page, "audit-findings") == "5"
    assert text(page, "audit-value") == "123.00"
    assert text(page, "audit-warnings") == "1"
    assert page.get_by_test_id("cause-chart").is_visible()
    findings = page.locator("[data-testid=findings-table] tbody tr")
    assert findings.count() == 5
    causes = [findings.nth(i).get_attribute("data-cause") for i in range(5)]
    assert sorted(causes) == sorted(
        ["midnight", "short_launch", "two_versions", "no_session", "subscription"]
    )
    assert page.locator("[data-testid=warnings-table] tbody tr").count() == 1
    assert "2026-03-02 08:00–2026-03-03" not in page.content()  # times are shown in UTC
    shot(page, artifacts_dir, "audit.png")

    evidence = download(page, "evidence-xlsx", tmp_path)
    assert evidence.name == "audit-T-AUD-evidence-2026-02-08-to-2026-03-09.xlsx"
    rows = list(load_workbook(evidence).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 8
    assert sum(1 for row in rows[1:] if row[9] != "Expected") == 5

    page.get_by_test_id("range-3m").click()
    page.wait_for_url("**/audit/?range=3m")
    assert page.get_by_test_id("audit-empty").is_visible()
    assert page.console_errors == []
