"""Independent metering (SPEC §11): from session logs to the charges Flex should make.

Pure Python, no Django: plain data in, plain data out, so that the rules are tested case
by case and by properties (tests/usage/test_metering.py).

The rules, per user and product:

1. Sessions of one *stream* (the same user, product, version and machine) that touch or
   overlap are one session: a log cut at midnight, or a session logged twice, is one
   period of use. Splitting a session anywhere never changes the charges.
2. A session closed within 5 minutes of its launch (end − start ≤ 5 minutes) is charged 0
   tokens and opens no window, wherever it falls.
3. The other sessions are the user's *use* of the product (any version, any machine).
   A charge opens a 24-hour window [t, t + 24 h) at the first use not covered by a window:
   launches of any version inside the window are free.
4. Use that goes on past the window's end (a session still open at t + 24 h) opens a new
   window, and a new charge, at t + 24 h. A session that ends exactly at t + 24 h does not.
5. A user holding a named-user seat for the product on the charge's day is charged 0
   tokens (the window still exists: later launches inside it stay free).
6. The charge is the product's daily token rate in force on the charge's day (the catalog
   rate with the latest effective date not after that day); without a rate it is 0 and
   says so (`rate is None`).
7. A charge belongs to the UTC day on which its window opens, as Autodesk reports usage by
   UTC day.

Rules 3 and 4 together are the greedy cover of the use by 24-hour windows, each opened at
the earliest use not yet covered; the number of charges is therefore the smallest number
of 24-hour windows that cover the use, and it can only grow when use grows.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

FREE_SESSION = timedelta(minutes=5)  # closed within 5 minutes of its launch: free
WINDOW = timedelta(hours=24)
LAUNCH = "launch"  # a window opened by a launch outside any window
CONTINUED = "continued"  # a window opened because use went on past the previous one


@dataclass(frozen=True)
class Session:
    """One session of a log: aware datetimes (any zone; compared as instants)."""

    user: str
    product: Hashable
    version: str
    machine: str
    start: datetime
    end: datetime
    id: int | None = field(default=None, compare=False)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def stream(self) -> tuple:
        return (self.user, self.product, self.version, self.machine)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Use within [start, end); a zero-length session counts when it lies inside."""
        if self.end == self.start:
            return start <= self.start < end
        return self.start < end and self.end > start


@dataclass(frozen=True)
class Seat:
    """A named-user subscription: the user pays nothing for the product on these days."""

    user: str
    product: Hashable
    start_date: date
    end_date: date

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


class RateBook:
    """The catalog's daily token rates with their effective dates."""

    def __init__(self, rates: Iterable[tuple[Hashable, date, Decimal]] = ()) -> None:
        by_product: dict[Hashable, list[tuple[date, Decimal]]] = defaultdict(list)
        for product, effective_from, tokens in rates:
            by_product[product].append((effective_from, Decimal(tokens)))
        self._days: dict[Hashable, list[date]] = {}
        self._rates: dict[Hashable, list[Decimal]] = {}
        for product, entries in by_product.items():
            entries.sort()
            self._days[product] = [day for day, _ in entries]
            self._rates[product] = [rate for _, rate in entries]

    def rate(self, product: Hashable, day: date) -> Decimal | None:
        """The rate in force on `day`: the latest effective date not after it."""
        days = self._days.get(product)
        if not days:
            return None
        index = bisect_right(days, day) - 1
        return self._rates[product][index] if index >= 0 else None


@dataclass(frozen=True)
class Run:
    """Continuous use of one stream: its sessions merged where they touch or overlap."""

    user: str
    product: Hashable
    version: str
    machine: str
    start: datetime
    end: datetime
    sessions: tuple[Session, ...]

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def free(self) -> bool:
        return self.duration <= FREE_SESSION


class SessionIndex:
    """One user's sessions of one product, found by time span without a scan of them all
    (a year of a heavy user is hundreds of sessions, and every window asks)."""

    def __init__(self, sessions: Iterable[Session]) -> None:
        self.sessions = sorted(sessions, key=lambda s: (s.start, s.end, s.version, s.machine))
        self.starts = [s.start for s in self.sessions]
        self.longest = max((s.end - s.start for s in self.sessions), default=timedelta(0))

    def overlapping(self, start: datetime, end: datetime) -> tuple[Session, ...]:
        """The sessions with use in [start, end), in order of start."""
        low = bisect_left(self.starts, start - self.longest)
        high = bisect_left(self.starts, end)
        return tuple(s for s in self.sessions[low:high] if s.overlaps(start, end))


@dataclass(frozen=True)
class Charge:
    """What Flex should charge for one 24-hour window of one user and product."""

    user: str
    product: Hashable
    day: date  # the UTC day the window opens on
    opens: datetime
    version: str  # of the use that opened the window
    machine: str
    cause: str  # LAUNCH or CONTINUED
    tokens: Decimal  # 0 under a seat or without a rate
    rate: Decimal | None  # the catalog rate of the day; None when the catalog has none
    seat: bool  # a named-user seat covered the product on that day
    sessions: tuple[Session, ...] = field(default=(), compare=False)  # use in the window

    @property
    def closes(self) -> datetime:
        return self.opens + WINDOW

    @property
    def key(self) -> tuple:
        """What the charge is, without the sessions that explain it."""
        return (self.user, self.product, self.day, self.opens, self.tokens, self.seat)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[00:00, 24:00) of a UTC day."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def runs(sessions: Iterable[Session]) -> list[Run]:
    """Sessions merged per stream where one starts before (or when) the previous ends."""
    streams: dict[tuple, list[Session]] = defaultdict(list)
    for session in sessions:
        streams[session.stream].append(session)
    result = []
    for (user, product, version, machine), items in streams.items():
        items.sort(key=lambda s: (s.start, s.end))
        group = [items[0]]
        start, end = items[0].start, items[0].end
        for session in items[1:]:
            if session.start <= end:
                group.append(session)
                end = max(end, session.end)
                continue
            result.append(Run(user, product, version, machine, start, end, tuple(group)))
            group, start, end = [session], session.start, session.end
        result.append(Run(user, product, version, machine, start, end, tuple(group)))
    return sorted(result, key=lambda r: (r.user, str(r.product), r.start, r.version, r.machine))


def _windows(used: Sequence[Run]) -> list[tuple[datetime, str, Run]]:
    """Greedy 24-hour windows over the use (runs sorted by start): (opens, cause, run of
    the use that opens it)."""
    windows: list[tuple[datetime, str, Run]] = []
    covered_until: datetime | None = None
    for index, run in enumerate(used):
        if covered_until is not None and run.end <= covered_until:
            continue  # inside the current window: free
        if covered_until is None or run.start >= covered_until:
            windows.append((run.start, LAUNCH, run))
            covered_until = run.start + WINDOW
        # Use goes on past the window's end: a new window at the end, as long as any run
        # (this one or an earlier, longer one) is still open there.
        while run.end > covered_until:
            opener = _open_at(used[: index + 1], covered_until)
            windows.append((covered_until, CONTINUED, opener))
            covered_until += WINDOW
    return windows


def _open_at(used: Sequence[Run], moment: datetime) -> Run:
    """The run in use at `moment` that started first (ties: version, machine)."""
    open_runs = [r for r in used if r.start <= moment < r.end]
    return min(open_runs, key=lambda r: (r.start, r.version, r.machine))


def meter(sessions: Iterable[Session], rates: RateBook, seats: Iterable[Seat] = ()) -> list[Charge]:
    """The charges Flex should make for these sessions (SPEC §11), in order of user,
    product and time. Each charge carries the sessions with use inside its window."""
    by_pair: dict[tuple, list[Session]] = defaultdict(list)
    for session in sessions:
        by_pair[(session.user, session.product)].append(session)
    seats_of: dict[tuple, list[Seat]] = defaultdict(list)
    for seat in seats:
        seats_of[(seat.user, seat.product)].append(seat)
    charges: list[Charge] = []
    for (user, product), pair_sessions in by_pair.items():
        used = sorted(
            (r for r in runs(pair_sessions) if not r.free), key=lambda r: (r.start, r.end)
        )
        held = seats_of.get((user, product), [])
        index = SessionIndex(pair_sessions)
        for opens, cause, run in _windows(used):
            day = utc_day(opens)
            rate = rates.rate(product, day)
            seat = any(s.covers(day) for s in held)
            inside = index.overlapping(opens, opens + WINDOW)
            charges.append(
                Charge(
                    user=user,
                    product=product,
                    day=day,
                    opens=opens,
                    version=run.version,
                    machine=run.machine,
                    cause=cause,
                    tokens=Decimal(0) if seat or rate is None else rate,
                    rate=rate,
                    seat=seat,
                    sessions=inside,
                )
            )
    return sorted(charges, key=lambda c: (c.user, str(c.product), c.opens))


# ------------------------------------------------------------------ about the charges


def use_within(sessions: Iterable[Session], start: datetime, end: datetime) -> timedelta:
    """Time in [start, end) during which at least one of the sessions was open."""
    spans = sorted(
        (max(s.start, start), min(s.end, end)) for s in sessions if s.start < end and s.end > start
    )
    total = timedelta(0)
    current_start = current_end = None
    for span_start, span_end in spans:
        if current_end is None or span_start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = span_start, span_end
        else:
            current_end = max(current_end, span_end)
    if current_end is not None:
        total += current_end - current_start
    return total


def charge_use(charge: Charge) -> timedelta:
    """The use a charge's window held (every session of the user and product, the free
    ones included)."""
    return use_within(charge.sessions, charge.opens, charge.closes)


@dataclass(frozen=True)
class Overlap:
    """One user running one product on two machines at once (a compliance warning: Flex
    allows one device at a time)."""

    user: str
    product: Hashable
    start: datetime
    end: datetime
    machines: tuple[str, str]
    sessions: tuple[Session, ...]

    @property
    def day(self) -> date:
        return utc_day(self.start)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


def two_machines(sessions: Iterable[Session]) -> list[Overlap]:
    """Every time span in which one user had one product open on two machines: sessions
    merged per machine (any version), then each overlapping pair of machines' runs."""
    per_machine: dict[tuple, list[Session]] = defaultdict(list)
    for session in sessions:
        if session.end > session.start:
            per_machine[(session.user, session.product, session.machine)].append(session)
    by_pair: dict[tuple, list[Run]] = defaultdict(list)
    for (user, product, machine), items in per_machine.items():
        # Versions do not matter here: the machine's sessions merged as one stream.
        items.sort(key=lambda s: (s.start, s.end))
        group, end = [items[0]], items[0].end
        for session in [*items[1:], None]:
            if session is not None and session.start <= end:
                group.append(session)
                end = max(end, session.end)
                continue
            by_pair[(user, product)].append(
                Run(user, product, "", machine, group[0].start, end, tuple(group))
            )
            if session is not None:
                group, end = [session], session.end
    overlaps = []
    for (user, product), machine_runs in by_pair.items():
        machine_runs.sort(key=lambda r: (r.start, r.machine))
        for i, first in enumerate(machine_runs):
            for second in machine_runs[i + 1 :]:
                if second.start >= first.end:
                    break
                if second.machine == first.machine:
                    continue
                overlaps.append(
                    Overlap(
                        user=user,
                        product=product,
                        start=second.start,
                        end=min(first.end, second.end),
                        machines=(first.machine, second.machine),
                        sessions=tuple(
                            sorted(first.sessions + second.sessions, key=lambda s: s.start)
                        ),
                    )
                )
    return sorted(overlaps, key=lambda o: (o.user, str(o.product), o.start))
