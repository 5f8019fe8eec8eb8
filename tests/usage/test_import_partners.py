"""The partners feed: upsert by CSN, and packs sold before the partner registered."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from spp.models import Partner
from tests.conftest import committed_db
from tests.factories import make_pack, make_partner, make_team
from tests.usage.factories import counts, run, write_csv
from usage.imports.partners import validate
from usage.imports.reader import Row

HEADER = ["CSN", "Name", "Currency", "Token price"]


def partner_rows():
    return list(
        Partner.objects.using("maint")
        .order_by("csn")
        .values_list("csn", "name", "currency", "token_price")
    )


@committed_db
def test_partners_are_created_then_unchanged_then_updated(tmp_path):
    data = [["5100000001", "Partner A", "USD", "3.00"], ["5100000002", "Partner B", "eur", "2.5"]]
    first = run("partners", write_csv(tmp_path, "p.csv", HEADER, data))
    assert first.counts["partner"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert partner_rows() == [
        ("5100000001", "Partner A", "USD", Decimal("3.0000")),
        ("5100000002", "Partner B", "EUR", Decimal("2.5000")),
    ]

    again = run("partners", write_csv(tmp_path, "p.csv", HEADER, data))
    assert again.counts["partner"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert not again.changed

    data[1] = ["5100000002", "Partner B GmbH", "EUR", "2.75"]
    changed = run("partners", write_csv(tmp_path, "p.csv", HEADER, data))
    assert changed.counts["partner"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert partner_rows()[1] == ("5100000002", "Partner B GmbH", "EUR", Decimal("2.7500"))


@committed_db
def test_every_bad_row_is_reported_and_no_partner_is_written(tmp_path):
    data = [
        ["5100000001", "Partner A", "USD", "3.00"],  # line 2, good
        ["51 00", "Bad CSN", "USD", "3.00"],  # 3
        ["5100000003", "", "USD", "3.00"],  # 4
        ["5100000004", "Dollar sign", "US$", "3.00"],  # 5
        ["5100000005", "Negative", "USD", "-1"],  # 6
        ["5100000001", "Partner A again", "USD", "3.00"],  # 7
        ["5100000006", "Words", "USD", "three"],  # 8
    ]
    report = run("partners", write_csv(tmp_path, "p.csv", HEADER, data))

    assert report.bad_lines == [
        (3, ["CSN: bad CSN '51 00' (3 to 20 letters, digits or dashes)"]),
        (4, ["Name: missing required value"]),
        (5, ["Currency: unknown currency format 'US$' (a three-letter ISO code such as USD)"]),
        (6, ["Token price: must be at least 0, not -1"]),
        (
            7,
            [
                "CSN 5100000001 appears again (line 2) with other data: name Partner A ≠ Partner A again"
            ],
        ),
        (8, ["Token price: bad number 'three'"]),
    ]
    assert counts()["spp_partner"] == 0


@committed_db
def test_a_new_partner_takes_over_its_packs_and_sees_their_teams(tmp_path):
    """Packs sold under a CSN before it registered get their seller, and the seller is
    linked to every team the pack has been in (here: bought for one, moved to another)."""
    from flex.models import Pack, TokenEvent
    from teams.models import TeamLink

    bought_for = make_team("T-1", "Studio One")
    moved_to = make_team("T-2", "Studio Two")
    other = make_team("T-3", "Other")
    pack = make_pack(bought_for, "ORD-1", "5100000009", 1000, date(2025, 3, 1))
    make_pack(other, "ORD-2", "5100000008", 500, date(2025, 3, 1))  # another seller
    TokenEvent.unscoped.using("maint").create(
        kind="move", date=date(2025, 6, 1), pack=pack, to_team=moved_to
    )

    report = run(
        "partners", write_csv(tmp_path, "p.csv", HEADER, [["5100000009", "Late", "USD", "3"]])
    )

    late = Partner.objects.using("maint").get(csn="5100000009")
    assert Pack.unscoped.using("maint").get(order_number="ORD-1").seller_partner == late
    assert Pack.unscoped.using("maint").get(order_number="ORD-2").seller_partner is None
    links = TeamLink.unscoped.using("maint").filter(partner=late)
    assert sorted(links.values_list("team__team_id", "source")) == [
        ("T-1", "seller"),
        ("T-2", "seller"),
    ]
    assert report.counts["pack"] == {"updated": 1}
    assert report.counts["team link"] == {"created": 2}
    assert report.teams_affected == 2

    again = run(
        "partners", write_csv(tmp_path, "p.csv", HEADER, [["5100000009", "Late", "USD", "3"]])
    )
    assert not again.changed and again.teams_affected == 0


@committed_db
def test_an_existing_operator_link_is_kept(tmp_path):
    from teams.models import TeamLink

    partner = make_partner("5100000007", "Linked already")
    team = make_team("T-1", "Studio One", linked=[partner])
    Partner.objects.using("maint").filter(pk=partner.pk).delete()  # not registered any more
    TeamLink.unscoped.using("maint").all().delete()
    make_pack(team, "ORD-1", "5100000007", 100, date(2025, 1, 1))

    run("partners", write_csv(tmp_path, "p.csv", HEADER, [["5100000007", "Back", "USD", "3"]]))

    assert list(TeamLink.unscoped.using("maint").values_list("team__team_id", "source")) == [
        ("T-1", "seller")
    ]


@committed_db
def test_dry_run_writes_nothing(tmp_path):
    report = run(
        "partners",
        write_csv(tmp_path, "p.csv", HEADER, [["5100000001", "A", "USD", "3"]]),
        dry_run=True,
    )
    assert report.counts["partner"]["created"] == 1
    assert counts()["spp_partner"] == 0


def test_validation_is_plain_data():
    labels = {"csn": "csn", "name": "name", "currency": "currency", "token_price": "token_price"}
    good = Row(2, {"csn": "ABC-1", "name": "X", "currency": "usd", "token_price": "1.5"}, labels)
    records, errors = validate([good])
    assert errors == []
    assert (records[0].csn, records[0].currency, records[0].token_price) == (
        "ABC-1",
        "USD",
        Decimal("1.5000"),
    )
