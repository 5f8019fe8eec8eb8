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

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from usage.imports import values as v
from usage.imports.common import MAINT, RowCheck, product_catalog, teams_by_id
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
        team_id = check(v.required, "team_id")
        team = teams.get(team_id) if team_id is not None else None
        if team_id is not None and team is None:
            check.fail(f"{row.label('team_id')}: unknown team {team_id!r}")
        user = check(v.required, "user")
        name = check(v.required, "product")
        product = catalog.get(name.lower()) if name is not None else None
        if name is not None and product is None:
            check.fail(
                f"{row.label('product')}: unknown product {name!r} (neither a catalog product "
                "nor an alias; add it to the catalog or as an alias first)"
            )
        start = check(v.parse_date, "start_date")
        end = check(v.parse_date, "end_date")
        if start is not None and end is not None and end < start:
            check.fail(f"{row.label('end_date')}: {end} is before the start date {start}")
        if check.ok:
            record = SeatRecord(row.line, team, user_key(user, key), product, start, end)
            first = records.get(record.identity)
            if first is None:
                records[record.identity] = record
            elif first.end_date != record.end_date:
                check.fail(
                    f"the same seat (user, product and start date) is on line {first.line} "
                    f"with another end date ({first.end_date} ≠ {record.end_date})"
                )
        errors.extend(check.errors)
    errors.extend(_overlaps(records.values()))
    return list(records.values()), errors


def _overlaps(records) -> list[RowError]:
    """Two seats of one user for one product whose dates overlap: one is a duplicate."""
    holders: dict[tuple, list[SeatRecord]] = defaultdict(list)
    for record in records:
        holders[record.holder].append(record)
    errors = []
    for seats in holders.values():
        seats.sort(key=lambda r: (r.start_date, r.end_date, r.line))
        longest = seats[0]
        for record in seats[1:]:
            if record.start_date <= longest.end_date:
                first, later = sorted((longest, record), key=lambda r: r.line)
                errors.append(
                    RowError(
                        later.line,
                        f"overlaps the seat on line {first.line} (same user and product, "
                        "dates overlap)",
                    )
                )
            if record.end_date > longest.end_date:
                longest = record
    return errors


def run(table: Table, report: ImportReport) -> set[int]:
    resolved = table.resolve(COLUMNS)
    rows = list(table.records(resolved))
    teams = teams_by_id(row["team_id"] for row in rows)
    records, errors = validate(rows, teams, product_catalog())
    report.row_errors.extend(errors)
    if not report.ok:
        return set()
    write(records, report)
    return set()  # seats change the metering, not the Flex figures


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
    new, changed = [], []
    for record in records:
        known = stored.get(record.identity)
        if known is None:
            new.append(
                NamedUserSubscription(
                    team_id=record.team,
                    user_key=record.user_key,
                    product_id=record.product,
                    start_date=record.start_date,
                    end_date=record.end_date,
                )
            )
        elif known[1] != record.end_date:
            changed.append(NamedUserSubscription(pk=known[0], end_date=record.end_date))
    manager.bulk_create(new)
    manager.bulk_update(changed, ["end_date"])
    report.count("named-user seat", "created", len(new))
    report.count("named-user seat", "updated", len(changed))
    report.count("named-user seat", "unchanged", len(records) - len(new) - len(changed))
