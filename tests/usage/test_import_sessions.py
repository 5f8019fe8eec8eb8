"""The sessions feed (SPEC §11, §12): all or nothing, idempotent, pseudonymous users and
machines, products through the catalog and its aliases, every bad row with its line."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import committed_db
from tests.factories import make_team
from tests.usage.factories import rows, run, write_csv, write_xlsx
from usage.imports.pseudonym import user_key
from usage.imports.sessions import machine_key, parse_timestamp
from usage.imports.values import BadValue

HEADER = ["Team ID", "User", "Product", "Version", "Machine", "Start", "End"]
ANN = "ann@acme.example"


@pytest.fixture
def catalog():
    from usage.models import Product, ProductAlias

    autocad = Product.objects.using("maint").create(name="AutoCAD")
    Product.objects.using("maint").create(name="Revit")
    ProductAlias.objects.using("maint").create(alias="Autodesk AutoCAD 2026", product=autocad)
    return autocad


def stored():
    return rows(
        "SELECT t.team_id, s.user_key, p.name, s.version, s.machine_key, s.start, s.end "
        "FROM usage_sessionlog s JOIN usage_product p ON p.id = s.product_id "
        "JOIN teams_team t ON t.id = s.team_id ORDER BY s.start, p.name"
    )


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@committed_db
def test_sessions_are_created_then_unchanged_then_updated(tmp_path, catalog):
    make_team("T-1", "Studio One")
    data = [
        ["T-1", ANN, "autodesk autocad 2026", "2026", "ANN-LAPTOP", "2026-03-02T08:14:00Z",
         "2026-03-02T17:40:00Z"],
        ["T-1", "Bob@Acme.example", "REVIT", "", "ws-12", "2026-03-02T09:00:00+01:00",
         "2026-03-02T09:03:00+01:00"],
        # The very same session twice (a log concatenated twice): the same fact, once.
        ["T-1", ANN, "AutoCAD", "2026", "ANN-LAPTOP", "2026-03-02T08:14:00Z",
         "2026-03-02T17:40:00Z"],
    ]  # fmt: skip
    first = run("sessions", write_csv(tmp_path, "s.csv", HEADER, data))
    assert first.ok, first.format()
    assert first.counts["session"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert stored() == [
        (
            "T-1",
            user_key("bob@acme.example"),
            "Revit",
            "",
            machine_key("WS-12"),
            utc("2026-03-02T08:00:00+00:00"),
            utc("2026-03-02T08:03:00+00:00"),
        ),
        (
            "T-1",
            user_key(ANN),
            "AutoCAD",
            "2026",
            machine_key("ann-laptop"),
            utc("2026-03-02T08:14:00+00:00"),
            utc("2026-03-02T17:40:00+00:00"),
        ),
    ]
    # Nothing personal is stored: neither the e-mail nor the machine name.
    text = repr(stored()).lower()
    assert "ann@" not in text and "laptop" not in text and "ws-12" not in text
    assert machine_key("ANN") != user_key("ann")  # a machine never shares a user's key

    again = run("sessions", write_csv(tmp_path, "s.csv", HEADER, data))
    assert again.ok and not again.changed
    assert again.counts["session"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert "all already imported; nothing changed" in again.headline

    # The log delivered again with the session's real end (cut while still open).
    data[0][6] = "2026-03-02T18:05:00Z"
    data.pop()
    changed = run("sessions", write_csv(tmp_path, "s.csv", HEADER, data))
    assert changed.counts["session"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert stored()[1][6] == utc("2026-03-02T18:05:00+00:00")


@committed_db
def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(tmp_path, catalog):
    make_team("T-1", "Studio One")
    good = ["T-1", ANN, "AutoCAD", "2026", "PC-1", "2026-03-02T08:00:00Z", "2026-03-02T10:00:00Z"]
    data = [
        good,  # 2
        ["T-1", ANN, "AutoCAD", "2026", "PC-1", "2026-03-03T10:00:00Z",
         "2026-03-03T09:00:00Z"],  # 3: end before start
        ["T-1", ANN, "AutoCAD", "2026", "PC-1", "2026-03-04T08:00:00",
         "2026-03-04T09:00:00Z"],  # 4: no zone
        ["T-9", ANN, "AutoCAD", "2026", "PC-1", "2026-03-05T08:00:00Z",
         "2026-03-05T09:00:00Z"],  # 5: unknown team
        ["T-1", ANN, "AutoKAD", "2026", "PC-1", "2026-03-06T08:00:00Z",
         "2026-03-06T09:00:00Z"],  # 6: unknown product
        ["T-1", "", "AutoCAD", "2026", "", "2026-03-07T08:00:00Z",
         "2026-03-07T09:00:00Z"],  # 7: no user, no machine
        ["T-1", ANN, "AutoCAD", "2026", "PC-1", "yesterday", "2026-03-08T09:00:00Z"],  # 8
        ["T-1", ANN, "AutoCAD", "2026", "PC-1", "2026-01-01T08:00:00Z",
         "2026-03-01T08:00:00Z"],  # 9: two months long
        ["T-1", ANN, "AutoCAD", "2026", "PC-1", "2026-03-02T08:00:00Z",
         "2026-03-02T11:00:00Z"],  # 10: line 2's session with another end
        ["T-1", ANN, "AutoCAD", "2026", "PC-1", "2026-03-02T09:30:00Z",
         "2026-03-02T12:00:00Z"],  # 11: overlaps line 2 (same stream)
        ["T-1", ANN, "AutoCAD", "v" * 41, "PC-1", "2026-03-09T08:00:00Z",
         "2026-03-09T09:00:00Z"],  # 12: version too long
    ]  # fmt: skip
    report = run("sessions", write_csv(tmp_path, "bad.csv", HEADER, data))
    assert not report.ok
    lines = dict(report.bad_lines)
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "End: 2026-03-03T09:00:00Z is before the start (2026-03-03T10:00:00Z)" in lines[3]
    assert lines[4] == [
        "Start: no time zone in '2026-03-04T08:00:00' (add Z for UTC or an offset such as +01:00)"
    ]
    assert lines[5] == ["Team ID: unknown team 'T-9'"]
    assert "unknown product 'AutoKAD'" in lines[6][0]
    assert lines[7] == ["User: missing required value", "Machine: missing required value"]
    assert "bad timestamp 'yesterday'" in lines[8][0]
    assert "lasts 59 days" in lines[9][0]
    assert "on line 2 with another end" in lines[10][0]
    assert "overlaps the session on line 2" in lines[11][0]
    assert lines[12] == ["Version: longer than 40 characters (41)"]
    assert "nothing was written" in report.headline
    assert stored() == []


@committed_db
def test_sessions_of_other_machines_or_versions_may_overlap(tmp_path, catalog):
    """Overlap is a duplicate only within one stream (user, product, version, machine):
    two machines at once is a compliance warning of the audit, not a bad row."""
    make_team("T-1", "Studio One")
    data = [
        ["T-1", ANN, "AutoCAD", "2026", "PC-1", "2026-03-02T08:00:00Z", "2026-03-02T12:00:00Z"],
        ["T-1", ANN, "AutoCAD", "2026", "PC-2", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"],
        ["T-1", ANN, "AutoCAD", "2025", "PC-1", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"],
        # Back to back in one stream: not an overlap.
        ["T-1", ANN, "AutoCAD", "2026", "PC-1", "2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z"],
    ]
    report = run("sessions", write_csv(tmp_path, "s.csv", HEADER, data))
    assert report.ok, report.format()
    assert len(stored()) == 4


@committed_db
def test_a_workbook_with_text_timestamps_imports_and_a_zoneless_date_cell_is_refused(
    tmp_path, catalog
):
    make_team("T-1", "Studio One")
    good = write_xlsx(
        tmp_path,
        "s.xlsx",
        HEADER,
        [["T-1", ANN, "AutoCAD", 2026, "PC-1", "2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z"]],
    )
    report = run("sessions", good)
    assert report.ok, report.format()
    assert stored()[0][3] == "2026"  # a version typed as a number is still text

    bad = write_xlsx(
        tmp_path,
        "bad.xlsx",
        HEADER,
        [["T-1", ANN, "AutoCAD", "2026", "PC-1", datetime(2026, 3, 3, 8), datetime(2026, 3, 3, 9)]],
    )
    refused = run("sessions", bad)
    assert [line for line, _ in refused.bad_lines] == [2]
    assert "no time zone" in refused.bad_lines[0][1][0]


@committed_db
def test_a_missing_column_refuses_the_file(tmp_path, catalog):
    report = run("sessions", write_csv(tmp_path, "s.csv", HEADER[:-1], [["T-1"] * 6]))
    assert report.file_errors == [
        "missing required column(s): end (end, end_time, ended_at, session_end, close_time)"
    ]


@committed_db
def test_the_command_imports_sessions_and_fails_on_a_bad_row(tmp_path, catalog):
    make_team("T-1", "Studio One")
    path = write_csv(
        tmp_path,
        "s.csv",
        HEADER,
        [["T-1", ANN, "AutoCAD", "2026", "PC-1", "2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z"]],
    )
    out = StringIO()
    call_command("spp_import", "sessions", str(path), stdout=out)
    assert "session: 1 created, 0 updated, 0 unchanged" in out.getvalue()

    bad = write_csv(
        tmp_path,
        "bad.csv",
        HEADER,
        [["T-1", ANN, "Maya", "2026", "PC-1", "2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z"]],
    )
    with pytest.raises(CommandError):
        call_command("spp_import", "sessions", str(bad), stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02T08:14:00Z", datetime(2026, 3, 2, 8, 14, tzinfo=UTC)),
        ("2026-03-02T09:14:00+01:00", datetime(2026, 3, 2, 8, 14, tzinfo=UTC)),
        ("2026-03-02 03:14:00-05:00", datetime(2026, 3, 2, 8, 14, tzinfo=UTC)),
        ("2026-03-02T08:14Z", datetime(2026, 3, 2, 8, 14, tzinfo=UTC)),
    ],
)
def test_timestamps_are_read_in_utc(text, expected):
    assert parse_timestamp(text, "start") == expected


@pytest.mark.parametrize("text", ["2026-03-02T08:14:00", "2026-03-02", "08:14", "2026-13-02T08Z"])
def test_timestamps_without_zone_or_malformed_are_refused(text):
    with pytest.raises(BadValue):
        parse_timestamp(text, "start")
