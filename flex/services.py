"""The recompute: replays ledgers and writes Flex snapshots (SPEC §3–§4).

Runs on the maintenance alias (it reads every seller's packs, which no partner may),
in chunks of whole move/merge groups, each chunk in its own transaction that replaces
the chunk's snapshots of the date (DELETE, then one COPY), so it is idempotent and can
be re-run at will. Two recomputes running at once serialise on an advisory lock per team.

Usage comes from the daily roll-up's running total (`cum_tokens`): the ledger only
needs the cumulative usage at a handful of boundary dates per team
(flex.ledger.boundary_dates), fetched in one query per chunk. A team that no event
touches takes the ledger's lone-team fast path (flex.ledger.replay_lone) and the
figures' value functions; the others go through the generic group replay.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import multiprocessing.util
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial

import psycopg
from django.db import OperationalError, connections, transaction
from django.db.models import Q
from django.utils import timezone

import quotes.services
from flex import ledger
from flex.figures import partner_figures, partner_values, team_figures, team_values
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
    chunks = team_chunks(None if team_pks is None else set(team_pks), workers=workers)
    if workers > 1 and len(chunks) > 1:
        connections.close_all()  # each process opens its own
        pool = multiprocessing.get_context("fork").Pool(
            min(workers, len(chunks)), initializer=_worker_started
        )
        if run is not None:  # reconnect now, while the workers compute, not at the end
            connections[MAINT].ensure_connection()
        try:
            for part in pool.imap_unordered(partial(_chunk_job, as_of=as_of), chunks):
                result.teams += part.teams
                result.snapshots += part.snapshots
                result.warnings.extend(part.warnings)
            pool.close()  # the workers leave cleanly, closing their connections
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
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


def team_chunks(wanted: set[int] | None = None, *, workers: int = 1) -> list[list[int]]:
    """Team pks in chunks of whole move/merge groups. For several workers, the chunks of
    the last `workers` × CHUNK_TEAMS teams are halved, so that the workers finish close
    together (the last chunk handed out is the one the others wait for)."""
    order, linked = _groups(wanted)
    return _chunks(order, linked, CHUNK_TEAMS, CHUNK_TEAMS * workers if workers > 1 else 0)


def _worker_started() -> None:
    """A worker process keeps its connection for all the chunks it takes (a new backend
    per chunk costs its start and cold catalog caches) and closes it when it leaves."""
    multiprocessing.util.Finalize(None, connections.close_all, exitpriority=10)


def _chunk_job(chunk: list[int], as_of: date) -> RecomputeResult:
    result = RecomputeResult(as_of=as_of)
    _recompute_chunk(chunk, as_of, result)
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


ANALYZE_LOCK_WAIT = "100ms"  # per attempt; see _analyze_snapshots
ANALYZE_ATTEMPTS = 100


def _analyze_snapshots() -> None:
    """Fresh planner statistics after a full run: without them PostgreSQL picks the wrong
    index for the Flex list's manager lookup (seconds instead of milliseconds). Only the
    owner may ANALYZE: the function runs with its rights (flex migration 0004).

    A run leaves thousands of dead snapshot rows, so autovacuum often works on the table
    just then, and ANALYZE waits for its lock. A wait of deadlock_timeout (1 s) would
    cancel autovacuum's work; short attempts instead let it finish (usually well under a
    second) and analyze right after."""
    for attempt in range(ANALYZE_ATTEMPTS):
        try:
            with transaction.atomic(using=MAINT), connections[MAINT].cursor() as cursor:
                if attempt < ANALYZE_ATTEMPTS - 1:  # the last attempt waits as long as needed
                    cursor.execute(f"SET LOCAL lock_timeout = '{ANALYZE_LOCK_WAIT}'")
                cursor.execute("SELECT spp_analyze_snapshots()")
            return
        except OperationalError as exc:
            if not isinstance(exc.__cause__, psycopg.errors.LockNotAvailable):
                raise


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


def replay_team(team_pk: int, as_of: date) -> ledger.TeamLedger | None:
    """One team's ledger as of `as_of`, replayed as the recompute replays it (together
    with the teams moves and merges tie it to): every pack's used, expired, remaining and
    moved tokens. None when the team never had a pack.

    Read through the maintenance alias, because the draw order depends on every seller's
    packs: callers show a partner only its own packs' states (SPEC §1).
    """
    order, _ = _groups({team_pk})
    pks = _array(order)
    with transaction.atomic(using=MAINT), connections[MAINT].cursor() as cursor:
        teams, _ = _load_teams(cursor, pks, (min(order), max(order)))
        if team_pk not in teams:
            return None
        rows, _, _ = _load_packs(cursor, pks)
        events = _load_events(cursor, pks, teams)
        packs = [
            ledger.Pack(i[2], teams[pk], i[4], i[1], i[3], i[0])
            for pk, items in rows.items()
            for i in items
        ]
        days = _boundary_days(teams, packs, events, as_of)
        probe_pks = [pk for pk in teams for _ in days[teams[pk]]]
        probe_days = [day for pk in teams for day in sorted(days[teams[pk]])]
        probed = _probe_usage(cursor, probe_pks, probe_days)
    points: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for pk, day, (cum, _) in zip(probe_pks, probe_days, probed, strict=True):
        points[teams[pk]].append((day, cum))
    usage = {team_id: ledger.UsageSeries.from_prefix(p) for team_id, p in points.items()}
    return ledger.replay(packs, events, usage, as_of).get(teams[team_pk])


# ------------------------------------------------------------------ groups and chunks


def _groups(wanted: set[int] | None) -> tuple[list[int], dict[int, list[int] | None]]:
    """Teams to replay in team pk order (so that a chunk is a compact pk range), and the
    move/merge groups: teams tied by moves or merges are replayed together, so the first
    member of such a group maps to the whole group and the others to None.

    With `wanted`, only the groups of those teams (found by following their events),
    without reading every pack of the platform.
    """
    if wanted is None:
        with connections[MAINT].cursor() as cursor:
            # One array, not 20,000 rows: a fresh process pays for every page it touches.
            cursor.execute("SELECT array_agg(DISTINCT team_id) FROM flex_pack")
            teams = set(cursor.fetchone()[0] or ())
        edges = _move_edges(None)
    else:
        teams, edges = set(wanted), []
        frontier = set(wanted)
        while frontier:  # follow moves and merges until the groups are closed
            found = _move_edges(frontier)
            edges.extend(found)
            frontier = {pk for edge in found for pk in edge} - teams
            teams |= frontier
    # Union-find over the teams that moves and merges tie (few); every other team is a
    # group of its own.
    parent: dict[int, int] = {}

    def find(pk: int) -> int:
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    for edge in edges:
        for pk in edge:
            parent.setdefault(pk, pk)
        for pk in edge[1:]:
            parent[find(pk)] = find(edge[0])
    members: dict[int, list[int]] = defaultdict(list)
    for pk in sorted(parent):
        members[find(pk)].append(pk)
    linked: dict[int, list[int] | None] = {}
    for group in members.values():
        linked.update(dict.fromkeys(group[1:]))
        linked[group[0]] = group
    return sorted(teams | parent.keys()), linked


def _move_edges(teams: set[int] | None) -> list[tuple[int, ...]]:
    """The teams each move or merge ties together (of these teams, or of all)."""
    query = TokenEvent.unscoped.using(MAINT).filter(kind__in=["move", "merge"])
    if teams is not None:
        query = query.filter(
            Q(pack__team_id__in=teams) | Q(from_team_id__in=teams) | Q(to_team_id__in=teams)
        )
    rows = query.values_list("pack__team_id", "from_team_id", "to_team_id")
    return [tuple(pk for pk in row if pk is not None) for row in rows]


def _chunks(
    order: list[int], linked: dict[int, list[int] | None], size: int, tail: int = 0
) -> list[list[int]]:
    """Chunks of about `size` teams made of whole groups; the chunks that hold the last
    `tail` teams are half as big."""
    chunks: list[list[int]] = []
    chunk: list[int] = []
    left = len(order)  # teams not in a finished chunk yet
    limit = size if left > tail else max(1, size // 2)
    for pk in order:
        group = linked.get(pk, (pk,))
        if group is None:  # a later member of a group already placed
            continue
        chunk.extend(group)
        if len(chunk) >= limit:
            chunks.append(chunk)
            left -= len(chunk)
            chunk = []
            limit = size if left > tail else max(1, size // 2)
    if chunk:
        chunks.append(chunk)
    return chunks


# ------------------------------------------------------------------------- one chunk


def _recompute_chunk(team_pks: list[int], as_of: date, result: RecomputeResult) -> None:
    # The chunk's objects are gone by the time the collector is back (a collection right
    # after the chunk would otherwise walk them all once more).
    with _gc_paused():
        _recompute_chunk_data(team_pks, as_of, result)


def _recompute_chunk_data(team_pks: list[int], as_of: date, result: RecomputeResult) -> None:
    pks = _array(team_pks)
    span = (min(team_pks), max(team_pks))  # lets PostgreSQL read the chunk as index ranges
    with transaction.atomic(using=MAINT), connections[MAINT].cursor() as cursor:
        # Per-team locks taken in ascending order: runs over disjoint teams go in
        # parallel, runs over the same team wait for each other, and none deadlocks.
        # JIT off for the transaction: large chunks make large plan costs, and compiling
        # would cost more than it saves.
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, t::int)), now(), "
            "set_config('jit', 'off', true) FROM "
            "(SELECT unnest(%s::bigint[]) AS t ORDER BY 1) ordered",
            [LOCK_KEY, pks],
        )
        started = cursor.fetchone()[1]
        teams, links = _load_teams(cursor, pks, span)
        packs, quote_orders, invalid = _load_packs(cursor, pks)
        account_names = _account_names(cursor, packs) if quote_orders else {}
        events = _load_events(cursor, pks, teams)
        generic = _generic_teams(teams, packs, events, invalid)
        rows = _figure_rows(
            cursor, as_of, teams, packs, generic, events, links, quote_orders, account_names,
            result,
        )  # fmt: skip
        _write_snapshots(cursor, pks, span, as_of, rows, started)
        quotes.services.sync_leads(team_pks, as_of, using=MAINT)
        quotes.services.raise_alerts(team_pks, as_of, using=MAINT)
        result.teams += len(teams)
        result.snapshots += len(rows)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection during a chunk. A chunk allocates some 100,000 small
    objects, none in a cycle (reference counting frees them all), and each allocation
    burst made the collector walk the process's whole heap (Django included) again: a
    third of the chunk's Python time. The collector's state is restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# (partner pk, team pk, the FlexFigures values after team, partner and date, customer)
Row = tuple[int, int, tuple, str]


def _figure_rows(
    cursor,
    as_of: date,
    teams: dict[int, str],
    packs: dict[int, list[tuple]],
    generic: set[int],
    events: list[ledger.TokenEvent],
    links: dict[int, list[tuple[int, str]]],
    quote_orders: set[str],
    account_names: dict[int, str],
    result: RecomputeResult,
) -> list[Row]:
    """Every snapshot row of the chunk.

    A team that no event touches and whose packs are all valid (nearly every team) takes
    the lone-team path of the ledger, on tuples; the others are replayed by move/merge
    group (ledger.replay), as before. Teams nobody is linked to get no row, and a lone
    one is not even replayed. The usage of both comes from one probe query.
    """
    probe_pks: list[int] = []
    probe_days: list[date] = []
    plans = []
    for pk, items in packs.items():
        if pk in generic or pk not in links:
            continue
        pool = ledger.lone_pool(items, as_of)
        if not pool:
            continue  # no pack started yet: not on anybody's Flex list (SPEC §6)
        starts = ledger.lone_starts(pool, as_of)
        days = ledger.lone_probe_days(starts, as_of)
        del days[-3]  # as_of - 1: the probe of as_of (the last start's) gives it too
        probe_pks += [pk] * len(days)
        probe_days += days
        plans.append((pk, pool, starts))
    lone_probes = len(probe_days)
    if generic:
        generic_days = _boundary_days(
            {pk: teams[pk] for pk in generic},
            [
                ledger.Pack(i[2], teams[pk], i[4], i[1], i[3], i[0])
                for pk in generic
                for i in packs.get(pk, ())
            ],
            events,
            as_of,
        )
        for pk in generic:
            days = sorted(generic_days[teams[pk]])
            probe_pks += [pk] * len(days)
            probe_days += days
    probed = _probe_usage(cursor, probe_pks, probe_days)
    cums = [cum for cum, _ in probed]

    rows: list[Row] = []
    position = 0
    for pk, pool, starts in plans:
        count = len(starts)
        remaining, overage = ledger.replay_lone(pool, starts, cums[position : position + count])
        until = probed[position + count - 1][1]  # cum(as_of - 1)
        before_30, before_180 = cums[position + count : position + count + 2]
        position += count + 2
        active, overage_tokens, expired = ledger.lone_summary(pool, remaining, overage, as_of)
        team = team_values(
            active, until - before_30, until - before_180, overage_tokens, expired, as_of
        )
        for partner_pk, csn in links[pk]:
            won = quote_orders and any(
                item[4] == csn and item[2] in quote_orders for item in active
            )
            customer = account_names[pk] if won else "n/a"
            rows.append((partner_pk, pk, partner_values(team, active, csn, as_of), customer))
    if generic:
        points: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for pk, day, cum in zip(
            probe_pks[lone_probes:], probe_days[lone_probes:], cums[lone_probes:], strict=True
        ):
            points[pk].append((day, cum))
        rows.extend(
            _generic_rows(
                as_of, generic, teams, packs, events, points, links, quote_orders,
                account_names, result,
            )
        )  # fmt: skip
    return rows


def _generic_teams(
    teams: dict[int, str],
    packs: dict[int, list[tuple]],
    events: list[ledger.TokenEvent],
    invalid: set[int],
) -> set[int]:
    """Teams that an event touches (with their packs' teams) or that hold a pack the
    ledger must skip with a warning (`invalid`): the generic replay handles them."""
    named = set(invalid)
    if events:
        pk_of = {team_id: pk for pk, team_id in teams.items()}
        pack_team = {item[2]: pk for pk, items in packs.items() for item in items}
        for event in events:
            named.add(pack_team.get(event.order_number or ""))
            named.add(pk_of.get(event.from_team_id or ""))
            named.add(pk_of.get(event.to_team_id or ""))
        named.discard(None)
    return named


def _generic_rows(
    as_of: date,
    generic: set[int],
    teams: dict[int, str],
    packs: dict[int, list[tuple]],
    events: list[ledger.TokenEvent],
    points: dict[int, list[tuple[date, int]]],
    links: dict[int, list[tuple[int, str]]],
    quote_orders: set[str],
    account_names: dict[int, str],
    result: RecomputeResult,
) -> list[Row]:
    usage = {teams[pk]: ledger.UsageSeries.from_prefix(sorted(p)) for pk, p in points.items()}
    replayed = ledger.replay(
        [
            ledger.Pack(order, teams[pk], seller, quantity, start, end)
            for pk in generic
            for end, quantity, order, start, seller, *_ in packs.get(pk, ())
        ],
        events,
        usage,
        as_of,
    )
    result.warnings.extend(replayed.warnings)
    rows: list[Row] = []
    for pk in sorted(generic):
        team_ledger = replayed.get(teams[pk])
        if team_ledger is None or not team_ledger.packs:
            continue  # never had a pack: not on anybody's Flex list (SPEC §6)
        figures = team_figures(team_ledger, usage.get(teams[pk], ledger.EMPTY_USAGE), as_of)
        active = team_ledger.active_packs(as_of)
        for partner_pk, csn in links.get(pk, []):
            row = partner_figures(figures, team_ledger, csn, as_of)
            won = any(p.seller_csn == csn and p.order_number in quote_orders for p in active)
            customer = account_names[pk] if won else "n/a"
            rows.append((partner_pk, pk, tuple(getattr(row, f) for f in SNAPSHOT_FIELDS), customer))
    return rows


def _load_teams(
    cursor, pks: str, span: tuple[int, int]
) -> tuple[dict[int, str], dict[int, list[tuple[int, str]]]]:
    """Team ids and linked partners (pk, CSN) of the chunk's teams."""
    cursor.execute(
        # The pk range lets PostgreSQL read both tables by index, not scan them whole.
        "SELECT t.id, t.team_id, l.partner_id, p.csn FROM teams_team t "
        "LEFT JOIN teams_teamlink l ON l.team_id = t.id AND l.team_id BETWEEN %s AND %s "
        "LEFT JOIN spp_partner p ON p.id = l.partner_id "
        "WHERE t.id = ANY(%s::bigint[]) AND t.id BETWEEN %s AND %s",
        [*span, pks, *span],
    )
    teams: dict[int, str] = {}
    links: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, team_id, partner_pk, csn in cursor.fetchall():
        teams[pk] = team_id
        if partner_pk is not None:
            links[pk].append((partner_pk, csn))
    return teams, links


def _account_names(cursor, packs: dict[int, list[tuple]]) -> dict[int, str]:
    """Account names of the teams holding a pack from an accepted quote: only they can
    show their customer's name (SPEC §6); the others are never read."""
    quoted = [pk for pk, items in packs.items() if any(item[6] for item in items)]
    if not quoted:
        return {}
    cursor.execute(
        "SELECT t.id, a.name FROM teams_team t JOIN teams_account a ON a.id = t.account_id "
        "WHERE t.id = ANY(%s::bigint[])",
        [_array(quoted)],
    )
    return dict(cursor.fetchall())


def _load_packs(cursor, pks: str) -> tuple[dict[int, list[tuple]], set[str], set[int]]:
    """Packs per team pk, each row a ledger pool item as it comes: (end, quantity, order,
    start, seller, team pk, from a quote, invalid); the order numbers of packs that come
    from accepted quotes; the teams holding a pack the ledger must skip (invalid)."""
    cursor.execute(
        "SELECT end_date, quantity, order_number, start_date, seller_csn, team_id, "
        "source = %s, quantity < 0 OR end_date < start_date "
        "FROM flex_pack WHERE team_id = ANY(%s::bigint[])",
        [Pack.Source.QUOTE, pks],
    )
    packs: dict[int, list[tuple]] = defaultdict(list)
    quote_orders: set[str] = set()
    invalid: set[int] = set()
    for row in cursor.fetchall():
        packs[row[5]].append(row)
        if row[6]:
            quote_orders.add(row[2])
        if row[7]:
            invalid.add(row[5])
    return packs, quote_orders, invalid


def _load_events(cursor, pks: str, teams: dict[int, str]) -> list[ledger.TokenEvent]:
    """Events of the chunk's packs and teams, in the order they happened."""
    cursor.execute(
        """
        SELECT e.kind, e.date, p.order_number, e.from_team_id, e.to_team_id, e.quantity, e.reason
        FROM flex_tokenevent e LEFT JOIN flex_pack p ON p.id = e.pack_id
        WHERE p.team_id = ANY(%(teams)s::bigint[]) OR e.from_team_id = ANY(%(teams)s::bigint[])
           OR e.to_team_id = ANY(%(teams)s::bigint[])
        ORDER BY e.date, e.id
        """,
        {"teams": pks},
    )
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
        for kind, day, order, from_pk, to_pk, quantity, reason in cursor.fetchall()
    ]


_EPOCH = date(2000, 1, 1).toordinal()


class _DayShifts(dict):
    """date -> its offset from 2000-01-01 as text; each day computed once."""

    def __missing__(self, day: date) -> str:
        text = self[day] = str(day.toordinal() - _EPOCH)
        return text


def _array(values: Iterable[int]) -> str:
    """An integer array literal: one text parameter, where a list would be dumped value by
    value (psycopg's list dumper costs ~2 ms per 1,000 ints)."""
    return "{" + ",".join(map(str, values)) + "}"


def _probe_usage(cursor, pks: list[int], days: list[date]) -> list[tuple[int, int]]:
    """Cumulative usage of each (team pk, day) and of the day before: the roll-up's running
    total of the team's latest day <= day (0 before its first), less that day's own tokens
    for the second value. In the order given.

    One index probe each, bounded to the week before the day: a btree scan reads every
    matching entry of its leaf page, so an open-ended `day <= x` walks a page of the
    team's history per probe (more than twice slower); only a team with no usage in that
    week needs the second, open-ended probe. Tens of thousands of pairs per chunk: they go
    in as two array literals (days as offsets from 2000-01-01) and come back by ordinal.
    """
    if not days:
        return []
    shifts = ",".join(map(_DayShifts().__getitem__, days))
    cursor.execute(
        """
        SELECT COALESCE(w.cum, f.cum, 0), COALESCE(w.cum - w.own, f.cum, 0)
        FROM (SELECT team, DATE '2000-01-01' + shift AS day, ord
              FROM unnest(%s::bigint[], %s::int[]) WITH ORDINALITY AS p(team, shift, ord)) b
        LEFT JOIN LATERAL (
            SELECT u.cum_tokens AS cum, CASE WHEN u.day = b.day THEN u.tokens ELSE 0 END AS own
            FROM usage_usagedaily u
            WHERE u.team_id = b.team AND u.day <= b.day AND u.day >= b.day - 7
            ORDER BY u.day DESC LIMIT 1
        ) w ON true
        LEFT JOIN LATERAL (
            SELECT u.cum_tokens AS cum FROM usage_usagedaily u
            WHERE w.cum IS NULL AND u.team_id = b.team AND u.day <= b.day
            ORDER BY u.day DESC LIMIT 1
        ) f ON true
        ORDER BY b.ord
        """,
        [_array(pks), "{" + shifts + "}"],
    )
    return cursor.fetchall()


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


_SNAPSHOT_COLUMNS = ["partner_id", "team_id", "as_of", *SNAPSHOT_FIELDS, "customer", "computed_at"]


def _write_snapshots(
    cursor, pks: str, span: tuple[int, int], as_of: date, rows: list[Row], now
) -> None:
    """Replace the chunk's snapshots of `as_of`: rows of these teams that no longer exist
    go, the others are written afresh by one COPY straight into the table (spp_maint
    bypasses row-level security). The teams' advisory locks keep concurrent runs apart."""
    cursor.execute(
        "DELETE FROM flex_flexsnapshot "
        "WHERE team_id = ANY(%s::bigint[]) AND team_id BETWEEN %s AND %s AND as_of = %s",
        [pks, *span, as_of],
    )
    if not rows:
        return
    with cursor.connection.cursor().copy(
        f"COPY flex_flexsnapshot ({', '.join(_SNAPSHOT_COLUMNS)}) FROM STDIN"
    ) as copy:
        copy.write(_copy_text(rows, as_of, now))


class _DayText(dict):
    """date -> 'YYYY-MM-DD', None -> the COPY null; each day formatted once."""

    def __missing__(self, day: date | None) -> str:
        text = self[day] = r"\N" if day is None else day.isoformat()
        return text


def _copy_text(rows: list[Row], as_of: date, now) -> str:
    """The rows in COPY's text format (columns of _SNAPSHOT_COLUMNS). Rates are floats:
    repr() is their shortest exact text, as psycopg's own dumper writes them."""
    day = _DayText()
    tail = f"\t{now.isoformat()}\n"
    on = f"\t{as_of.isoformat()}\t"
    null = day[None]
    lines = []
    for partner_pk, team_pk, v, customer in rows:
        (
            total, balance, consumption, purchased, additional, start, latest_end, rate,
            rate_30, rate_180, projected_end, overage, expired, runout, forecast, expiring,
        ) = v  # fmt: skip
        lines.append(
            f"{partner_pk}\t{team_pk}{on}{total}\t{balance}\t{consumption}\t"
            f"{purchased}\t{additional}\t{day[start]}\t{day[latest_end]}\t"
            f"{null if rate is None else repr(rate)}\t{rate_30!r}\t{rate_180!r}\t"
            f"{day[projected_end]}\t{overage}\t{expired}\t{day[runout]}\t{forecast}\t"
            f"{expiring}\t{customer if customer == 'n/a' else _copy_escape(customer)}{tail}"
        )
    return "".join(lines)


def _copy_escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        text = text.replace("\r", "\\r")
    return text
