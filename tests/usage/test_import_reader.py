"""Reading feed files: headers, line numbers, file types, file-level errors (no database)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.usage.factories import write_xlsx
from usage.imports.reader import Column, FileError, cell_text, normalise_header, read_table
from usage.imports.report import ImportReport, RowError


def read(content: str | bytes, name: str = "feed.csv"):
    return read_table(content.encode() if isinstance(content, str) else content, name)


@pytest.mark.parametrize("header", ["Day used", "day_used", "dayUsed", "day-used", " DAY USED "])
def test_header_names_are_case_and_separator_insensitive(header):
    assert normalise_header(header) == "dayused"


def test_the_first_csv_line_is_the_header_and_data_starts_on_line_2():
    table = read("Team,Tokens used\nT-1,7\nT-2,3\n")
    assert table.headers == {"team": "Team", "tokensused": "Tokens used"}
    assert table.lines.tolist() == [2, 3]
    assert table.frame["tokensused"].tolist() == ["7", "3"]


def test_blank_lines_are_skipped_and_lines_keep_their_file_numbers():
    table = read("a,b\n1,2\n\n   ,  \n3,4\n\n")
    assert table.lines.tolist() == [2, 5]
    assert table.rows == 2


def test_a_quoted_field_over_two_lines_keeps_the_following_line_numbers_right():
    table = read('a,b\n"two\nlines",1\n2,3\n')
    assert table.lines.tolist() == [2, 4]
    assert table.frame["a"].tolist() == ["two\nlines", "2"]


def test_a_row_with_more_fields_than_the_header_is_a_bad_row_with_its_line():
    table = read("a,b\n1,2\n1,2,3\n4,5\n")
    assert table.lines.tolist() == [2, 4]
    assert table.row_errors == [
        RowError(3, "cannot split the row into the header's columns: expected 2 fields, saw 3")
    ]


def test_a_short_row_has_blank_cells():
    table = read("a,b,c\n1,2\n")
    assert table.frame.iloc[0].tolist() == ["1", "2", ""]


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_the_separator_is_found_from_the_header(separator):
    table = read(f"a{separator}b\n1{separator}2\n")
    assert table.frame.iloc[0].tolist() == ["1", "2"]


def test_utf8_bom_and_windows_1252_text_are_read():
    assert read("\ufeffTeam,x\nT,1\n".encode()).headers == {"team": "Team", "x": "x"}
    table = read("name,x\nCafé Müller,1\n".encode("cp1252"))
    assert table.frame["name"].tolist() == ["Café Müller"]
    assert table.notes == ["read as Windows-1252 text (not UTF-8)"]


def test_utf16_text_from_excel_is_read():
    table = read("a\tb\n1\t2\n".encode("utf-16"))
    assert table.frame.iloc[0].tolist() == ["1", "2"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("a,b\n1,2\n", "feed.txt", "wrong file type .txt"),
        ("a,b\n1,2\n", "feed.xls", "wrong file type .xls"),
        ("a,b\n1,2\n", "feed", "wrong file type (no suffix)"),
        ("", "feed.csv", "empty file"),
        ("  \n\n", "feed.csv", "empty file"),
        ("a,b\n", "feed.csv", "empty file: no data rows under the header"),
        ("a,b\n\n,\n", "feed.csv", "empty file: no data rows under the header"),
        (b"\x00\x01\x02binary", "feed.csv", "unreadable content: binary data"),
        (b"PK\x03\x04rest-of-a-zip", "feed.csv", "this is an Excel workbook"),
        ("not a zip", "feed.xlsx", "unreadable content: not an .xlsx workbook"),
        ('a,b\n"unclosed,1\n', "feed.csv", "unreadable CSV"),
        ("Team,team\n1,2\n", "feed.csv", "duplicate column: 'Team' and 'team' are the same"),
    ],
)
def test_file_level_errors(content, name, message):
    with pytest.raises(FileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(content, name)


def test_missing_required_columns_are_all_named_with_their_accepted_spellings():
    table = read("team,version\nT,1\n")
    columns = (
        Column("day", ("day_used", "usageDate")),
        Column("team"),
        Column("tokens", ("tokens_used",)),
        Column("feature", required=False),
    )
    with pytest.raises(FileError) as failure:
        table.resolve(columns)
    assert str(failure.value) == (
        "missing required column(s): day (day, day_used, usageDate); tokens (tokens, tokens_used)"
    )


def test_aliases_resolve_to_the_first_spelling_present():
    table = read("usageDate,Tokens used\n2025-01-01,1\n")
    resolved = table.resolve(
        (Column("day", ("day_used", "usage_date")), Column("tokens", ("tokens_used",)))
    )
    assert resolved == {"day": "usagedate", "tokens": "tokensused"}
    assert table.labels(resolved) == {"day": "usageDate", "tokens": "Tokens used"}


def test_records_give_stripped_text_by_key_with_the_line():
    table = read("Team ID, Name \n  T-1 , Studio \n")
    (row,) = table.records({"team_id": "teamid", "name": "name"})
    assert (row.line, row["team_id"], row["name"], row["missing"]) == (2, "T-1", "Studio", "")
    assert row.label("name") == "Name"


# ------------------------------------------------------------------------ workbooks


def test_xlsx_first_sheet_with_real_date_cells_and_sheet_row_numbers(tmp_path):
    path = write_xlsx(
        tmp_path,
        "usage.xlsx",
        ["Day used", "Team", "Tokens used"],
        [
            [date(2025, 1, 3), "T-1", 7],
            [None, None, None],  # a blank sheet row
            [datetime(2025, 1, 4, 10, 30), 12345, 7.0],
        ],
        first_row=3,
        other_sheets=1,
    )
    table = read_table(path.read_bytes(), path.name)
    assert table.headers == {"dayused": "Day used", "team": "Team", "tokensused": "Tokens used"}
    assert table.lines.tolist() == [4, 6]
    assert table.frame.iloc[0].tolist() == ["2025-01-03", "T-1", "7"]
    assert table.frame.iloc[1].tolist() == ["2025-01-04T10:30:00", "12345", "7"]


def test_xlsx_with_only_a_header_is_empty(tmp_path):
    path = write_xlsx(tmp_path, "empty.xlsx", ["a", "b"], [])
    with pytest.raises(FileError, match="no data rows"):
        read_table(path.read_bytes(), path.name)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("x", "x"),
        (7, "7"),
        (7.0, "7"),
        (7.5, "7.5"),
        (True, "TRUE"),
        (date(2025, 1, 3), "2025-01-03"),
        (datetime(2025, 1, 3), "2025-01-03"),
        (datetime(2025, 1, 3, 8, 0), "2025-01-03T08:00:00"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


# ------------------------------------------------------------------------ report


def test_report_lists_every_bad_line_once_with_all_its_reasons_in_order():
    report = ImportReport(kind="usage", file_name="u.csv", rows=5)
    report.error(4, "tokens: negative tokens (-1)")
    report.error(2, "day: bad date '2025-13-01' (expected YYYY-MM-DD)")
    report.error(4, "team: unknown team 'X'")
    assert report.bad_lines == [
        (2, ["day: bad date '2025-13-01' (expected YYYY-MM-DD)"]),
        (4, ["tokens: negative tokens (-1)", "team: unknown team 'X'"]),
    ]
    text = report.format()
    assert "u.csv: 2 bad rows of 5; nothing was written." in text
    assert "  line 4: tokens: negative tokens (-1); team: unknown team 'X'" in text
    assert not report.ok


def test_report_counts_and_headlines():
    report = ImportReport(kind="teams", file_name="t.csv", rows=2)
    report.touch("team")
    report.count("team", "created", 2)
    assert report.count_lines() == ["team: 2 created, 0 updated, 0 unchanged"]
    assert report.headline == "t.csv: imported 2 rows."
    again = ImportReport(kind="teams", file_name="t.csv", rows=2)
    again.count("team", "unchanged", 2)
    assert again.headline == "t.csv: 2 rows, all already imported; nothing changed."
    assert not again.changed
