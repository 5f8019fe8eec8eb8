"""The token events feed: moves, merges, adjustments; sellers follow their packs."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import committed_db
from tests.factories import make_pack, make_partner, make_team
from tests.usage.factories import counts, run, write_csv
from usage.imports.common import PackPlace, Transfer, holder_teams

HEADER = ["event_type", "date", "order_number", "from_team_id", "to_team_id", "quantity", "reason"]


@pytest.fixture
def world():
    seller = make_partner("5100000001", "Partner A")
    t1, t2, t3 = (make_team(f"T-{i}", f"Studio {i}") for i in (1, 2, 3))
    make_pack(t1, "ORD-A", seller, 1000, date(2025, 1, 1))
    make_pack(t1, "ORD-X", "ADSK-STORE", 500, date(2025, 1, 1))
    make_pack(t3, "ORD-OLD", seller, 100, date(2023, 1, 1))  # ended 2023-12-31
    return {"seller": seller, "t1": t1, "t2": t2, "t3": t3}


def events():
    from flex.models import TokenEvent

    return list(
        TokenEvent.unscoped.using("maint")
        .order_by("date", "id")
        .values_list(
            "kind",
            "date",
            "pack__order_number",
            "from_team__team_id",
            "to_team__team_id",
            "quantity",
            "reason",
        )
    )


def seller_links():
    from teams.models import TeamLink

    return sorted(
        TeamLink.unscoped.using("maint").values_list("partner__csn", "team__team_id", "source")
    )


@committed_db
def test_a_move_is_stored_and_the_seller_follows_its_pack(world, tmp_path):
    data = [["move", "2025-06-01", "ORD-A", "T-1", "T-2", "", "customer reorganised"]]
    report = run("token_events", write_csv(tmp_path, "e.csv", HEADER, data))

    assert report.ok, report.format()
    assert events() == [
        ("move", date(2025, 6, 1), "ORD-A", "T-1", "T-2", 0, "customer reorganised")
    ]
    assert seller_links() == [
        ("5100000001", "T-1", "seller"),
        ("5100000001", "T-2", "seller"),
        ("5100000001", "T-3", "seller"),
    ]
    assert report.counts["token event"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert report.counts["team link"] == {"created": 1}
    assert report.teams_affected == 2  # T-1 and T-2


@committed_db
def test_a_merge_carries_the_sellers_of_every_pack_of_the_merged_team(world, tmp_path):
    data = [["Merge", "2025-06-01", "", "T-1", "T-2", "", ""]]
    report = run("token_events", write_csv(tmp_path, "e.csv", HEADER, data))

    assert report.ok, report.format()
    assert events() == [("merge", date(2025, 6, 1), None, "T-1", "T-2", 0, "")]
    assert ("5100000001", "T-2", "seller") in seller_links()


@committed_db
def test_an_adjustment_needs_a_signed_quantity_and_a_reason(world, tmp_path):
    data = [["adjustment", "2025-06-01", "ORD-X", "", "", "-50", "goodwill correction"]]
    report = run("token_events", write_csv(tmp_path, "e.csv", HEADER, data))

    assert report.ok, report.format()
    assert events() == [
        ("adjustment", date(2025, 6, 1), "ORD-X", None, None, -50, "goodwill correction")
    ]
    assert report.teams_affected == 1


@committed_db
def test_the_same_file_twice_changes_nothing(world, tmp_path):
    data = [
        ["move", "2025-06-01", "ORD-A", "", "T-2", "", ""],
        ["move", "2025-06-01", "ORD-A", "", "T-2", "", ""],  # an identical repeat: one event
        ["adjustment", "2025-07-01", "ORD-X", "", "", "25", "bonus"],
    ]
    path = write_csv(tmp_path, "e.csv", HEADER, data)
    first = run("token_events", path)
    assert first.counts["token event"]["created"] == 2

    again = run("token_events", path)

    assert again.counts["token event"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert len(events()) == 2
    assert again.teams_affected == 0


@committed_db
def test_every_bad_row_is_reported_and_nothing_is_written(world, tmp_path):
    data = [
        ["move", "2025-06-01", "ORD-A", "", "T-2", "", ""],  # 2 good
        ["transfer", "2025-06-01", "ORD-A", "", "T-2", "", ""],  # 3
        ["move", "2025-06-01", "ORD-404", "", "T-2", "", ""],  # 4
        ["move", "2025-06-01", "ORD-A", "", "", "", ""],  # 5
        ["move", "2025-06-01", "ORD-A", "T-404", "T-2", "", ""],  # 6
        ["merge", "2025-06-01", "ORD-A", "T-1", "T-2", "", ""],  # 7
        ["merge", "2025-06-01", "", "", "T-2", "", ""],  # 8
        ["merge", "2025-06-01", "", "T-2", "T-2", "", ""],  # 9
        ["adjustment", "2025-06-01", "ORD-A", "", "", "0", "why"],  # 10
        ["adjustment", "2025-06-01", "ORD-A", "", "", "5", ""],  # 11
        ["adjustment", "2025-06-01", "ORD-A", "", "T-2", "5", "why"],  # 12
        ["move", "2025-06-31", "ORD-A", "", "T-2", "", ""],  # 13
        ["move", "2025-06-01", "ORD-OLD", "", "T-2", "", ""],  # 14
        ["move", "2025-06-01", "ORD-A", "", "T-2", "-3", ""],  # 15
    ]
    before = counts()

    report = run("token_events", write_csv(tmp_path, "e.csv", HEADER, data))

    assert report.bad_lines == [
        (3, ["event_type: unknown event type 'transfer' (move, merge or adjustment)"]),
        (4, ["order_number: unknown order number 'ORD-404'"]),
        (5, ["to_team_id: missing required value for a move"]),
        (6, ["from_team_id: unknown team 'T-404'"]),
        (7, ["order_number: must be empty for a merge (a merge moves every pack of the team)"]),
        (8, ["from_team_id: missing required value for a merge"]),
        (9, ["from_team_id and to_team_id are the same team"]),
        (10, ["quantity: an adjustment must not be zero"]),
        (11, ["reason: missing required value"]),
        (
            12,
            [
                "to_team_id: must be empty for an adjustment (an adjustment changes a pack where it is)"
            ],
        ),
        (13, ["date: bad date '2025-06-31' (expected YYYY-MM-DD)"]),
        (14, ["order ORD-OLD ended on 2023-12-31; a move on 2025-06-01 cannot apply to it"]),
        (15, ["quantity: must be at least 0, not -3"]),
    ]
    assert counts() == before


# --------------------------------------------------------------- where packs have been


def test_holder_teams_replays_moves_and_merges_like_the_ledger():
    end = date(2025, 12, 31)
    packs = [PackPlace(1, team=10, end_date=end), PackPlace(2, team=20, end_date=date(2025, 3, 31))]
    transfers = [
        Transfer((date(2025, 2, 1), 1), "move", 1, None, 30),  # pack 1: 10 -> 30
        Transfer((date(2025, 3, 1), 2), "move", 1, 10, 40),  # wrong from team: skipped
        Transfer((date(2025, 4, 1), 3), "merge", None, 30, 50),  # 30's packs -> 50
        Transfer((date(2025, 4, 1), 4), "merge", None, 20, 60),  # pack 2 ended 03-31: stays
    ]
    assert holder_teams(packs, transfers) == {1: {10, 30, 50}, 2: {20}}
