"""Helpers shared by the kinds: the steps of an import, per-row validation, look-ups,
records identified within a file, and team links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar

from usage.imports import values as v
from usage.imports.reader import Column, Row, Table
from usage.imports.report import ImportReport, RowError
from usage.imports.values import BadValue

MAINT = "maint"
T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K")


class FileRecord(Protocol):
    """A validated record: the line it came from and what names it within its kind."""

    @property
    def line(self) -> int: ...

    @property
    def identity(self) -> tuple: ...


F = TypeVar("F", bound=FileRecord)


# ------------------------------------------------------------------ the steps of a kind


def read_rows(table: Table, columns: Sequence[Column]) -> list[Row]:
    """The table's rows under the kind's columns (FileError when a required one is missing)."""
    return list(table.records(table.resolve(columns)))


def all_or_nothing(
    report: ImportReport,
    validated: tuple[list[R], list[RowError]],
    write: Callable[[list[R]], set[int] | None],
) -> set[int]:
    """Write the validated records only when no row is bad anywhere (this file's reader's
    rows too): a bad row writes nothing, and every bad row is reported.

    Returns the pks of the teams whose Flex figures the write changed (write() returns
    None for a kind that changes none)."""
    records, errors = validated
    report.row_errors.extend(errors)
    if not report.ok:
        return set()
    return write(records) or set()


def import_against(
    table: Table,
    report: ImportReport,
    columns: Sequence[Column],
    load: Callable[[list[Row]], K],
    validate: Callable[[list[Row], K], tuple[list[R], list[RowError]]],
    write: Callable[[list[R], K, ImportReport], set[int] | None],
) -> set[int]:
    """The steps of a kind whose rows are checked against what the database holds: load()
    reads what the rows name (teams, packs, events), validate() and write() both use it."""
    rows = read_rows(table, columns)
    known = load(rows)
    return all_or_nothing(
        report, validate(rows, known), lambda records: write(records, known, report)
    )


def import_team_products(
    table: Table,
    report: ImportReport,
    columns: Sequence[Column],
    validate: Callable[[list[Row], dict[str, int], dict[str, int]], tuple[list[R], list[RowError]]],
    write: Callable[[list[R], ImportReport], None],
) -> set[int]:
    """The steps of a kind whose rows each name a team and a catalog product (sessions,
    named-user seats): validate(rows, teams, catalog), then all or nothing. These kinds
    feed the metering and the advisor, not the Flex figures: no team to recompute."""
    rows = read_rows(table, columns)
    teams = teams_by_id(row["team_id"] for row in rows)
    validated = validate(rows, teams, product_catalog())
    return all_or_nothing(report, validated, lambda records: write(records, report))


class RowCheck:
    """Collects every reason a row is bad instead of stopping at the first one."""

    def __init__(self, row: Row) -> None:
        self.row = row
        self.errors: list[RowError] = []

    def __call__(self, parser: Callable[..., T], key: str, *args: Any, **kwargs: Any) -> T | None:
        """parser(cell text, column label, ...) or None (the reason is recorded)."""
        try:
            return parser(self.row[key], self.row.label(key), *args, **kwargs)
        except BadValue as exc:
            self.fail(str(exc))
            return None

    def optional(self, parser: Callable[..., T], key: str, *args: Any, **kwargs: Any) -> T | None:
        """As __call__, but a blank cell (or an absent column) is None, not an error."""
        if self.row[key] == "":
            return None
        return self(parser, key, *args, **kwargs)

    def fail(self, reason: str) -> None:
        self.errors.append(RowError(self.row.line, reason))

    @property
    def ok(self) -> bool:
        return not self.errors


def known_team(check: RowCheck, teams: dict[str, int], key: str = "team_id") -> int | None:
    """The pk of the row's team (a required cell naming a known team), or None with the
    reason recorded."""
    team_id = check(v.required, key)
    if team_id is None:
        return None
    team = teams.get(team_id)
    if team is None:
        check.fail(f"{check.row.label(key)}: unknown team {team_id!r}")
    return team


def catalog_product(check: RowCheck, catalog: dict[str, int], key: str = "product") -> int | None:
    """The pk of the row's product (a required cell: a catalog name or alias, any case), or
    None with the reason recorded. Never a new product: a typo must not grow the catalog."""
    name = check(v.required, key)
    if name is None:
        return None
    product = catalog.get(name.lower())
    if product is None:
        check.fail(
            f"{check.row.label(key)}: unknown product {name!r} (neither a catalog product "
            "nor an alias; add it to the catalog or as an alias first)"
        )
    return product


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """`field old ≠ new` for each field whose value differs (None/blank shown as (blank))."""

    def show(value: Any) -> str:
        return "(blank)" if value in (None, "") else str(value)

    return [f"{k} {show(old.get(k))} ≠ {show(v)}" for k, v in new.items() if old.get(k) != v]


# ------------------------------------------------ records identified within a file
# A record of these kinds has an `identity` (what names it: a session, a seat) and one
# value a later delivery may change (a session's end, a seat's end date).


def repeat_of(records: dict[tuple, F], record: F, field: str) -> F | None:
    """Keep the file's first record of each identity in `records`. Returns that first
    record when this one repeats it with another `field` (a conflict for the caller to
    report), else None (kept, or the very same fact again: counted once)."""
    first = records.setdefault(record.identity, record)
    return first if getattr(first, field) != getattr(record, field) else None


def overlapping(
    records: Iterable[F],
    group: Callable[[F], tuple],
    span: Callable[[F], tuple[Any, Any]],
    *,
    closed: bool = False,
) -> list[tuple[F, F]]:
    """Pairs (the earlier line, the later line) of records of one group whose spans
    (start, end) overlap: each record against the one that ends last of those starting
    before it. `closed`: a span includes its end (days), so touching spans overlap."""
    groups: dict[tuple, list[F]] = defaultdict(list)
    for record in records:
        groups[group(record)].append(record)
    pairs = []
    for members in groups.values():
        members.sort(key=lambda r: (*span(r), r.line))
        longest = members[0]  # of the records so far, the one that ends last
        for record in members[1:]:
            start, end = span(record)
            longest_end = span(longest)[1]
            if start < longest_end or (closed and start == longest_end):
                first, later = sorted((longest, record), key=lambda r: r.line)
                pairs.append((first, later))
            if end > longest_end:
                longest = record
    return pairs


def save_by_identity(
    model: Any,
    records: list[F],
    stored: dict[tuple, tuple[int, Any]],
    field: str,
    build: Callable[[F], Any],
    report: ImportReport,
    entity: str,
    batch_size: int | None = None,
) -> None:
    """Create the records not stored yet (build() makes the model instance), update `field`
    of those stored with another value, and count the rest unchanged.

    `stored`: identity -> (pk, stored value of `field`) of the rows that may match."""
    manager = model.objects.using(MAINT)
    new, changed = [], []
    for record in records:
        known = stored.get(record.identity)
        value = getattr(record, field)
        if known is None:
            new.append(build(record))
        elif known[1] != value:
            changed.append(model(pk=known[0], **{field: value}))
    manager.bulk_create(new, batch_size=batch_size)
    manager.bulk_update(changed, [field], batch_size=batch_size)
    report.count(entity, "created", len(new))
    report.count(entity, "updated", len(changed))
    report.count(entity, "unchanged", len(records) - len(new) - len(changed))


# ----------------------------------------------------------------------- look-ups


def teams_by_id(team_ids: Iterable[str]) -> dict[str, int]:
    from teams.models import Team

    wanted = {t for t in team_ids if t}
    if not wanted:
        return {}
    return dict(Team.unscoped.using(MAINT).filter(team_id__in=wanted).values_list("team_id", "pk"))


def partners_by_csn(csns: Iterable[str]) -> dict[str, tuple[int, str]]:
    """csn -> (partner pk, partner currency) for the registered ones."""
    from spp.models import Partner

    wanted = {c for c in csns if c}
    rows = Partner.objects.using(MAINT).filter(csn__in=wanted).values_list("csn", "pk", "currency")
    return {csn: (pk, currency) for csn, pk, currency in rows}


# -------------------------------------------------------------- where packs have been


@dataclass(frozen=True)
class PackPlace:
    pk: int
    team: int  # the team it was bought for
    end_date: date


@dataclass(frozen=True)
class Transfer:
    """A move (of one pack) or a merge (of a team's packs), as the ledger applies them."""

    seq: tuple[date, int]  # (date, id): the ledger applies a day's events in input order
    kind: str
    pack: int | None
    from_team: int | None
    to_team: int | None

    @property
    def date(self) -> date:
        return self.seq[0]


def holder_teams(packs: Iterable[PackPlace], transfers: Iterable[Transfer]) -> dict[int, set[int]]:
    """Every team each pack has been in, replaying moves and merges as flex.ledger does:
    a move names its pack (and optionally the team it must be in); a merge carries every
    pack its team holds that has not ended before the merge. Plain data, no database."""
    ordered = sorted(transfers, key=lambda t: t.seq)
    moves: dict[int, list[Transfer]] = defaultdict(list)
    merges = [t for t in ordered if t.kind == "merge"]
    for transfer in ordered:
        if transfer.kind == "move" and transfer.pack is not None:
            moves[transfer.pack].append(transfer)
    result: dict[int, set[int]] = {}
    for pack in packs:
        holder = pack.team
        seen = {holder}
        for event in sorted([*moves.get(pack.pk, ()), *merges], key=lambda t: t.seq):
            if event.date > pack.end_date or not event.to_team or event.to_team == holder:
                continue
            if event.kind == "move" and event.from_team not in (None, holder):
                continue
            if event.kind == "merge" and event.from_team != holder:
                continue
            holder = event.to_team
            seen.add(holder)
        result[pack.pk] = seen
    return result


def load_holders(pack_pks: Iterable[int]) -> dict[int, set[int]]:
    """holder_teams() of these packs, read from the database (maint)."""
    from flex.models import Pack, TokenEvent

    pks = set(pack_pks)
    if not pks:
        return {}
    packs = [
        PackPlace(pk, team, end)
        for pk, team, end in Pack.unscoped.using(MAINT)
        .filter(pk__in=pks)
        .values_list("pk", "team_id", "end_date")
    ]
    events = TokenEvent.unscoped.using(MAINT).filter(kind__in=["move", "merge"])
    events = events.filter(pack__in=pks) | events.filter(kind="merge")
    transfers = [
        Transfer((day, pk), kind, pack, from_team, to_team)
        for pk, day, kind, pack, from_team, to_team in events.values_list(
            "pk", "date", "kind", "pack_id", "from_team_id", "to_team_id"
        )
    ]
    return holder_teams(packs, transfers)


def link_sellers(pairs: Iterable[tuple[int, int]]) -> int:
    """TeamLink(source=seller) for each (partner pk, team pk) not linked yet; the number made.

    An existing link (an operator's, say) is kept as it is: it already grants visibility.
    """
    from teams.models import TeamLink

    wanted = set(pairs)
    if not wanted:
        return 0
    partners = {p for p, _ in wanted}
    teams = {t for _, t in wanted}
    existing = set(
        TeamLink.unscoped.using(MAINT)
        .filter(partner__in=partners, team__in=teams)
        .values_list("partner_id", "team_id")
    )
    missing = sorted(wanted - existing)
    TeamLink.unscoped.using(MAINT).bulk_create(
        [TeamLink(partner_id=p, team_id=t, source=TeamLink.Source.SELLER) for p, t in missing]
    )
    return len(missing)


def link_registered_sellers(pack_pks: Iterable[int]) -> tuple[int, set[int]]:
    """Link each registered seller of these packs to every team its pack has been in.

    Returns (links created, teams concerned).
    """
    from flex.models import Pack

    sellers = dict(
        Pack.unscoped.using(MAINT)
        .filter(pk__in=set(pack_pks), seller_partner__isnull=False)
        .values_list("pk", "seller_partner_id")
    )
    holders = load_holders(sellers)
    pairs = {(sellers[pack], team) for pack, teams in holders.items() for team in teams}
    teams = {team for teams in holders.values() for team in teams}
    return link_sellers(pairs), teams


# ------------------------------------------------------------------- the product catalog


def product_catalog() -> dict[str, int]:
    """lower-cased product name or alias -> product pk (names win over aliases)."""
    from usage.models import Product, ProductAlias

    catalog = {
        alias.lower(): pk
        for alias, pk in ProductAlias.objects.using(MAINT).values_list("alias", "product_id")
    }
    catalog.update(
        {name.lower(): pk for name, pk in Product.objects.using(MAINT).values_list("name", "pk")}
    )
    return catalog


def add_products(names: Iterable[str], catalog: dict[str, int]) -> list[str]:
    """Create the products not in `catalog` (which is updated); the names created."""
    from usage.models import Product

    new: dict[str, str] = {}
    for name in names:
        if name.lower() not in catalog:
            new.setdefault(name.lower(), name)  # first spelling in the file wins
    created = Product.objects.using(MAINT).bulk_create([Product(name=n) for n in new.values()])
    for product in created:
        catalog[product.name.lower()] = product.pk
    return sorted(new.values())
