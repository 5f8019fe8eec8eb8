"""token_events: event_type (move | merge | adjustment), date, order_number, from_team_id,
to_team_id, quantity, reason -> flex.TokenEvent.

- move: a pack (order_number) to another team (to_team_id); from_team_id optional.
- merge: every pack of from_team_id to to_team_id; no order number.
- adjustment: a signed, non-zero quantity added to or removed from a pack, with a reason.

An event already stored (same kind, date, pack, teams, quantity and reason) is unchanged.
Registered sellers of moved packs are linked to the receiving teams.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from usage.imports import values as v
from usage.imports.common import (
    MAINT,
    RowCheck,
    import_against,
    link_registered_sellers,
    load_holders,
    teams_by_id,
)
from usage.imports.reader import Column, Row, Table
from usage.imports.report import ImportReport, RowError

COLUMNS = (
    Column("event_type", ("type", "event", "kind")),
    Column("date", ("event_date",)),
    Column("order_number", required=False),
    Column("from_team_id", required=False),
    Column("to_team_id", required=False),
    Column("quantity", required=False),
    Column("reason", required=False),
)
EVENT_TYPES = ("move", "merge", "adjustment")


def _a(kind: str | None) -> str:
    return f"an {kind}" if kind and kind[0] in "aeiou" else f"a {kind}"


@dataclass(frozen=True)
class PackInfo:
    pk: int
    team: int
    start_date: date
    end_date: date


@dataclass(frozen=True)
class Known:
    teams: dict[str, int]  # team id -> pk
    packs: dict[str, PackInfo]  # order number -> pack
    events: set[tuple]  # EventRecord.key of the stored events


@dataclass(frozen=True)
class EventRecord:
    line: int
    kind: str
    date: date
    pack: int | None
    from_team: int | None
    to_team: int | None
    quantity: int
    reason: str

    @property
    def key(self) -> tuple:
        return (
            self.kind,
            self.date,
            self.pack,
            self.from_team,
            self.to_team,
            self.quantity,
            self.reason,
        )


def validate(rows: list[Row], known: Known) -> tuple[list[EventRecord], list[RowError]]:
    records: dict[tuple, EventRecord] = {}
    errors: list[RowError] = []
    for row in rows:
        check = RowCheck(row)
        record = _validate_row(row, known, check)
        if record is not None and check.ok:
            records.setdefault(record.key, record)  # an identical repeat is the same event
        errors.extend(check.errors)
    return list(records.values()), errors


def _validate_row(row: Row, known: Known, check: RowCheck) -> EventRecord | None:
    kind = check(v.required, "event_type")
    if kind is not None:
        kind = kind.lower()
        if kind not in EVENT_TYPES:
            check.fail(
                f"{row.label('event_type')}: unknown event type {row['event_type']!r} "
                "(move, merge or adjustment)"
            )
            kind = None
    day = check(v.parse_date, "date")

    def team(key: str, needed: bool) -> int | None:
        value = row[key]
        if not value:
            if needed:
                check.fail(f"{row.label(key)}: missing required value for {_a(kind)}")
            return None
        if value not in known.teams:
            check.fail(f"{row.label(key)}: unknown team {value!r}")
            return None
        return known.teams[value]

    def forbid(key: str, why: str) -> None:
        if row[key]:
            check.fail(f"{row.label(key)}: must be empty for {_a(kind)} ({why})")

    pack: PackInfo | None = None
    if kind in ("move", "adjustment"):
        order = row["order_number"]
        if not order:
            check.fail(f"{row.label('order_number')}: missing required value for {_a(kind)}")
        elif order not in known.packs:
            check.fail(f"{row.label('order_number')}: unknown order number {order!r}")
        else:
            pack = known.packs[order]
    elif kind == "merge":
        forbid("order_number", "a merge moves every pack of the team")

    from_team = team("from_team_id", needed=kind == "merge") if kind else None
    if kind == "adjustment":
        forbid("to_team_id", "an adjustment changes a pack where it is")
        to_team = None
    else:
        to_team = team("to_team_id", needed=kind in ("move", "merge")) if kind else None
    if from_team is not None and from_team == to_team:
        check.fail("from_team_id and to_team_id are the same team")

    if kind == "adjustment":
        quantity = check(v.parse_whole, "quantity")
        if quantity == 0:
            check.fail(f"{row.label('quantity')}: an adjustment must not be zero")
        reason = check(v.required, "reason")
    else:
        # Informational for moves and merges (the ledger moves every remaining token).
        quantity = check.optional(v.parse_whole, "quantity", minimum=0) or 0
        reason = row["reason"]
    if reason:
        check(v.max_length, "reason", 300)

    if pack is not None and day is not None and day > pack.end_date:
        check.fail(
            f"order {row['order_number']} ended on {pack.end_date}; {_a(kind)} on {day} "
            "cannot apply to it"
        )
    if not check.ok or kind is None or day is None:
        return None
    return EventRecord(
        row.line,
        kind,
        day,
        pack.pk if pack else None,
        from_team,
        to_team,
        quantity,
        reason or "",
    )


def run(table: Table, report: ImportReport) -> set[int]:
    return import_against(table, report, COLUMNS, load_known, validate, write)


def load_known(rows: list[Row]) -> Known:
    from flex.models import Pack, TokenEvent

    orders = {row["order_number"] for row in rows if row["order_number"]}
    packs = {
        order: PackInfo(pk, team, start, end)
        for order, pk, team, start, end in Pack.unscoped.using(MAINT)
        .filter(order_number__in=orders)
        .values_list("order_number", "pk", "team_id", "start_date", "end_date")
    }
    teams = teams_by_id(row[key] for row in rows for key in ("from_team_id", "to_team_id"))
    days = set()
    for row in rows:
        try:
            days.add(v.parse_date(row["date"], "date"))
        except v.BadValue:
            pass
    events = set(
        TokenEvent.unscoped.using(MAINT)
        .filter(date__in=days)
        .values_list("kind", "date", "pack_id", "from_team_id", "to_team_id", "quantity", "reason")
    )
    return Known(teams=teams, packs=packs, events=events)


def write(records: list[EventRecord], known: Known, report: ImportReport) -> set[int]:
    from flex.models import TokenEvent

    report.touch("token event")
    new = [r for r in records if r.key not in known.events]
    report.count("token event", "unchanged", len(records) - len(new))
    TokenEvent.unscoped.using(MAINT).bulk_create(
        [
            TokenEvent(
                kind=r.kind,
                date=r.date,
                pack_id=r.pack,
                from_team_id=r.from_team,
                to_team_id=r.to_team,
                quantity=r.quantity,
                reason=r.reason,
            )
            for r in sorted(new, key=lambda r: (r.date, r.line))  # the ledger's order of a day
        ]
    )
    report.count("token event", "created", len(new))
    if not new:
        return set()

    affected = {t for r in new for t in (r.from_team, r.to_team) if t}
    pack_pks = {r.pack for r in new if r.pack}
    merged_from = {r.from_team for r in new if r.kind == "merge"}
    pack_pks |= packs_possibly_held_by(merged_from)
    links, _ = link_registered_sellers(pack_pks)
    report.count("team link", "created", links)
    # Every team a moved or adjusted pack has been in replays differently now.
    for teams in load_holders({r.pack for r in new if r.pack}).values():
        affected |= teams
    return affected


def packs_possibly_held_by(team_pks: set[int]) -> set[int]:
    """Packs that may sit in these teams' pools: bought for them, moved into them, or in
    teams merged into them (a superset; holder_teams() then replays it exactly)."""
    from flex.models import Pack, TokenEvent

    teams = set(team_pks)
    if not teams:
        return set()
    events = TokenEvent.unscoped.using(MAINT)
    while True:
        merged_in = set(
            events.filter(kind="merge", to_team__in=teams).values_list("from_team_id", flat=True)
        )
        if merged_in <= teams:
            break
        teams |= merged_in
    bought = set(Pack.unscoped.using(MAINT).filter(team__in=teams).values_list("pk", flat=True))
    moved_in = set(
        events.filter(kind="move", to_team__in=teams, pack__isnull=False).values_list(
            "pack_id", flat=True
        )
    )
    return bought | moved_in
