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
import multiprocessing
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

import quotes.services
from flex import ledger
from flex.figures import FlexFigures, partner_figures, team_figures
from flex.models import Pack, RecomputeRun, TokenEvent
from spp.dates import business_date

log = logging.getLogger(__name__)

MAINT = "maint"
CHUNK_TEAMS = 1000  # also bounds the advisory locks one chunk holds
LOCK_KEY = 7_310_001  # first key of pg_advisory_xact_lock(LOCK_KEY, team pk)

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


def recompute(
    as_of: date | None = None, team_pks: Iterable[int] | None = None, *, workers: int = 1
) -> RecomputeResult:
    """Recompute the snapshots of the given teams (every team with a pack when None).

    With workers > 1 the chunks run in that many forked processes (the command line and
    the benchmark do this; Celery fans out chunk tasks instead, see flex.tasks).
    """
    as_of = as_of or business_date()
    started = time.perf_counter()
    result = RecomputeResult(as_of=as_of)
    run = start_run(as_of) if team_pks is None else None
    chunks = list(team_chunks(None if team_pks is None else set(team_pks)))
    if workers > 1 and len(chunks) > 1:
        connections.close_all()  # each process opens its own
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part in pool.imap_unordered(partial(_chunk_job, as_of=as_of), chunks):
                result.teams += part.teams
                result.snapshots += part.snapshots
                result.warnings.extend(part.warnings)
    else:
        for chunk in chunks:
            _recompute_chunk(chunk, as_of, result)
    if run is not None:
        finish_run(run.pk, result.teams, result.snapshots)
    result.seconds = time.perf_counter() - started
    log.info(
        "recomputed %s teams, %s snapshots as of %s in %.2fs",
        result.teams,
        result.snapshots,
        as_of,
        result.seconds,
    )
    return result


def team_chunks(wanted: set[int] | None = None) -> Iterable[list[int]]:
    """Team pks in chunks of whole move/merge groups."""
    return _chunks(_groups(wanted), CHUNK_TEAMS)


def _chunk_job(chunk: list[int], as_of: date) -> RecomputeResult:
    result = RecomputeResult(as_of=as_of)
    try:
        _recompute_chunk(chunk, as_of, result)
    finally:
        connections.close_all()
    return result


def start_run(as_of: date) -> RecomputeRun:
    """Record the start of a full recompute (every team) for `as_of`."""
    return RecomputeRun.objects.using(MAINT).create(as_of=as_of)


def finish_run(run_pk: int, teams: int, snapshots: int) -> None:
    """The full recompute is complete: its date becomes the one the pages show."""
    _analyze_snapshots()
    RecomputeRun.objects.using(MAINT).filter(pk=run_pk).update(
        finished_at=timezone.now(), teams=teams, snapshots=snapshots
    )


def _analyze_snapshots() -> None:
    """Fresh planner statistics after a full run: without them PostgreSQL picks the wrong
    index for the Flex list's manager lookup (seconds instead of milliseconds). Only the
    owner may ANALYZE: the function runs with its rights (flex migration 0004)."""
    with connections[MAINT].cursor() as cursor:
        cursor.execute("SELECT spp_analyze_snapshots()")


def recompute_teams(team_pks: Iterable[int], as_of: date | None = None) -> int:
    """Recompute the given teams (and the teams moves or merges tie them to) at once.

    Without `as_of`: for today, and also for the date the pages show (the last finished
    full run) when the nightly run for today has not finished yet, so that a change is
    visible right away either way.
    """
    pks = set(team_pks)
    if not pks:
        return 0
    if as_of is not None:
        return recompute(as_of, pks).teams
    today = business_date()
    shown = last_full_run()
    if shown is not None and shown < today:
        recompute(shown, pks)
    return recompute(today, pks).teams


def last_full_run() -> date | None:
    """The business date of the latest finished full recompute."""
    finished = RecomputeRun.objects.using(MAINT).filter(finished_at__isnull=False)
    return finished.order_by("-as_of").values_list("as_of", flat=True).first()


# ------------------------------------------------------------------ groups and chunks


def _groups(wanted: set[int] | None) -> list[list[int]]:
    """Teams to replay, grouped so that teams tied by moves or merges stay together.

    With `wanted`, only the groups of those teams (found by following their events),
    without reading every pack of the platform.
    """
    if wanted is None:
        teams = set(Pack.unscoped.using(MAINT).values_list("team_id", flat=True).distinct())
        edges = _move_edges(None)
    else:
        teams, edges = set(wanted), []
        frontier = set(wanted)
        while frontier:  # follow moves and merges until the groups are closed
            found = _move_edges(frontier)
            edges.extend(found)
            frontier = {pk for edge in found for pk in edge} - teams
            teams |= frontier
    parent = {pk: pk for pk in teams}

    def find(pk: int) -> int:
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    for edge in edges:
        for pk in edge[1:]:
            parent.setdefault(pk, pk)
            parent.setdefault(edge[0], edge[0])
            parent[find(pk)] = find(edge[0])
    members: dict[int, list[int]] = defaultdict(list)
    for pk in parent:
        members[find(pk)].append(pk)
    return list(members.values())


def _move_edges(teams: set[int] | None) -> list[tuple[int, ...]]:
    """The teams each move or merge ties together (of these teams, or of all)."""
    query = TokenEvent.unscoped.using(MAINT).filter(kind__in=["move", "merge"])
    if teams is not None:
        query = query.filter(
            Q(pack__team_id__in=teams) | Q(from_team_id__in=teams) | Q(to_team_id__in=teams)
        )
    rows = query.values_list("pack__team_id", "from_team_id", "to_team_id")
    return [tuple(pk for pk in row if pk is not None) for row in rows]


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
        # Per-team locks taken in ascending order: runs over disjoint teams go in
        # parallel, runs over the same team wait for each other, and none deadlocks.
        with connections[MAINT].cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(%s, t::int)) FROM "
                "(SELECT unnest(%s::bigint[]) AS t ORDER BY 1) ordered",
                [LOCK_KEY, team_pks],
            )
        teams, account_names = {}, {}
        for pk, team_id, account_name in _rows(
            "SELECT t.id, t.team_id, a.name FROM teams_team t "
            "JOIN teams_account a ON a.id = t.account_id WHERE t.id = ANY(%s)",
            [team_pks],
        ):
            teams[pk] = team_id
            account_names[team_id] = account_name
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
        quotes.services.sync_leads(team_pks, as_of, using=MAINT)
        quotes.services.raise_alerts(team_pks, as_of, using=MAINT)
        result.teams += len(teams)
        result.snapshots += len(rows)


def _load_packs(team_pks: list[int], teams: dict[int, str]) -> tuple[list[ledger.Pack], set[str]]:
    packs: list[ledger.Pack] = []
    quote_orders: set[str] = set()
    for order, team_pk, csn, quantity, start, end, source in _rows(
        "SELECT order_number, team_id, seller_csn, quantity, start_date, end_date, source "
        "FROM flex_pack WHERE team_id = ANY(%s)",
        [team_pks],
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
    """Cumulative usage of every team at exactly the dates its group's replay reads.

    The (team, day) pairs go in by COPY and come back by ordinal: hundreds of thousands
    of them per run, so no per-value parameter conversion on either side.
    """
    days_by_team = _boundary_days(teams, packs, events, as_of)
    pairs = [(team_id, pk, day) for pk, team_id in teams.items() for day in days_by_team[team_id]]
    payload = "".join(f"{pk}\t{day.isoformat()}\n" for _, pk, day in pairs)
    with connections[MAINT].cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS spp_usage_bounds "
            "(ord serial, team_id bigint, day date) ON COMMIT DROP"
        )
        with cursor.connection.cursor().copy(
            "COPY spp_usage_bounds (team_id, day) FROM STDIN"
        ) as copy:
            copy.write(payload)
        cursor.execute(
            """
            SELECT b.ord,
                   COALESCE((SELECT u.cum_tokens FROM usage_usagedaily u
                             WHERE u.team_id = b.team_id AND u.day <= b.day
                             ORDER BY u.day DESC LIMIT 1), 0)
            FROM spp_usage_bounds b ORDER BY b.ord
            """
        )
        cums = cursor.fetchall()
    points: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for (team_id, _, day), (_, cum) in zip(pairs, cums, strict=True):
        points[team_id].append((day, cum))
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
    for team_pk, partner_pk, csn in _rows(
        "SELECT l.team_id, l.partner_id, p.csn FROM teams_teamlink l "
        "JOIN spp_partner p ON p.id = l.partner_id WHERE l.team_id = ANY(%s)",
        [team_pks],
    ):
        links[team_pk].append((partner_pk, csn))
    return links


def _rows(statement: str, params: list) -> list[tuple]:
    """Raw reads of a chunk: one array parameter instead of thousands of placeholders."""
    with connections[MAINT].cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


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
