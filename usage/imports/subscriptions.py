"""subscriptions: team_id, user, product, start_date, end_date -> usage.NamedUserSubscription.

Named-user seats (SPEC §12), for the metering of SPEC §11: while a user holds a seat for a
product, Flex must charge that user nothing for it. Users are pseudonymised as in usage;
products are the catalog's by name or alias (an unknown product is a bad row).

A seat is identified by (team, user, product, start date): the same file twice changes
nothing; a seat delivered again with another end date (renewed, cancelled early) is
updated. In one file, the same seat with two end dates, or two seats of one user and
product whose dates overlap, are bad rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from usage.imports import common
from usage.imports import values as v
from usage.imports.common import MAINT, RowCheck
from usage.imports.pseudonym import secret, user_key
from usage.imports.reader import Column, Row, Table
from usage.imports.report import ImportReport, RowError

COLUMNS = (
    Column("team_id", ("team", "context_id")),
    Column("user", ("email", "user_id", "user_name", "hashed_user_id", "hashed_autodesk_id")),
    Column("product", ("product_name",)),
    Column("start_date", ("start", "from", "valid_from")),
    Column("end_date", ("end", "to", "valid_to")),
)


@dataclass(frozen=True)
class SeatRecord:
    line: int
    team: int
    user_key: str
    product: int
    start_date: date
    end_date: date

    @property
    def identity(self) -> tuple:
        return (self.team, self.user_key, self.product, self.start_date)

    @property
    def holder(self) -> tuple:
        return (self.team, self.user_key, self.product)


def validate(
    rows: list[Row], teams: dict[str, int], catalog: dict[str, int]
) -> tuple[list[SeatRecord], list[RowError]]:
    key = secret()
    records: dict[tuple, SeatRecord] = {}
    errors: list[RowError] = []
    for row in rows:
        check = RowCheck(row)
        team = common.known_team(check, teams)
        user = check(v.required, "user")
        product = common.catalog_product(check, catalog)
        start = check(v.parse_date, "start_date")
        end = check(v.parse_date, "end_date")
        if start is not None and end is not None and end < start:
            check.fail(f"{row.label('end_date')}: {end} is before the start date {start}")
        if check.ok:
            record = SeatRecord(row.line, team, user_key(user, key), product, start, end)
            first = common.repeat_of(records, record, "end_date")
            if first is not None:
                check.fail(
                    f"the same seat (user, product and start date) is on line {first.line} "
                    f"with another end date ({first.end_date} ≠ {record.end_date})"
                )
        errors.extend(check.errors)
    # Two seats of one user for one product whose dates overlap (a seat holds its last day
    # too): one is a duplicate.
    overlaps = common.overlapping(
        records.values(), lambda r: r.holder, lambda r: (r.start_date, r.end_date), closed=True
    )
    errors.extend(
        RowError(
            later.line,
            f"overlaps the seat on line {first.line} (same user and product, dates overlap)",
        )
        for first, later in overlaps
    )
    return list(records.values()), errors


def run(table: Table, report: ImportReport) -> set[int]:
    return common.import_team_products(table, report, COLUMNS, validate, write)


def write(records: list[SeatRecord], report: ImportReport) -> None:
    from usage.models import NamedUserSubscription

    report.touch("named-user seat")
    manager = NamedUserSubscription.objects.using(MAINT)
    stored = {
        (team, user, product, start): (pk, end)
        for pk, team, user, product, start, end in manager.filter(
            team__in={r.team for r in records}
        ).values_list("pk", "team_id", "user_key", "product_id", "start_date", "end_date")
    }
    common.save_by_identity(
        NamedUserSubscription,
        records,
        stored,
        "end_date",
        lambda r: NamedUserSubscription(
            team_id=r.team,
            user_key=r.user_key,
            product_id=r.product,
            start_date=r.start_date,
            end_date=r.end_date,
        ),
        report,
        "named-user seat",
    )
