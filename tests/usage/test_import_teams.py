"""The teams feed: accounts by CSN, teams by team id, updates reported."""

from __future__ import annotations

from tests.conftest import committed_db
from tests.usage.factories import counts, rows, run, write_csv

HEADER = ["team_id", "team_name", "account_csn", "account_name", "country"]


def teams():
    return rows(
        "SELECT t.team_id, t.name, a.csn, a.name, t.country FROM teams_team t "
        "JOIN teams_account a ON a.id = t.account_id ORDER BY t.team_id"
    )


@committed_db
def test_teams_and_accounts_are_created_then_unchanged_then_updated(tmp_path):
    data = [
        ["T-1", "Studio One", "C-1", "Acme", "us"],
        ["T-2", "Studio Two", "C-1", "Acme", "US"],
        ["T-3", "Munich", "C-2", "Beta", "DE"],
    ]
    first = run("teams", write_csv(tmp_path, "t.csv", HEADER, data))
    assert first.counts["account"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert first.counts["team"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert teams()[0] == ("T-1", "Studio One", "C-1", "Acme", "US")

    again = run("teams", write_csv(tmp_path, "t.csv", HEADER, data))
    assert again.counts["team"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert again.counts["account"] == {"created": 0, "updated": 0, "unchanged": 2}

    data = [
        ["T-1", "Studio 1", "C-1", "Acme Inc", "US"],  # renamed team and account
        ["T-2", "Studio Two", "C-2", "Beta", "US"],  # moved to another account
        ["T-3", "Munich", "C-2", "Beta", "AT"],  # country
    ]
    changed = run("teams", write_csv(tmp_path, "t.csv", HEADER, data))
    assert changed.counts["team"] == {"created": 0, "updated": 3, "unchanged": 0}
    assert changed.counts["account"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert teams() == [
        ("T-1", "Studio 1", "C-1", "Acme Inc", "US"),
        ("T-2", "Studio Two", "C-2", "Beta", "US"),
        ("T-3", "Munich", "C-2", "Beta", "AT"),
    ]


@committed_db
def test_every_bad_row_is_reported_and_nothing_is_written(tmp_path):
    data = [
        ["T-1", "Studio One", "C-1", "Acme", "US"],  # 2 good
        ["", "No id", "C-1", "Acme", "US"],  # 3
        ["T-3", "Country", "C-1", "Acme", "Germany"],  # 4
        ["T-4", "Renamed account", "C-1", "Acme Ltd", "US"],  # 5
        ["T-1", "Studio Uno", "C-1", "Acme", "US"],  # 6
        ["T-6", "", "", "", ""],  # 7
    ]
    report = run("teams", write_csv(tmp_path, "t.csv", HEADER, data))

    assert report.bad_lines == [
        (3, ["team_id: missing required value"]),
        (4, ["country: bad country 'Germany' (a two-letter ISO code such as US)"]),
        (5, ["account C-1 is named 'Acme' on line 2 and 'Acme Ltd' here"]),
        (6, ["team T-1 appears again (line 2) with other data: name Studio One ≠ Studio Uno"]),
        (
            7,
            [
                "team_name: missing required value",
                "account_csn: missing required value",
                "account_name: missing required value",
            ],
        ),
    ]
    assert counts()["teams_team"] == counts()["teams_account"] == 0


@committed_db
def test_a_missing_column_is_a_file_error(tmp_path):
    report = run("teams", write_csv(tmp_path, "t.csv", HEADER[:3], [["T-1", "x", "C-1"]]))
    assert report.file_errors == ["missing required column(s): account_name; country"]
