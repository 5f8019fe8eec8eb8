"""The token ledger: replays packs, token events and usage up to a business date (SPEC §3).

Pure Python (standard library only, no Django) so that it can be tested exhaustively and
run for tens of thousands of teams in one recompute.

Semantics, for every day d up to the business date D:

1. packs starting on d become available; token events dated d apply (moves, merges and
   adjustments happen at the start of the day, before the day's usage);
2. each team's usage of d draws from that team's active packs, earliest end date first,
   on a tie the smaller pack (by current quantity) first, then by order number;
3. usage that finds no tokens is overage (a balance never goes below 0);
4. packs whose end date is d expire at the close of d: what is left is expired unused.

The state "as of D" is read after step 3 of D and before step 4 of D, so a pack ending on
D still holds its remaining tokens in the snapshot.

The replay does not walk every calendar day. Between two consecutive interval starts
(pack starts, the day after each pack end, token-event dates, the first day of the overage
window, D + 1) the set of active packs and their draw order cannot change, so the usage of
the whole interval is drawn at once in priority order; what the packs cannot cover is the
interval's overage. tests/flex/test_ledger.py proves this equal to a literal daily replay.

Drawing is one kernel (_draw_interval). A team that no event touches (nearly every team)
is replayed on tuples and lists by replay_lone(), which the recompute calls directly; the
generic group replay (moves, merges, adjustments) keeps PackState objects and draws
through the same kernel. Both are proven equal to each other and to the daily oracle.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

ONE_DAY = timedelta(days=1)

MOVE = "move"
MERGE = "merge"
ADJUSTMENT = "adjustment"

# Overage is summed over D-364 ... D, expired-unused over packs ending in D-365 ... D-1.
OVERAGE_WINDOW_DAYS = 365
EXPIRED_WINDOW_DAYS = 365

# Days before D whose cumulative usage the Flex figures read (rates over 30 and 180 days).
RATE_WINDOWS_DAYS = (30, 180)

_OVERAGE_SPAN = timedelta(days=OVERAGE_WINDOW_DAYS - 1)
_EXPIRED_SPAN = timedelta(days=EXPIRED_WINDOW_DAYS)


# --------------------------------------------------------------------------- input data


@dataclass(frozen=True)
class Pack:
    """One token purchase."""

    order_number: str
    team_id: str  # the Autodesk team id it was bought for
    seller_csn: str  # any CSN, registered partner or not
    quantity: int
    start_date: date
    end_date: date  # already resolved (see default_end_date)
    unit_price: Decimal | None = None  # seller-only; the ledger never reads these three
    currency: str | None = None
    discount_pct: Decimal | None = None


@dataclass(frozen=True)
class TokenEvent:
    """A move, a team merge or an adjustment, effective at the start of `date`."""

    kind: str  # "move" | "merge" | "adjustment"
    date: date
    order_number: str | None  # move, adjustment: the pack concerned
    from_team_id: str | None  # move: current team; merge: the team merged away
    to_team_id: str | None  # move, merge: receiving team
    quantity: int = 0  # adjustment only: signed (+ adds, - removes)
    reason: str = ""


def default_end_date(start: date) -> date:
    """The day before the start's anniversary; a 29 February start has it on 1 March."""
    try:
        anniversary = start.replace(year=start.year + 1)
    except ValueError:  # 29 February in a non-leap following year
        anniversary = date(start.year + 1, 3, 1)
    return anniversary - ONE_DAY


class UsageSeries:
    """Tokens used by one team per day, stored as a sparse prefix sum.

    `cum_at(x)` is the cumulative usage of all days <= x, taken from the latest stored
    point <= x. A series built from only the points the replay reads (`boundary_dates`)
    therefore answers every query of the replay and the figures exactly.
    """

    __slots__ = ("_days", "_cums")

    def __init__(self, points: Sequence[tuple[date, int]] = ()) -> None:
        ordered = sorted(points)
        previous = 0
        for index, (day, cum) in enumerate(ordered):
            if index and ordered[index - 1][0] == day:
                raise ValueError(f"two cumulative usage points for {day}")
            if cum < previous:
                raise ValueError(f"cumulative usage decreases at {day}")
            previous = cum
        self._days = [day for day, _ in ordered]
        self._cums = [cum for _, cum in ordered]

    @classmethod
    def from_daily(cls, mapping: Mapping[date, int]) -> UsageSeries:
        """From tokens used per day (days without usage may be absent)."""
        points = []
        running = 0
        for day in sorted(mapping):
            tokens = mapping[day]
            if tokens < 0:
                raise ValueError(f"negative usage on {day}")
            running += tokens
            points.append((day, running))
        return cls(points)

    @classmethod
    def from_prefix(cls, points: Sequence[tuple[date, int]]) -> UsageSeries:
        """From (day, cumulative tokens of all days <= day) points, sparse."""
        return cls(points)

    def cum_at(self, day: date) -> int:
        """Cumulative usage of all days <= day (0 before the first point)."""
        index = bisect_right(self._days, day) - 1
        return self._cums[index] if index >= 0 else 0

    def between(self, first: date, last: date) -> int:
        """Tokens used on first ... last inclusive; 0 when first > last."""
        if first > last:
            return 0
        before = 0 if first == date.min else self.cum_at(first - ONE_DAY)
        return self.cum_at(last) - before

    def __repr__(self) -> str:
        return f"UsageSeries({list(zip(self._days, self._cums, strict=True))!r})"


EMPTY_USAGE = UsageSeries()


# -------------------------------------------------------------------------- output data


@dataclass
class PackState:
    """One pack during one stay in one team's pool.

    Invariant: quantity == used + expired + remaining + moved_out.
    A pack moved out of a team and later moved back gets a new PackState for the new stay.
    """

    order_number: str
    seller_csn: str
    team_id: str
    start_date: date
    end_date: date
    available_from: date  # start date when bought for this team, else the move/merge date
    quantity: int  # effective quantity in this team's pool (moved in, adjusted)
    used: int = 0
    remaining: int = 0
    expired: int = 0
    moved_out: int = 0
    adjusted: int = 0  # net applied adjustments (+ added, - removed)
    moved_from_team_id: str | None = None  # None: bought for this team
    moved_to_team_id: str | None = None
    moved_on: date | None = None  # set when the pack left this team's pool

    @property
    def in_pool(self) -> bool:
        """Still in this team's pool (not moved out); it may have expired."""
        return self.moved_on is None

    def is_active(self, day: date) -> bool:
        """In this team's pool and usable on `day`."""
        return (
            self.in_pool and self.start_date <= day <= self.end_date and self.available_from <= day
        )


@dataclass(frozen=True)
class OveragePeriod:
    """Usage of first_day ... last_day that found no tokens."""

    first_day: date
    last_day: date
    tokens: int


@dataclass(frozen=True)
class LedgerEntry:
    """A token event as it applied to one team (for the token-events report)."""

    date: date
    kind: str  # "move_in" | "move_out" | "merge_in" | "merge_out" | "adjustment"
    order_number: str
    tokens: int  # signed change of this team's tokens: + in / added, - out / removed
    counterpart_team_id: str | None = None  # moves and merges: the other team
    requested: int | None = None  # adjustments: the signed quantity asked for
    reason: str = ""


@dataclass
class TeamLedger:
    """The replayed ledger of one team as of `as_of`."""

    team_id: str
    as_of: date
    packs: list[PackState] = field(default_factory=list)
    overage_periods: list[OveragePeriod] = field(default_factory=list)
    entries: list[LedgerEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def overage_tokens(self) -> int:
        """Overage on days as_of-364 ... as_of (periods never straddle the window start)."""
        first = self.as_of - timedelta(days=OVERAGE_WINDOW_DAYS - 1)
        return sum(p.tokens for p in self.overage_periods if p.first_day >= first)

    @property
    def expired_unused_tokens(self) -> int:
        """Expired tokens of packs whose end date is in as_of-365 ... as_of-1."""
        first = self.as_of - timedelta(days=EXPIRED_WINDOW_DAYS)
        return sum(p.expired for p in self.packs if first <= p.end_date < self.as_of)

    def active_packs(self, as_of: date) -> list[PackState]:
        """Packs active on `as_of`; their counts are only meaningful for self.as_of."""
        return [p for p in self.packs if p.is_active(as_of)]


class ReplayResult(dict[str, TeamLedger]):
    """Team id -> TeamLedger, plus every warning of the replay (skipped packs and events)."""

    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []


# ------------------------------------------------------------------------------ replay


def draw_order(state: PackState) -> tuple[date, int, str]:
    """Priority in which usage draws from packs: earliest end, smaller pack, order number."""
    return (state.end_date, state.quantity, state.order_number)


def interval_starts(packs: Iterable[Pack], events: Iterable[TokenEvent], as_of: date) -> list[date]:
    """Sorted days on which the replay may change its active packs or draw order.

    The last one is as_of + 1 (the end of the replay); the first is where the replay starts.
    """
    return _starts(
        [(pack.start_date, pack.end_date) for pack in packs], [e.date for e in events], as_of
    )


def _starts(
    spans: Iterable[tuple[date, date]], event_days: Iterable[date], as_of: date
) -> list[date]:
    """interval_starts() of packs given as (start, end) pairs and of events given as days."""
    starts = {as_of - _OVERAGE_SPAN, as_of + ONE_DAY}
    add = starts.add
    for start, end in spans:
        if start <= as_of:
            add(start)
            if end < as_of:
                add(end + ONE_DAY)
    for day in event_days:
        if day <= as_of:
            add(day)
    return sorted(starts)


def overage_window_start(as_of: date) -> date:
    return as_of - _OVERAGE_SPAN


def boundary_dates(packs: Iterable[Pack], events: Iterable[TokenEvent], as_of: date) -> set[date]:
    """Every day x at which replay() and the figures read a usage series' cum_at(x).

    A UsageSeries.from_prefix built from exactly these days gives identical results.
    """
    days = {start - ONE_DAY for start in interval_starts(packs, events, as_of)}
    days.add(as_of - ONE_DAY)
    for window in RATE_WINDOWS_DAYS:
        days.add(as_of - timedelta(days=window + 1))
    return days


# ------------------------------------------------------------------- the draw kernel


def _draw_interval(pool: Sequence[tuple], remaining: list[int], first: date, demand: int) -> int:
    """Draw the `demand` tokens a team used on the interval that begins on `first`.

    `pool` is the team's pool in draw order (draw_order(): earliest end, smaller pack, order
    number), each item a tuple that begins (end date, quantity, order number, first usable
    day); `remaining[i]` is what item i holds, updated in place. Only the packs usable on
    `first` give tokens: the active set does not change inside an interval, so drawing its
    total at once fills the packs exactly as drawing it day by day would. Returns the
    demand no pack could meet (overage). The one implementation of steps 2 and 3 of SPEC §3:
    the lone-team path and the generic group replay both draw through it.
    """
    for index, item in enumerate(pool):
        left = remaining[index]
        if left and item[3] <= first <= item[0]:
            if left >= demand:
                remaining[index] = left - demand
                return 0
            remaining[index] = 0
            demand -= left
    return demand


# ------------------------------------------------------------ a team on its own (fast)
#
# A team that no move, merge or adjustment touches (nearly every team) is replayed without
# PackState objects: its pool is a sorted list of tuples whose draw order never changes,
# and what is left in each pack is one list of ints. replay() takes this path for such
# teams; the recompute calls it directly (flex.services). tests/flex/test_ledger.py proves
# it equal to the generic group replay and to the literal daily oracle.

PoolItem = tuple  # (end_date, quantity, order_number, start_date, seller_csn, *anything)


def lone_pool(packs: Iterable[PoolItem], as_of: date) -> list[PoolItem]:
    """The packs of a lone team that started by `as_of`, in draw order.

    Each pack is a tuple (end_date, quantity, order_number, start_date, seller_csn, ...),
    so that sorting the tuples sorts by draw_order() (order numbers are unique). The packs
    must be valid (see _valid_packs): unique order numbers, quantity >= 0, end >= start.
    """
    return sorted([item for item in packs if item[3] <= as_of])


def lone_starts(pool: Sequence[PoolItem], as_of: date) -> list[date]:
    """interval_starts() of a lone team's pool (no events)."""
    return _starts([(item[3], item[0]) for item in pool], (), as_of)


def lone_probe_days(starts: Sequence[date], as_of: date) -> list[date]:
    """The days whose cumulative usage replay_lone() and the figures read, in this order:
    the day before each interval start, then as_of - 1, as_of - 31 and as_of - 181 (the
    rate windows). Together they are boundary_dates() of the lone team."""
    days = [day - ONE_DAY for day in starts]
    days += _rate_days(as_of)
    return days


@lru_cache(maxsize=8)
def _rate_days(as_of: date) -> tuple[date, ...]:
    return tuple(as_of - timedelta(days=1 + w) for w in (0, *RATE_WINDOWS_DAYS))


def replay_lone(
    pool: Sequence[PoolItem], starts: Sequence[date], cums: Sequence[int]
) -> tuple[list[int], list[tuple[date, date, int]]]:
    """Replay a lone team's pool over its interval starts.

    `cums[k]` is the team's cumulative usage of every day before starts[k]. Returns what is
    left in each pack of the pool at the close of step 3 of as_of (for a pack that ended
    before as_of: what expired unused), and the overage periods (first day, last day,
    tokens) in date order.
    """
    remaining = [item[1] for item in pool]
    overage = []
    first = starts[0]
    before = cums[0]
    for index in range(1, len(starts)):
        after = cums[index]
        if after > before:
            unmet = _draw_interval(pool, remaining, first, after - before)
            if unmet:
                overage.append((first, starts[index] - ONE_DAY, unmet))
        first = starts[index]
        before = after
    return remaining, overage


def lone_summary(
    pool: Sequence[PoolItem],
    remaining: Sequence[int],
    overage: Sequence[tuple[date, date, int]],
    as_of: date,
) -> tuple[list[tuple], int, int]:
    """What the Flex figures read of a lone team's replay: the active packs of as_of in draw
    order as (end, quantity, order number, start, seller, remaining) tuples, the overage
    tokens and the expired-unused tokens (TeamLedger's windows)."""
    active = []
    expired = 0
    expired_from, window = _windows(as_of)
    for item, left in zip(pool, remaining, strict=True):
        end = item[0]
        if end >= as_of:
            active.append((end, item[1], item[2], item[3], item[4], left))
        elif end >= expired_from:
            expired += left
    if not overage:
        return active, 0, expired
    return active, sum(tokens for first, _, tokens in overage if first >= window), expired


@lru_cache(maxsize=8)
def _windows(as_of: date) -> tuple[date, date]:
    """First end date of the expired-unused window, first day of the overage window."""
    return as_of - _EXPIRED_SPAN, as_of - _OVERAGE_SPAN


def _lone_ledger(
    team_id: str,
    pool: Sequence[PoolItem],
    remaining: Sequence[int],
    overage: Sequence[tuple[date, date, int]],
    as_of: date,
) -> TeamLedger:
    """The TeamLedger of a lone team's replay (what replay() returns for it)."""
    packs = []
    for item, left in zip(pool, remaining, strict=True):
        end, quantity, order_number, start, seller = item[:5]
        expired = left if end < as_of else 0
        packs.append(
            PackState(
                order_number=order_number,
                seller_csn=seller,
                team_id=team_id,
                start_date=start,
                end_date=end,
                available_from=start,
                quantity=quantity,
                used=quantity - left,
                remaining=left - expired,
                expired=expired,
            )
        )
    packs.sort(key=lambda s: (s.start_date, s.order_number))
    periods = [OveragePeriod(first, last, tokens) for first, last, tokens in overage]
    return TeamLedger(team_id=team_id, as_of=as_of, packs=packs, overage_periods=periods)


def _cum_before(usage: UsageSeries, day: date) -> int:
    return usage.cum_at(day - ONE_DAY) if day > date.min else 0


# ------------------------------------------------------------------------ generic replay


def replay(
    packs: Iterable[Pack],
    events: Iterable[TokenEvent],
    usage_by_team: Mapping[str, UsageSeries],
    as_of: date,
) -> ReplayResult:
    """Replay every team's pool up to the close of step 3 of `as_of`.

    The result holds a TeamLedger for every team that had a pack in its pool by `as_of`,
    gave or received tokens through an event, or is a key of `usage_by_team`. Packs starting
    after `as_of` are left out of the ledgers and events dated after it are ignored. Invalid packs and events that cannot apply are skipped and reported in
    the result's `warnings` (and in the `warnings` of the teams they name); nothing raises.
    """
    result = ReplayResult()
    valid_packs = _valid_packs(packs, result.warnings)
    due_events = [event for event in events if event.date <= as_of]
    for group in _linked_groups(valid_packs, due_events, usage_by_team, result.warnings):
        if len(group.teams) == 1 and not group.events:
            (team,) = group.teams
            items = [
                (p.end_date, p.quantity, p.order_number, p.start_date, p.seller_csn)
                for p in group.packs
            ]
            pool = lone_pool(items, as_of)
            if pool or team in usage_by_team:
                usage = usage_by_team.get(team, EMPTY_USAGE)
                starts = lone_starts(pool, as_of)
                cums = [_cum_before(usage, day) for day in starts]
                remaining, overage = replay_lone(pool, starts, cums)
                result[team] = _lone_ledger(team, pool, remaining, overage, as_of)
            continue
        replayer = _GroupReplay(group, usage_by_team, as_of)
        replayer.run()
        result.warnings.extend(replayer.warnings)
        result.update(replayer.ledgers())
    return result


def _valid_packs(packs: Iterable[Pack], warnings: list[str]) -> list[Pack]:
    """Drop packs that cannot be replayed: duplicate order numbers, negative or inverted."""
    valid: dict[str, Pack] = {}
    for pack in packs:
        if pack.order_number in valid:
            warnings.append(f"pack {pack.order_number}: duplicate order number, skipped")
        elif pack.quantity < 0:
            warnings.append(f"pack {pack.order_number}: negative quantity, skipped")
        elif pack.end_date < pack.start_date:
            warnings.append(f"pack {pack.order_number}: ends before it starts, skipped")
        else:
            valid[pack.order_number] = pack
    return list(valid.values())


@dataclass
class _Group:
    """Teams that exchange packs (through moves or merges) and are replayed together."""

    teams: set[str] = field(default_factory=set)
    packs: list[Pack] = field(default_factory=list)
    events: list[TokenEvent] = field(default_factory=list)


def _linked_groups(
    packs: list[Pack],
    events: list[TokenEvent],
    usage_by_team: Mapping[str, UsageSeries],
    warnings: list[str],
) -> list[_Group]:
    """Split teams into independent groups (union-find), so that each group's replay only
    visits its own interval starts: this keeps a recompute of many teams linear."""
    parent: dict[str, str] = {}

    def find(team: str) -> str:
        parent.setdefault(team, team)
        while parent[team] != team:
            parent[team] = parent[parent[team]]
            team = parent[team]
        return team

    pack_team = {pack.order_number: pack.team_id for pack in packs}
    for pack in packs:
        find(pack.team_id)
    for team in usage_by_team:
        find(team)
    event_anchor: list[str | None] = []
    for event in events:
        teams = _event_teams(event, pack_team)
        for team in teams[1:]:
            parent[find(team)] = find(teams[0])
        event_anchor.append(teams[0] if teams else None)

    groups: dict[str, _Group] = defaultdict(_Group)
    for team in list(parent):
        groups[find(team)].teams.add(team)
    for pack in packs:
        groups[find(pack.team_id)].packs.append(pack)
    for event, anchor in zip(events, event_anchor, strict=True):
        if anchor is None:  # names no team and no known pack: nothing it could apply to
            warnings.append(_describe(event) + ": names no team and no known pack, skipped")
        else:
            groups[find(anchor)].events.append(event)
    return list(groups.values())


def _event_teams(event: TokenEvent, pack_team: Mapping[str, str]) -> list[str]:
    teams = [team for team in (event.from_team_id, event.to_team_id) if team]
    if event.order_number in pack_team:
        teams.append(pack_team[event.order_number])
    return teams


def _describe(event: TokenEvent) -> str:
    pack = f" of pack {event.order_number}" if event.order_number else ""
    return f"{event.kind} on {event.date.isoformat()}{pack}"


class _GroupReplay:
    """Interval-wise replay of one group of linked teams."""

    def __init__(self, group: _Group, usage_by_team: Mapping[str, UsageSeries], as_of: date):
        self.as_of = as_of
        self.group = group
        self.usage = {team: usage_by_team.get(team, EMPTY_USAGE) for team in group.teams}
        self.reported_usage = {team for team in group.teams if team in usage_by_team}
        self.states: dict[str, list[PackState]] = defaultdict(list)
        self.holder: dict[str, PackState] = {}  # order number -> the state holding the pack
        self.overage: dict[str, list[OveragePeriod]] = defaultdict(list)
        self.entries: dict[str, list[LedgerEntry]] = defaultdict(list)
        self.team_warnings: dict[str, list[str]] = defaultdict(list)
        self.warnings: list[str] = []
        # Every pack belongs to its team's pool from the outset, so that a pack bought ahead
        # of its start can be moved or merged; it is only usable from its start date.
        for pack in sorted(group.packs, key=lambda p: (p.start_date, p.order_number)):
            state = PackState(
                order_number=pack.order_number,
                seller_csn=pack.seller_csn,
                team_id=pack.team_id,
                start_date=pack.start_date,
                end_date=pack.end_date,
                available_from=pack.start_date,
                quantity=pack.quantity,
                remaining=pack.quantity,
            )
            self.states[pack.team_id].append(state)
            self.holder[pack.order_number] = state

    def run(self) -> None:
        starts = interval_starts(self.group.packs, self.group.events, self.as_of)
        events_by_day: dict[date, list[TokenEvent]] = defaultdict(list)
        for event in self.group.events:  # input order is kept among events of one day
            events_by_day[event.date].append(event)
        closing_on: dict[date, list[str]] = defaultdict(list)  # day -> packs ending the day before
        for pack in self.group.packs:
            closing_on[pack.end_date + ONE_DAY].append(pack.order_number)

        for first, following in zip(starts, starts[1:], strict=False):
            for order_number in closing_on.get(first, ()):
                self._expire(self.holder[order_number])
            for event in events_by_day.get(first, ()):
                self._apply(event)
            self._draw(first, following - ONE_DAY)

    def ledgers(self) -> dict[str, TeamLedger]:
        ledgers = {}
        for team in sorted(self.group.teams):
            packs = [s for s in self.states[team] if s.start_date <= self.as_of]
            if not packs and team not in self.reported_usage and not self.entries[team]:
                continue
            packs.sort(key=lambda s: (s.start_date, s.order_number, s.available_from))
            ledgers[team] = TeamLedger(
                team_id=team,
                as_of=self.as_of,
                packs=packs,
                overage_periods=self.overage[team],
                entries=self.entries[team],
                warnings=self.team_warnings[team],
            )
        return ledgers

    # --- steps of a day

    def _expire(self, state: PackState) -> None:
        """Close of the pack's end date: what is left expires unused."""
        state.expired += state.remaining
        state.remaining = 0

    def _draw(self, first: date, last: date) -> None:
        """Draw each team's usage of first ... last from its active packs, in priority order.

        The active set and its order are fixed inside the interval, so drawing the interval's
        total at once fills the packs exactly as drawing it day by day would.
        """
        for team, usage in self.usage.items():
            demand = usage.between(first, last)
            if demand <= 0:
                continue
            held = sorted(
                (s for s in self.states[team] if s.in_pool and s.remaining), key=draw_order
            )
            pool = [
                (s.end_date, s.quantity, s.order_number, max(s.start_date, s.available_from))
                for s in held
            ]
            remaining = [s.remaining for s in held]
            unmet = _draw_interval(pool, remaining, first, demand)
            for state, left in zip(held, remaining, strict=True):
                state.used += state.remaining - left
                state.remaining = left
            if unmet:
                self.overage[team].append(OveragePeriod(first, last, unmet))

    # --- token events

    def _apply(self, event: TokenEvent) -> None:
        if event.kind == MOVE:
            self._move(event)
        elif event.kind == MERGE:
            self._merge(event)
        elif event.kind == ADJUSTMENT:
            self._adjust(event)
        else:
            self._skip(event, f"unknown event kind {event.kind!r}")

    def _move(self, event: TokenEvent) -> None:
        if not event.to_team_id:
            self._skip(event, "no receiving team")
            return
        state = self._pack_in_pool(event, event.from_team_id)
        if state is None:
            return
        if state.team_id == event.to_team_id:
            self._skip(event, f"pack is already in team {event.to_team_id}")
            return
        self._transfer(state, event.to_team_id, event, "move")

    def _merge(self, event: TokenEvent) -> None:
        merged, receiving = event.from_team_id, event.to_team_id
        if not merged or not receiving or merged == receiving:
            self._skip(event, "a merge needs two different teams")
            return
        # Every pack still in the merged team's pool, including packs not started yet;
        # expired packs stay behind with their history.
        in_pool = [s for s in self.states[merged] if s.in_pool and s.end_date >= event.date]
        for state in sorted(in_pool, key=lambda s: s.order_number):
            self._transfer(state, receiving, event, "merge")

    def _adjust(self, event: TokenEvent) -> None:
        state = self._pack_in_pool(event, event.from_team_id)
        if state is None:
            return
        if event.quantity >= 0:
            applied = event.quantity
        else:  # never remove more than is left: a balance cannot go below 0
            applied = -min(-event.quantity, state.remaining)
        state.quantity += applied
        state.remaining += applied
        state.adjusted += applied
        self.entries[state.team_id].append(
            LedgerEntry(
                date=event.date,
                kind="adjustment",
                order_number=state.order_number,
                tokens=applied,
                requested=event.quantity,
                reason=event.reason,
            )
        )

    def _pack_in_pool(self, event: TokenEvent, team: str | None) -> PackState | None:
        """The state holding the event's pack in `team`'s pool (any team when None)."""
        state = self.holder.get(event.order_number or "")
        if state is None:
            self._skip(event, "unknown pack")
        elif team and state.team_id != team:
            self._skip(event, f"pack is not in team {team}'s pool on that day")
        elif state.end_date < event.date:
            self._skip(event, f"pack expired on {state.end_date.isoformat()}")
        else:
            return state
        return None

    def _transfer(self, state: PackState, to_team: str, event: TokenEvent, kind: str) -> None:
        """Carry all remaining tokens of a pack to another team's pool from event.date."""
        tokens = state.remaining
        state.moved_out = tokens
        state.remaining = 0
        state.moved_on = event.date
        state.moved_to_team_id = to_team
        arrived = PackState(
            order_number=state.order_number,
            seller_csn=state.seller_csn,
            team_id=to_team,
            start_date=state.start_date,
            end_date=state.end_date,
            available_from=event.date,
            quantity=tokens,
            remaining=tokens,
            moved_from_team_id=state.team_id,
        )
        self.states[to_team].append(arrived)  # to_team is in the group: events link teams
        self.holder[state.order_number] = arrived
        common = {"date": event.date, "order_number": state.order_number, "reason": event.reason}
        self.entries[state.team_id].append(
            LedgerEntry(kind=f"{kind}_out", tokens=-tokens, counterpart_team_id=to_team, **common)
        )
        self.entries[to_team].append(
            LedgerEntry(
                kind=f"{kind}_in", tokens=tokens, counterpart_team_id=state.team_id, **common
            )
        )

    def _skip(self, event: TokenEvent, why: str) -> None:
        message = f"{_describe(event)}: {why}, skipped"
        self.warnings.append(message)
        named = {event.from_team_id, event.to_team_id}
        holder = self.holder.get(event.order_number or "")
        if holder is not None:
            named.add(holder.team_id)
        for team in sorted(t for t in named if t):
            self.team_warnings[team].append(message)
