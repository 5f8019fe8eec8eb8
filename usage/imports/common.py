"""Helpers shared by the kinds: per-row validation, look-ups and team links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from usage.imports.reader import Row
from usage.imports.report import RowError
from usage.imports.values import BadValue

MAINT = "maint"
T = TypeVar("T")


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


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """`field old ≠ new` for each field whose value differs (None/blank shown as (blank))."""

    def show(value: Any) -> str:
        return "(blank)" if value in (None, "") else str(value)

    return [f"{k} {show(old.get(k))} ≠ {show(v)}" for k, v in new.items() if old.get(k) != v]


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
