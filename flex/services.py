"""The recompute: replays ledgers and writes Flex snapshots (SPEC §3–§4).

Runs on the maintenance alias (it reads every seller's packs, which no partner may),
in chunks of whole move/merge groups, each chunk in its own transaction with an
upsert on (partner, team, as_of), so it is idempotent and can be re-run at will.
Two recomputes running at once serialise on an advisory lock per chunk.

Usage comes from the daily roll-up's running total (`cum_tokens`): the ledger only
needs the cumulative usage at a handful of boundary dates per team
(flex.ledger.boundary_dates), fetched in one query per chunk.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import connections, transaction

from flex import ledger
from flex.figures import FlexFigures, partner_figures, team_figures
from flex.models import Pack, TokenEvent
from spp.dates import business_date
from teams.models import Team, TeamLink

log = logging.getLogger(__name__)

MAINT = "maint"
CHUNK_TEAMS = 2000
LOCK_KEY = 7_310_001  # pg_advisory_xact_lock key of the recompute

SNAPSHOT_FIELDS = [
    "flex_total_tokens",
    "flex_tokens_balance",
    "flex_tokens_consumption",
    "flex_purchased_tokens",
    "flex_additional_tokens",
    "flex_start_date",
    "flex_latest_end_date",
    "flex_balance_rate",
    "flex_consumption_rate_30",
    "flex_consumption_rate_180",
    "flex_projected_end_date",
    "overage_tokens",
    "expired_unused_tokens",
    "projected_runout_date",
    "forecast_expiring_unused",
    "tokens_expiring_90d",
]


@dataclass
class RecomputeResult:
    as_of: date
    teams: int = 0
    snapshots: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------ entry points


def recompute(as_of: date | None = None, team_pks: Iterable[int] | None = None) -> RecomputeResult:
    """Recompute the snapshots of the given teams (every team with a pack when None)."""
    as_of = as_of or business_date()
    started = time.perf_counter()
    result = RecomputeResult(as_of=as_of)
    groups = _groups(None if team_pks is None else set(team_pks))
    for chunk in _chunks(groups, CHUNK_TEAMS):
        _recompute_chunk(chunk, as_of, result)
    result.seconds = time.perf_counter() - started
    log.info(
        "recomputed %s teams, %s snapshots as of %s in %.2fs",
        result.teams,
        result.snapshots,
        as_of,
        result.seconds,
    )
    return result


def recompute_teams(team_pks: Iterable[int], as_of: date | None = None) -> int:
    """Recompute the given teams (and the teams moves or merges tie them to) at once."""
    pks = set(team_pks)
    if not pks:
        return 0
    return recompute(as_of, pks).teams


# ------------------------------------------------------------------ groups and chunks


def _groups(wanted: set[int] | None) -> list[list[int]]:
    """Teams to replay, grouped so that teams tied by moves or merges stay together."""
    with_packs = set(Pack.unscoped.using(MAINT).values_list("team_id", flat=True).distinct())
    parent: dict[int, int] = {}

    def find(pk: int) -> int:
        parent.setdefault(pk, pk)
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    for pk in with_packs:
        find(pk)
    edges = TokenEvent.unscoped.using(MAINT).filter(kind__in=["move", "merge"])
    for pack_team, from_team, to_team in edges.values_list(
        "pack__team_id", "from_team_id", "to_team_id"
    ):
        linked = [pk for pk in (pack_team, from_team, to_team) if pk is not None]
        for pk in linked[1:]:
            parent[find(pk)] = find(linked[0])
    members: dict[int, list[int]] = defaultdict(list)
    for pk in list(parent):
        members[find(pk)].append(pk)
    groups = list(members.values())
    if wanted is not None:
        groups = [group for group in groups if wanted.intersection(group)]
    return groups


def _chunks(groups: list[list[int]], size: int) -> Iterable[list[int]]:
    chunk: list[int] = []
    for group in groups:
        chunk.extend(group)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ------------------------------------------------------------------------- one chunk


def _recompute_chunk(team_pks: list[int], as_of: date, result: RecomputeResult) -> None:
    with transaction.atomic(using=MAINT):
        with connections[MAINT].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        teams = dict(
            Team.unscoped.using(MAINT).filter(pk__in=team_pks).values_list("pk", "team_id")
        )
        account_names = dict(
            Team.unscoped.using(MAINT)
            .filter(pk__in=team_pks)
            .values_list("team_id", "account__name")
        )
        packs, quote_orders = _load_packs(team_pks, teams)
        events = _load_events(team_pks, teams)
        usage = _load_usage(teams, packs, events, as_of)
        replayed = ledger.replay(packs, events, usage, as_of)
        result.warnings.extend(replayed.warnings)

        links = _links(team_pks)
        rows: list[tuple[int, int, FlexFigures, str]] = []
        for pk, team_id in teams.items():
            team_ledger = replayed.get(team_id)
            if team_ledger is None or not team_ledger.packs:
                continue  # never had a pack: not on anybody's Flex list (SPEC §6)
            figures = team_figures(team_ledger, usage.get(team_id, ledger.EMPTY_USAGE), as_of)
            active = team_ledger.active_packs(as_of)
            for partner_pk, csn in links.get(pk, []):
                row = partner_figures(figures, team_ledger, csn, as_of)
                won = any(p.seller_csn == csn and p.order_number in quote_orders for p in active)
                customer = account_names[team_id] if won else "n/a"
                rows.append((partner_pk, pk, row, customer))
        _write_snapshots(team_pks, as_of, rows)
        result.teams += len(teams)
        result.snapshots += len(rows)


def _load_packs(team_pks: list[int], teams: dict[int, str]) -> tuple[list[ledger.Pack], set[str]]:
    packs: list[ledger.Pack] = []
    quote_orders: set[str] = set()
    query = Pack.unscoped.using(MAINT).filter(team_id__in=team_pks)
    for order, team_pk, csn, quantity, start, end, source in query.values_list(
        "order_number", "team_id", "seller_csn", "quantity", "start_date", "end_date", "source"
    ):
        packs.append(ledger.Pack(order, teams[team_pk], csn, quantity, start, end))
        if source == Pack.Source.QUOTE:
            quote_orders.add(order)
    return packs, quote_orders


def _load_events(team_pks: list[int], teams: dict[int, str]) -> list[ledger.TokenEvent]:
    """Events of the chunk's packs and teams, in the order they happened."""
    with connections[MAINT].cursor() as cursor:
        cursor.execute(
            """
            SELECT e.kind, e.date, p.order_number, e.from_team_id, e.to_team_id, e.quantity, e.reason
            FROM flex_tokenevent e LEFT JOIN flex_pack p ON p.id = e.pack_id
            WHERE p.team_id = ANY(%(teams)s) OR e.from_team_id = ANY(%(teams)s)
               OR e.to_team_id = ANY(%(teams)s)
            ORDER BY e.date, e.id
            """,
            {"teams": team_pks},
        )
        rows = cursor.fetchall()
    return [
        ledger.TokenEvent(
            kind=kind,
            date=day,
            order_number=order,
            from_team_id=teams.get(from_pk) if from_pk else None,
            to_team_id=teams.get(to_pk) if to_pk else None,
            quantity=quantity,
            reason=reason,
        )
        for kind, day, order, from_pk, to_pk, quantity, reason in rows
    ]


def _load_usage(
    teams: dict[int, str], packs: list[ledger.Pack], events: list[ledger.TokenEvent], as_of: date
) -> dict[str, ledger.UsageSeries]:
    """Cumulative usage of every team at exactly the dates its group's replay reads."""
    days_by_team = _boundary_days(teams, packs, events, as_of)
    pk_of = {team_id: pk for pk, team_id in teams.items()}
    team_col, day_col = [], []
    for team_id, days in days_by_team.items():
        for day in days:
            team_col.append(pk_of[team_id])
            day_col.append(day)
    points: dict[str, list[tuple[date, int]]] = defaultdict(list)
    with connections[MAINT].cursor() as cursor:
        cursor.execute(
            """
            SELECT b.team_id, b.day,
                   COALESCE((SELECT u.cum_tokens FROM usage_usagedaily u
                             WHERE u.team_id = b.team_id AND u.day <= b.day
                             ORDER BY u.day DESC LIMIT 1), 0)
            FROM unnest(%s::bigint[], %s::date[]) AS b(team_id, day)
            """,
            [team_col, day_col],
        )
        for team_pk, day, cum in cursor.fetchall():
            points[teams[team_pk]].append((day, cum))
    return {team_id: ledger.UsageSeries.from_prefix(sorted(p)) for team_id, p in points.items()}


def _boundary_days(
    teams: dict[int, str], packs: list[ledger.Pack], events: list[ledger.TokenEvent], as_of: date
) -> dict[str, set[date]]:
    """Boundary dates per team, computed per move/merge group (not over the whole chunk)."""
    group_of: dict[str, str] = {team_id: team_id for team_id in teams.values()}

    def find(team_id: str) -> str:
        while group_of[team_id] != team_id:
            group_of[team_id] = group_of[group_of[team_id]]
            team_id = group_of[team_id]
        return team_id

    pack_team = {p.order_number: p.team_id for p in packs}
    for event in events:
        linked = [
            t
            for t in (pack_team.get(event.order_number or ""), event.from_team_id, event.to_team_id)
            if t in group_of
        ]
        for team_id in linked[1:]:
            group_of[find(team_id)] = find(linked[0])
    packs_by_group: dict[str, list[ledger.Pack]] = defaultdict(list)
    events_by_group: dict[str, list[ledger.TokenEvent]] = defaultdict(list)
    for pack in packs:
        packs_by_group[find(pack.team_id)].append(pack)
    for event in events:
        anchor = pack_team.get(event.order_number or "") or event.from_team_id or event.to_team_id
        if anchor in group_of:
            events_by_group[find(anchor)].append(event)
    days_of_group = {
        root: ledger.boundary_dates(packs_by_group[root], events_by_group[root], as_of)
        for root in {find(t) for t in group_of}
    }
    return {team_id: days_of_group[find(team_id)] for team_id in group_of}


def _links(team_pks: list[int]) -> dict[int, list[tuple[int, str]]]:
    links: dict[int, list[tuple[int, str]]] = defaultdict(list)
    query = TeamLink.unscoped.using(MAINT).filter(team_id__in=team_pks)
    for team_pk, partner_pk, csn in query.values_list("team_id", "partner_id", "partner__csn"):
        links[team_pk].append((partner_pk, csn))
    return links


def _write_snapshots(
    team_pks: list[int], as_of: date, rows: list[tuple[int, int, FlexFigures, str]]
) -> None:
    """Upsert the chunk's rows and drop rows of these teams that no longer exist."""
    columns = ["partner_id", "team_id", "as_of", *SNAPSHOT_FIELDS, "customer"]
    with connections[MAINT].cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS spp_snapshot_stage ON COMMIT DELETE ROWS AS "
            f"SELECT {', '.join(columns)} FROM flex_flexsnapshot WITH NO DATA"
        )
        with cursor.connection.cursor().copy(
            f"COPY spp_snapshot_stage ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for partner_pk, team_pk, figures, customer in rows:
                values = figures.as_dict()
                copy.write_row(
                    [partner_pk, team_pk, as_of, *(values[f] for f in SNAPSHOT_FIELDS), customer]
                )
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*SNAPSHOT_FIELDS, "customer"])
        cursor.execute(
            f"""
            INSERT INTO flex_flexsnapshot ({", ".join(columns)}, computed_at)
            SELECT {", ".join(columns)}, now() FROM spp_snapshot_stage
            ON CONFLICT (partner_id, team_id, as_of) DO UPDATE SET {updates}, computed_at = now()
            """
        )
        cursor.execute(
            """
            DELETE FROM flex_flexsnapshot s
            WHERE s.team_id = ANY(%s) AND s.as_of = %s
              AND NOT EXISTS (SELECT 1 FROM spp_snapshot_stage g
                              WHERE g.partner_id = s.partner_id AND g.team_id = s.team_id)
            """,
            [team_pks, as_of],
        )
