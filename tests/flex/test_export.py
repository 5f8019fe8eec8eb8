"""The Flex list export: the writers, the view, the command and the Celery job."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import time
import zipfile
from datetime import date, datetime

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from flex import export, tables
from flex.models import FlexSnapshot
from teams.models import Team, TeamLink
from tests.conftest import committed_db
from tests.factories import MAINT, make_account
from tests.flex.flex_data import D, build

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROW = (
    "T-1",
    '=HYPERLINK("http://evil","x")',
    "+SUM(1,2)",
    "@Amos",
    12345,
    1234,
    11111,
    12000,
    345,
    date(2025, 4, 1),
    date(2026, 3, 31),
    0.1,
    8.5,
    6.25,
    date(2026, 3, 22),
)


def workbook_of(content: bytes):
    return load_workbook(io.BytesIO(content))


# ------------------------------------------------------------------------- writers


def test_xlsx_header_types_formats_and_frozen_pane():
    buffer = io.BytesIO()
    export.write_xlsx(
        [ROW, ("T-2", "Plain", "n/a", None, 0, 0, 0, 0, 0, None, None, None, 0.0, 0.0, None)],
        buffer,
    )
    sheet = workbook_of(buffer.getvalue()).active
    header = [cell.value for cell in sheet[1]]
    assert header == list(tables.EXPORT_KEYS)
    assert header[4:] == [
        "flex_total_tokens",
        "flex_tokens_balance",
        "flex_tokens_consumption",
        "flex_purchased_tokens",
        "flex_additional_tokens",
        "flex_start_date",
        "flex_latest_end_date",
        "flex_balance_rate",
        "flex_consumption_rate_30",
        "flex_consumption_rate_180",
        "flex_projected_end_date",
    ]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet[1][0].fill.fgColor.rgb.endswith("0F3B57")
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:O3"
    row = sheet[2]
    assert isinstance(row[4].value, int) and row[4].number_format == "#,##0"
    assert isinstance(row[9].value, datetime) and row[9].number_format == "yyyy-mm-dd"
    assert row[9].value.date() == date(2025, 4, 1)
    assert row[11].value == 0.1 and row[11].number_format == "0.000"
    assert row[12].value == 8.5 and row[12].number_format == "0.00"
    assert row[14].value.date() == date(2026, 3, 22)
    empty = sheet[3]
    assert empty[3].value is None and empty[9].value is None and empty[11].value is None
    # Widths fit the content: the team name column is wider than the team id column.
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width


def test_xlsx_text_that_looks_like_a_formula_stays_text():
    buffer = io.BytesIO()
    export.write_xlsx([ROW], buffer)
    xml = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml  # no formula anywhere
    sheet = workbook_of(buffer.getvalue()).active
    name, customer, manager = sheet["B2"], sheet["C2"], sheet["D2"]
    # Shown exactly as written, typed as text, and kept text if a person edits the cell.
    assert name.value == ROW[1] and name.data_type == "s" and name.quotePrefix
    assert customer.value == "+SUM(1,2)" and customer.quotePrefix
    assert manager.value == "@Amos" and manager.quotePrefix
    assert not sheet["A2"].quotePrefix


def test_rates_are_rounded_as_the_spec_says():
    column = tables.BY_KEY["flex_balance_rate"]
    assert export.clean_value(column, 0.23456) == 0.235
    assert export.clean_value(tables.BY_KEY["flex_consumption_rate_30"], 9.3333) == 9.33
    assert export.clean_value(tables.BY_KEY["team_name"], "a\x01b") == "ab"


def test_csv_columns_formats_and_neutralised_text():
    text = io.StringIO()
    export.write_csv([ROW], text)
    rows = list(csv.reader(io.StringIO(text.getvalue())))
    assert rows[0] == list(tables.EXPORT_KEYS)
    row = rows[1]
    assert row[1] == "'" + ROW[1]
    assert row[2] == "'+SUM(1,2)" and row[3] == "'@Amos"
    assert row[4] == "12345" and row[9] == "2025-04-01"
    assert row[11] == "0.100" and row[12] == "8.50" and row[13] == "6.25"
    for dangerous in ("-1+2", "\tx", "\rx"):
        assert export.neutralise_csv(dangerous) == "'" + dangerous
    assert export.neutralise_csv("Acme") == "Acme"


def test_csv_in_memory_starts_with_a_bom_for_excel():
    content = export.render([ROW], "csv")
    assert content.startswith("\ufeff".encode())
    with pytest.raises(export.ExportError):
        export.render([ROW], "pdf")


# ------------------------------------------------------------------------ the view


@committed_db
def test_export_holds_exactly_the_filtered_sorted_rows(client_a, tenants):
    build(tenants)
    params = {"bucket": "all", "ordering": "-flex_tokens_balance"}
    listed = [r["team__team_id"] for r in client_a.get("/flex/", params).context["rows"]]
    response = client_a.get("/flex/export/", {**params, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (
        'attachment; filename="flex-5100000001-2026-03-10-all.xlsx"'
    )
    sheet = workbook_of(response.content).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == listed
    low = next(row for row in rows if row[0] == "T-001")
    assert low[1:4] == ("Low Balance Ltd", "Acme Architects", "Amos Manager")
    assert low[4:9] == (1000, 100, 900, 1000, 0)
    assert low[11] == 0.1 and low[12] == 8.5


@committed_db
def test_csv_export(client_a, tenants):
    build(tenants)
    response = client_a.get("/flex/export/", {"bucket": "lt20", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == list(tables.EXPORT_KEYS)
    assert [row[0] for row in rows[1:]] == ["T-001"]


@committed_db
def test_injected_customer_name_is_neutralised_in_both_formats(client_a, tenants):
    build(tenants)
    xlsx = client_a.get("/flex/export/", {"bucket": "additional", "format": "xlsx"})
    cell = workbook_of(xlsx.content).active["C2"]
    assert cell.value.startswith("=cmd") and cell.data_type == "s" and cell.quotePrefix
    text = client_a.get("/flex/export/", {"bucket": "additional", "format": "csv"})
    assert "'=cmd" in text.content.decode("utf-8-sig")


@committed_db
@pytest.mark.parametrize(
    "params",
    [{"format": "pdf"}, {"bucket": "nope"}, {"balance_min": "x"}, {"ordering": "secret"}],
)
def test_bad_export_parameters_give_400_with_a_message(client_a, tenants, params):
    build(tenants)
    response = client_a.get("/flex/export/", params)
    assert response.status_code == 400
    assert b"export-errors" in response.content


@committed_db
def test_partner_b_export_never_holds_a_rows(client_b, tenants):
    build(tenants)
    response = client_b.get("/flex/export/", {"format": "csv"})
    content = response.content.decode("utf-8-sig")
    ids = {row[0] for row in list(csv.reader(io.StringIO(content)))[1:]}
    assert ids == {"T-B01", "T-SH1"}
    assert "Low Balance" not in content and "Amos" not in content


@committed_db
def test_viewers_may_export(client, tenants):
    build(tenants)
    client.force_login(tenants.a_viewer)
    assert client.get("/flex/export/", {"format": "xlsx"}).status_code == 200


# --------------------------------------------------------------------- the command


@committed_db
def test_export_flex_command(tenants, tmp_path):
    build(tenants)
    target = tmp_path / "a.xlsx"
    out = io.StringIO()
    call_command(
        "export_flex", partner=tenants.a.csn, bucket="lt20", output=str(target), stdout=out
    )
    assert "1 rows as of 2026-03-10" in out.getvalue()
    rows = list(load_workbook(target).active.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == ["T-001"]
    csv_target = tmp_path / "b.csv"
    call_command("export_flex", partner=tenants.b.csn, output=str(csv_target), stdout=out)
    ids = {r[0] for r in list(csv.reader(csv_target.open(encoding="utf-8-sig")))[1:]}
    assert ids == {"T-B01", "T-SH1"}
    with pytest.raises(CommandError):
        call_command("export_flex", partner="nobody", output=str(target))
    with pytest.raises(CommandError):
        call_command("export_flex", partner=tenants.a.csn, output=str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError):
        call_command("export_flex", partner=tenants.a.csn, as_of="soon", output=str(target))


# ------------------------------------------------------------------ the Celery job


def bulk_snapshots(partner, count: int, prefix: str = "J") -> None:
    account = make_account(f"C-{prefix}", f"{prefix} Holdings")
    teams = Team.unscoped.using(MAINT).bulk_create(
        Team(team_id=f"{prefix}-{i:05d}", name=f"{prefix} team {i:05d}", account=account)
        for i in range(count)
    )
    TeamLink.unscoped.using(MAINT).bulk_create(
        TeamLink(partner=partner, team=team, source="operator") for team in teams
    )
    FlexSnapshot.unscoped.using(MAINT).bulk_create(
        FlexSnapshot(
            partner=partner,
            team=team,
            as_of=D,
            flex_total_tokens=1000,
            flex_tokens_balance=i % 1000,
            flex_tokens_consumption=1000 - i % 1000,
            flex_purchased_tokens=1000,
            flex_additional_tokens=0,
            flex_balance_rate=(i % 1000) / 1000,
            flex_consumption_rate_30=2.0,
            flex_consumption_rate_180=1.0,
            flex_projected_end_date=D,
        )
        for i, team in enumerate(teams)
    )


@committed_db
def test_large_export_runs_as_a_job_with_progress_and_a_private_link(
    client, tenants, celery_worker
):
    rows = export.ASYNC_THRESHOLD + 1
    bulk_snapshots(tenants.a, rows)
    client.force_login(tenants.a_admin)
    response = client.get("/flex/export/", {"format": "xlsx", "ordering": "team_id"})
    assert response.status_code == 302
    job_url = response["Location"]
    assert job_url.startswith("/flex/export/")
    page = client.get(job_url)
    assert page.status_code == 200 and b"export-job" in page.content
    status = {}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = client.get(job_url + "status/").json()
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert status["state"] == "done", status
    assert status["total"] == rows and status["percent"] == 100
    download = client.get(status["download_url"])
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    sheet = workbook_of(content).active
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(ids) == rows and ids == sorted(ids)

    # Only its owner, acting for the same partner, may see the job or fetch the file.
    client.force_login(tenants.b_admin)
    assert client.get(job_url).status_code == 404
    assert client.get(job_url + "status/").status_code == 404
    assert client.get(status["download_url"]).status_code == 404
    client.force_login(tenants.a_manager)
    assert client.get(status["download_url"]).status_code == 404


@committed_db
def test_unknown_job_is_404(client_a, tenants):
    assert client_a.get("/flex/export/nope/status/").status_code == 404
    assert client_a.get("/flex/export/nope/download/").status_code == 404


# ------------------------------------------------------- LibreOffice opens the files

SOFFICE = shutil.which("soffice")


def _soffice(tmp_path, *args: str) -> None:
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(  # noqa: S603 — fixed arguments, our own files
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={profile}", *args],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
    )


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_both_files_and_evaluates_nothing(tmp_path):
    export.write_file([ROW], "xlsx", tmp_path / "flex.xlsx")
    export.write_file([ROW], "csv", tmp_path / "flex.csv")
    # The .xlsx as LibreOffice shows it (formatted text of each cell).
    _soffice(
        tmp_path,
        "--convert-to",
        "csv:Text - txt - csv (StarCalc):44,34,76,1",
        "--outdir",
        "shown",
        "flex.xlsx",
    )
    shown = list(csv.reader((tmp_path / "shown" / "flex.csv").open(encoding="utf-8")))
    assert shown[0] == list(tables.EXPORT_KEYS)
    row = shown[1]
    assert row[1] == ROW[1] and row[2] == "+SUM(1,2)" and row[3] == "@Amos"  # not evaluated
    assert row[4] == "12,345" and row[9] == "2025-04-01"
    assert row[11] == "0.100" and row[12] == "8.50"
    # The .csv opened in LibreOffice (UTF-8) and saved as .xlsx: text stays text.
    _soffice(
        tmp_path,
        "--infilter=CSV:44,34,76,1",
        "--convert-to",
        "xlsx",
        "--outdir",
        "from-csv",
        "flex.csv",
    )
    sheet = load_workbook(tmp_path / "from-csv" / "flex.xlsx").active
    assert sheet["A1"].value == "team_id"
    for cell in sheet[2][1:4]:
        assert cell.data_type == "s" and cell.value.startswith("'")
    assert sheet["E2"].value == 12345


@committed_db
def test_malformed_export_job_ids_are_404_not_cache_keys(client_a, tenants):
    from django.core.cache import cache

    for job in ["nope", "$%C3%A2.B", "a" * 200, "x" * 31]:
        assert client_a.get(f"/flex/export/{job}/status/").status_code == 404, job
        assert client_a.get(f"/api/v1/flex/export/jobs/{job}/").status_code == 404, job
    assert cache.get("flex-export:nope") is None
