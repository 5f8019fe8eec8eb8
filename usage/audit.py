"""Audit of reported usage against the independent metering (SPEC §11).

Pure Python, no Django. The expected charges come from usage.metering; the reported
charges are the rows of Autodesk's usage report (one per user, product, version and UTC
day, with its tokens). Every reported charge gets a verdict:

- `expected`: the sessions explain its tokens;
- otherwise the tokens the sessions do not explain are *at stake*, and the charge is
  classified by the first cause that applies, in this order:

  1. `subscription` — the user held a named-user seat for the product that day: Flex
     should have charged nothing, whatever the sessions say;
  2. `no_session` — no session of that user and product touched that UTC day (a
     background service, a licence check);
  3. `midnight` — a 24-hour window opened on an earlier day still covered this day's use
     (a session across midnight, or a re-launch the next morning, charged again because
     the report resets at midnight UTC);
  4. `two_versions` — a window opened that day by another version covered a launch of
     this row's version (launches of any version inside a window are free);
  5. `short_launch` — a session closed within 5 minutes of its launch started that day
     (it should have been free and opened no window);
  6. `unexplained` — none of the above: more tokens than the sessions explain (a rate
     above the catalog's, a re-launch of the same version charged twice).

  Subscriptions come first because they make any charge wrong; "no session" next because
  every later cause needs a session to point at. The window causes (midnight, two
  versions) come before the short launch because a short launch inside an open window is
  free for the window's sake, not for its own.

Matching within one user, product and day: the expected tokens go first to the reported
rows of the version that opened the expected window, then to the others; what a row gets
is its expected part, the rest is at stake. Expected charges of a user, product and day with
nothing reported (Flex charged less than it could) are listed apart, as information: they
cost the customer nothing.

Two machines at once (usage.metering.two_machines) are compliance warnings, not billing
errors: they carry no tokens at stake.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from usage.metering import (
    Charge,
    Overlap,
    RateBook,
    Seat,
    Session,
    SessionIndex,
    day_bounds,
    meter,
    runs,
    two_machines,
    utc_day,
)

EXPECTED = "expected"
SUBSCRIPTION = "subscription"
NO_SESSION = "no_session"
MIDNIGHT = "midnight"
TWO_VERSIONS = "two_versions"
SHORT_LAUNCH = "short_launch"
UNEXPLAINED = "unexplained"

# cause -> (label, what it means), in the order of the rules above.
CAUSES: dict[str, tuple[str, str]] = {
    SUBSCRIPTION: (
        "Charge under a subscription",
        "The user held a named-user seat for the product that day: Flex should charge nothing.",
    ),
    NO_SESSION: (
        "Charge with no session",
        "No session of this user and product that day: typical of a background service.",
    ),
    MIDNIGHT: (
        "Midnight double charge",
        "A 24-hour window opened the day before still covered this use: charged twice "
        "across midnight UTC.",
    ),
    TWO_VERSIONS: (
        "Two versions in one window",
        "Another version was launched inside a window already charged: launches of any "
        "version inside the window are free.",
    ),
    SHORT_LAUNCH: (
        "Sub-5-minute charge",
        "The launch that day was closed within 5 minutes: it should be free.",
    ),
    UNEXPLAINED: (
        "Not explained by the sessions",
        "More tokens than the sessions explain (a rate above the catalog's, a charge repeated).",
    ),
}
VERDICTS = {EXPECTED: ("Expected", "The sessions explain this charge."), **CAUSES}


@dataclass(frozen=True)
class Reported:
    """One reported charge: a row of the usage report."""

    user: str
    product: Hashable
    day: date
    version: str
    tokens: int
    id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Verdict:
    reported: Reported
    status: str  # EXPECTED or a cause of CAUSES
    expected_tokens: Decimal  # the part of the reported tokens the sessions explain
    sessions: tuple[Session, ...]  # of the user and product with use on that day
    charges: tuple[Charge, ...]  # expected charges of the user and product on that day

    @property
    def at_stake(self) -> Decimal:
        return max(Decimal(self.reported.tokens) - self.expected_tokens, Decimal(0))

    @property
    def is_finding(self) -> bool:
        return self.status != EXPECTED

    @property
    def label(self) -> str:
        return VERDICTS[self.status][0]

    @property
    def explanation(self) -> str:
        return VERDICTS[self.status][1]


@dataclass(frozen=True)
class CauseTotal:
    cause: str
    label: str
    charges: int
    tokens: Decimal


@dataclass
class AuditResult:
    start: date
    end: date
    verdicts: list[Verdict]  # one per reported charge of the period, in day order
    charges: list[Charge]  # expected charges of the period
    unreported: list[Charge]  # expected, with tokens, on a day nothing was reported
    warnings: list[Overlap]  # two machines at once, in the period

    @property
    def findings(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.is_finding]

    @property
    def reported_tokens(self) -> int:
        return sum(v.reported.tokens for v in self.verdicts)

    @property
    def expected_tokens(self) -> Decimal:
        return sum((c.tokens for c in self.charges), Decimal(0))

    @property
    def tokens_at_stake(self) -> Decimal:
        return sum((v.at_stake for v in self.findings), Decimal(0))

    def by_cause(self) -> list[CauseTotal]:
        """Findings per cause, every cause listed (in rule order)."""
        counts: dict[str, list] = {cause: [0, Decimal(0)] for cause in CAUSES}
        for verdict in self.findings:
            counts[verdict.status][0] += 1
            counts[verdict.status][1] += verdict.at_stake
        return [
            CauseTotal(cause, CAUSES[cause][0], count, tokens)
            for cause, (count, tokens) in counts.items()
        ]


def audit(
    reported: Iterable[Reported],
    sessions: Iterable[Session],
    rates: RateBook,
    seats: Iterable[Seat] = (),
    *,
    start: date,
    end: date,
) -> AuditResult:
    """Every reported charge of [start, end] against the charges the sessions explain.

    `sessions` should reach a few days before `start` (a window opened the day before the
    period covers its first day) and may reach after `end`; charges are kept by their day.
    """
    sessions = list(sessions)
    seats = list(seats)
    all_charges = meter(sessions, rates, seats)
    in_period = [c for c in all_charges if start <= c.day <= end]
    grouped: dict[tuple, list[Session]] = defaultdict(list)
    for session in sessions:
        grouped[(session.user, session.product)].append(session)
    sessions_of = {pair: SessionIndex(items) for pair, items in grouped.items()}
    charges_of: dict[tuple, list[Charge]] = defaultdict(list)
    for charge in all_charges:
        charges_of[(charge.user, charge.product)].append(charge)
    seats_of: dict[tuple, list[Seat]] = defaultdict(list)
    for seat in seats:
        seats_of[(seat.user, seat.product)].append(seat)

    rows_of: dict[tuple, list[Reported]] = defaultdict(list)
    for row in reported:
        if start <= row.day <= end:
            rows_of[(row.user, row.product, row.day)].append(row)
    expected_of: dict[tuple, list[Charge]] = defaultdict(list)
    for charge in in_period:
        expected_of[(charge.user, charge.product, charge.day)].append(charge)

    verdicts: list[Verdict] = []
    unreported: list[Charge] = []
    for key in sorted(set(rows_of) | set(expected_of), key=lambda k: (k[2], k[0], str(k[1]))):
        user, product, day = key
        expected = expected_of.get(key, [])
        rows = rows_of.get(key, [])
        if not rows:
            unreported.extend(c for c in expected if c.tokens)
            continue
        pair = (user, product)
        day_start, day_end = day_bounds(day)
        index = sessions_of.get(pair)
        on_day = index.overlapping(day_start, day_end) if index else ()
        explained = _allocate(rows, expected)
        seat = any(s.covers(day) for s in seats_of.get(pair, []))
        for row in rows:
            part = explained[id(row)]
            status = EXPECTED
            if part < row.tokens:
                status = _cause(row, seat, on_day, charges_of.get(pair, []))
            verdicts.append(Verdict(row, status, part, on_day, tuple(expected)))
    warnings = [o for o in two_machines(sessions) if start <= o.day <= end]
    return AuditResult(start, end, verdicts, in_period, unreported, warnings)


def _allocate(rows: list[Reported], expected: list[Charge]) -> dict[int, Decimal]:
    """Expected tokens shared out over the reported rows: each row first takes from the
    charges of its own version, then from whatever is left. Rows in a stable order (by
    version, then larger first) so that the same data always gives the same verdicts."""
    rows = sorted(rows, key=lambda r: (r.version, -r.tokens, r.id or 0))
    pools: dict[str, Decimal] = defaultdict(Decimal)
    for charge in expected:
        pools[charge.version] += charge.tokens
    taken = {id(row): Decimal(0) for row in rows}
    for row in rows:  # own version first
        part = min(Decimal(row.tokens), pools[row.version])
        pools[row.version] -= part
        taken[id(row)] += part
    for row in rows:  # then any version
        for version in sorted(pools):
            need = Decimal(row.tokens) - taken[id(row)]
            if need <= 0:
                break
            part = min(need, pools[version])
            pools[version] -= part
            taken[id(row)] += part
    return taken


def _cause(row: Reported, seat: bool, on_day: tuple[Session, ...], charges: list[Charge]) -> str:
    """The first cause (see the module docstring) that explains the row's excess."""
    if seat:
        return SUBSCRIPTION
    if not on_day:
        return NO_SESSION
    day_start, day_end = day_bounds(row.day)
    same_version = [s for s in on_day if s.version == row.version] or list(on_day)
    for charge in charges:
        if charge.day < row.day and charge.closes > day_start:
            span_start, span_end = max(charge.opens, day_start), min(charge.closes, day_end)
            if any(s.overlaps(span_start, span_end) for s in same_version):
                return MIDNIGHT
    for charge in charges:
        if charge.day == row.day and charge.version != row.version:
            if any(
                s.version == row.version and charge.opens <= s.start < charge.closes for s in on_day
            ):
                return TWO_VERSIONS
    for run in runs(on_day):
        if run.free and utc_day(run.start) == row.day:
            return SHORT_LAUNCH
    return UNEXPLAINED


def session_text(session: Session, machine_label: str = "") -> str:
    """'2026-03-02 08:14–17:40 UTC · 2026 · Machine 3F2A' (the end's date when it differs)."""
    start, end = _utc(session.start), _utc(session.end)
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    parts = [f"{start:%Y-%m-%d %H:%M}–{until} UTC"]
    if session.version:
        parts.append(session.version)
    if machine_label:
        parts.append(machine_label)
    return " · ".join(parts)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
