"""Demo session logs and named-user seats (SPEC §11), with a known set of planted
discrepancies, loaded through the real imports: `seed_sessions(seed, as_of)`.

For a few demo teams (8 by default) it writes, for the 28 days D−28 … D−1:

- a `sessions` file: each user's working days with each product, as the demo's usage
  model has them (a user uses a product on a weekday with the demo's probability), one
  launch a day in business hours, sometimes a second launch after a break, sometimes a
  short session;
- a `subscriptions` file: named-user seats;
- a `usage` file that *replaces* those teams' usage of those days: exactly the charges
  the metering makes of the sessions (so a clean day's report equals its expected
  charges), plus the planted discrepancies below.

Planted, on the first team (preferably one of the first demo partner's, so that its
admin sees them) — one of each:
  midnight double charge, sub-5-minute charge, two versions in one window, charge under a
  subscription, charge with no session; and one two-machines-at-once warning;
and on the second team a second midnight double charge and a second charge with no
session. For the advisor, the first team also gets a night launch (off-hours use) and a
15-minute day (short-session waste), which are charged as reported: not findings.

Deterministic for a seed and a business date, and idempotent: the plan depends only on
each team's users and products *before* the 28 days (which this never rewrites) and on
the seed, so a second run writes the same files and changes nothing.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from usage import audit
from usage.imports.common import MAINT
from usage.imports.pseudonym import user_key
from usage.metering import RateBook, Seat, Session, meter

WINDOW_DAYS = 28
HISTORY_DAYS = 90  # the usage before the window that tells each team's users and products
USE_SHARE = 0.55  # as spp.demo_feeds: a user uses a product on a weekday with this chance
LAUNCH = time(13, 0)  # UTC: 08:00 in New York in winter, 09:00 in summer
TWO_MACHINES = "two_machines"
PLANTS = 10  # pairs the first team needs: nine plants, and one left to fill empty days


@dataclass(frozen=True)
class Planted:
    """A planted discrepancy: a cause of usage.audit.CAUSES, or TWO_MACHINES."""

    team_id: str
    kind: str
    user_key: str
    product: str
    day: date


@dataclass
class SeededSessions:
    first: date
    last: date
    teams: list[str] = field(default_factory=list)
    findings: list[Planted] = field(default_factory=list)
    warnings: list[Planted] = field(default_factory=list)
    reports: list = field(default_factory=list)


@dataclass
class Pair:
    """One user of one product in one team: who, with what, on which days."""

    user: str  # the e-mail (it goes into the feed files, pseudonymised on import)
    key: str
    index: int  # user number in the account: the machine name and the launch minute
    product_id: int
    product: str
    versions: list[str]
    days: dict[date, str] = field(default_factory=dict)  # active day -> version that day


@dataclass
class TeamPlan:
    team_pk: int
    team_id: str
    slug: str
    pairs: list[Pair]
    sessions: list[tuple[Pair, str, str, datetime, datetime]] = field(default_factory=list)
    seats: list[tuple[Pair, date, date]] = field(default_factory=list)
    extra_rows: list[tuple[date, Pair, str]] = field(default_factory=list)  # planted charges


def seed_sessions(
    seed: int = 7,
    as_of: date | None = None,
    *,
    teams: int = 8,
    recompute: str = "now",
) -> SeededSessions:
    """Write and import the demo's session logs, seats and matching usage; return what was
    planted. `recompute` is the usage import's (seed_demo recomputes afterwards itself)."""
    from spp.dates import business_date
    from usage.imports import import_file

    as_of = as_of or business_date()
    first, last = as_of - timedelta(days=WINDOW_DAYS), as_of - timedelta(days=1)
    result = SeededSessions(first, last)
    plans = _plans(seed, first, last, teams)
    if not plans:
        return result
    rates = _rates()
    stored = _stored_days([plan.team_pk for plan in plans], first, last)
    rows_by_team = {}
    for number, plan in enumerate(plans):
        _sessions(plan, random.Random(f"{seed}:{plan.team_id}:days"), first, last)
        used = _plant(plan, number, first, last, result)
        rows = _usage_rows(plan, rates, first, last)
        missing = stored.get(plan.team_pk, set()) - {day for day, *_ in rows}
        if missing:
            _fill(plan, used, missing, first)
            rows = _usage_rows(plan, rates, first, last)
        rows_by_team[plan.team_id] = rows
        result.teams.append(plan.team_id)
    with tempfile.TemporaryDirectory(prefix="spp-demo-sessions-") as folder:
        files = _write(Path(folder), plans, rows_by_team)
        for kind, path in files:
            report = import_file(kind, path, recompute=recompute if kind == "usage" else "none")
            if not report.ok:
                raise RuntimeError(f"demo {kind} feed refused:\n{report.format()}")
            result.reports.append(report)
    return result


# ------------------------------------------------------------------ the teams


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _plans(seed: int, first: date, last: date, count: int) -> list[TeamPlan]:
    """The demo teams to log: users of the history all known by their demo e-mail, at
    least six pairs; the first partner's teams first (its admin opens the demo)."""
    from spp.demo import PARTNERS
    from teams.models import Team, TeamLink
    from usage.models import Product, UsageRow

    history = (
        UsageRow.objects.using(MAINT)
        .filter(day__gte=first - timedelta(days=HISTORY_DAYS), day__lt=first)
        .values_list("team_id", "user_key", "product_id", "version")
        .distinct()
    )
    seen: dict[int, dict[tuple[str, int], set[str]]] = defaultdict(lambda: defaultdict(set))
    for team, key, product, version in history:
        seen[team][(key, product)].add(version)
    names = dict(Product.objects.using(MAINT).values_list("pk", "name"))
    teams = {
        t.pk: t
        for t in Team.unscoped.using(MAINT).filter(pk__in=list(seen)).select_related("account")
    }
    first_csn = PARTNERS[0][0]
    preferred = set(
        TeamLink.unscoped.using(MAINT)
        .filter(partner__csn=first_csn, team__in=list(seen))
        .values_list("team_id", flat=True)
    )
    eligible = []
    for pk in sorted(seen, key=lambda pk: teams[pk].team_id):
        team = teams[pk]
        slug = _slug(team.account.name)
        emails = {user_key(f"user{n:02d}@{slug}.example"): n for n in range(40)}
        pairs = seen[pk]
        if len(pairs) < 6 or any(key not in emails for key, _ in pairs):
            continue
        eligible.append(
            TeamPlan(
                pk,
                team.team_id,
                slug,
                [
                    Pair(
                        f"user{emails[key]:02d}@{slug}.example",
                        key,
                        emails[key],
                        product,
                        names[product],
                        sorted(pairs[(key, product)]),
                    )
                    for key, product in sorted(pairs, key=lambda p: (emails[p[0]], names[p[1]]))
                ],
            )
        )
    rng = random.Random(f"{seed}:teams")
    rng.shuffle(eligible)
    # The first team takes every plant (nine pairs): the first partner's, with room for them.
    eligible.sort(key=lambda plan: (plan.team_pk not in preferred, len(plan.pairs) < PLANTS))
    return eligible[:count]


def _rates() -> RateBook:
    from usage.models import ProductRate

    return RateBook(
        ProductRate.objects.using(MAINT).values_list(
            "product_id", "effective_from", "tokens_per_day"
        )
    )


# ------------------------------------------------------------------ sessions


def _at(day: date, moment: time, minutes: int = 0) -> datetime:
    return datetime.combine(day, moment, tzinfo=UTC) + timedelta(minutes=minutes)


def _launch(pair: Pair, day: date, first: date) -> datetime:
    """13:00 UTC + 2 minutes a day since the window's first day + the user's own minute:
    each launch is more than 24 hours after the one before, so a clean working day always
    opens a window of its own."""
    return _at(day, LAUNCH, 2 * (day - first).days + 5 * (pair.index % 12))


def _machine(plan: TeamPlan, pair: Pair, laptop: bool = False) -> str:
    return f"{plan.slug[:12]}-{'LT' if laptop else 'WS'}{pair.index:02d}"


def _sessions(plan: TeamPlan, rng: random.Random, first: date, last: date) -> None:
    """Each pair's working days and a day's sessions: a launch of 2 to 7 hours, sometimes a
    second launch after a break (another version now and then), sometimes a short day."""
    day = first
    while day <= last:
        for pair in plan.pairs:
            if day.weekday() < 5 and rng.random() < USE_SHARE:
                pair.days[day] = rng.choice(pair.versions)
            draw = rng.random(), rng.randint(120, 420), rng.random(), rng.random()
            if day in pair.days:
                _day_sessions(plan, pair, day, first, *draw)
        day += timedelta(days=1)


def _day_sessions(
    plan: TeamPlan, pair: Pair, day: date, first: date, short: float, minutes: int,
    second: float, other: float,
) -> None:  # fmt: skip
    start = _launch(pair, day, first)
    version = pair.days[day]
    if short < 0.05:  # a quick look: charged, with under 30 minutes of use
        plan.sessions.append(
            (pair, version, _machine(plan, pair), start, start + timedelta(minutes=15))
        )
        return
    end = start + timedelta(minutes=minutes)
    plan.sessions.append((pair, version, _machine(plan, pair), start, end))
    if second < 0.3 and end + timedelta(minutes=150) < _at(day, time(23)):
        again = version
        if other < 0.3 and len(pair.versions) > 1:
            again = next(v for v in pair.versions if v != version)
        back = end + timedelta(minutes=40)
        plan.sessions.append(
            (pair, again, _machine(plan, pair), back, back + timedelta(minutes=90))
        )


def _drop(plan: TeamPlan, pair: Pair, day: date) -> None:
    start, end = _at(day, time(0)), _at(day + timedelta(days=1), time(0))
    plan.sessions = [s for s in plan.sessions if not (s[0] is pair and start <= s[3] < end)]


# ------------------------------------------------------------------ the plants


def _pick(plan: TeamPlan, used: set[int], test) -> tuple[Pair, date] | None:
    """The first pair not used yet with a working day that passes `test(pair, day)`,
    preferring days in the middle of the window."""
    for number, pair in enumerate(plan.pairs):
        if number in used or len(pair.days) < 4:
            continue
        days = sorted(pair.days)
        middle = sorted(days, key=lambda d: abs((d - days[len(days) // 2]).days))
        for day in middle:
            if test(pair, day):
                used.add(number)
                return pair, day
    return None


def _plant(
    plan: TeamPlan, number: int, first: date, last: date, result: SeededSessions
) -> set[int]:
    """Plant the discrepancies (see the module docstring); the pairs used, by number."""
    used: set[int] = set()
    inside = lambda d: first + timedelta(days=2) <= d <= last - timedelta(days=2)  # noqa: E731

    def finding(kind: str, pair: Pair, day: date, version: str) -> None:
        plan.extra_rows.append((day, pair, version))
        result.findings.append(Planted(plan.team_id, kind, pair.key, pair.product, day))

    def midnight() -> None:
        found = _pick(plan, used, lambda p, d: inside(d))
        if found:
            pair, day = found
            version = pair.days[day]
            _drop(plan, pair, day)
            _drop(plan, pair, day + timedelta(days=1))
            plan.sessions.append(
                (pair, version, _machine(plan, pair), _at(day, time(15)),
                 _at(day + timedelta(days=1), time(1, 30)))
            )  # fmt: skip
            finding(audit.MIDNIGHT, pair, day + timedelta(days=1), version)

    def no_session() -> None:
        found = _pick(plan, used, lambda p, d: inside(d))
        if found:
            pair, day = found
            _drop(plan, pair, day)
            finding(audit.NO_SESSION, pair, day, pair.days[day])

    if number > 1:
        return used  # clean: its report is exactly its expected charges
    midnight()
    no_session()
    if number > 0:
        return used

    found = _pick(plan, used, lambda p, d: inside(d))
    if found:  # a launch closed after 3 minutes, charged all the same
        pair, day = found
        _drop(plan, pair, day)
        start = _at(day, time(16))
        plan.sessions.append((pair, pair.days[day], _machine(plan, pair), start,
                              start + timedelta(minutes=3)))  # fmt: skip
        finding(audit.SHORT_LAUNCH, pair, day, pair.days[day])

    found = _pick(plan, used, lambda p, d: inside(d) and len(p.versions) > 1)
    if found:  # another version launched inside the window, charged as well
        pair, day = found
        version = pair.days[day]
        other = next(v for v in pair.versions if v != version)
        _drop(plan, pair, day)
        start = _launch(pair, day, first)
        plan.sessions.append((pair, version, _machine(plan, pair), start,
                              start + timedelta(hours=2)))  # fmt: skip
        plan.sessions.append((pair, other, _machine(plan, pair), start + timedelta(minutes=150),
                              start + timedelta(minutes=210)))  # fmt: skip
        finding(audit.TWO_VERSIONS, pair, day, other)

    found = _pick(plan, used, lambda p, d: inside(d))
    if found:  # a named seat since before the window: one day charged anyway
        pair, day = found
        plan.seats.append((pair, first - timedelta(days=30), last + timedelta(days=330)))
        finding(audit.SUBSCRIPTION, pair, day, pair.days[day])

    found = _pick(plan, used, lambda p, d: inside(d))
    if found:  # a seat Flex honoured: nothing charged, nothing to find
        plan.seats.append((found[0], first - timedelta(days=30), last + timedelta(days=330)))

    found = _pick(plan, used, lambda p, d: inside(d))
    if found:  # the laptop opened while the workstation still runs: a compliance warning
        pair, day = found
        version = pair.days[day]
        _drop(plan, pair, day)
        start = _launch(pair, day, first)
        plan.sessions.append((pair, version, _machine(plan, pair), start,
                              start + timedelta(hours=4)))  # fmt: skip
        plan.sessions.append((pair, version, _machine(plan, pair, laptop=True),
                              start + timedelta(minutes=30), start + timedelta(minutes=90)))  # fmt: skip
        result.warnings.append(Planted(plan.team_id, TWO_MACHINES, pair.key, pair.product, day))

    # For the advisor only (charged as reported): a night launch after a day off, and a
    # day of 15 minutes.
    found = _pick(plan, used, lambda p, d: inside(d) and d - timedelta(days=1) not in p.days)
    if found:
        pair, day = found
        plan.sessions.append((pair, pair.days[day], _machine(plan, pair), _at(day, time(2)),
                              _at(day, time(2, 40))))  # fmt: skip
    found = _pick(plan, used, lambda p, d: inside(d))
    if found:
        pair, day = found
        _drop(plan, pair, day)
        start = _launch(pair, day, first)
        plan.sessions.append((pair, pair.days[day], _machine(plan, pair), start,
                              start + timedelta(minutes=15)))  # fmt: skip
    return used


def _stored_days(team_pks: list[int], first: date, last: date) -> dict[int, set[date]]:
    from usage.models import UsageRow

    days: dict[int, set[date]] = defaultdict(set)
    rows = (
        UsageRow.objects.using(MAINT)
        .filter(team__in=team_pks, day__gte=first, day__lte=last)
        .values_list("team_id", "day")
        .distinct()
    )
    for team, day in rows:
        days[team].add(day)
    return days


def _fill(plan: TeamPlan, used: set[int], days: set[date], first: date) -> None:
    """A plain working session on each day that would otherwise be left without a row:
    the usage file replaces whole days, and a day it leaves out keeps its old rows. By a
    pair no plant uses, so that nothing planted changes; the same days on every run."""
    filler = next((p for n, p in enumerate(plan.pairs) if n not in used), plan.pairs[0])
    for day in sorted(days):
        filler.days.setdefault(day, filler.versions[0])
        start = _launch(filler, day, first)
        plan.sessions.append((filler, filler.days[day], _machine(plan, filler), start,
                              start + timedelta(hours=3)))  # fmt: skip


# ------------------------------------------------------------------ reported usage


def _usage_rows(
    plan: TeamPlan, rates: RateBook, first: date, last: date
) -> list[tuple[date, Pair, str, Decimal]]:
    """What Autodesk reports: the metered charges of the sessions, and the planted ones.
    Every working day of the window keeps at least one row (the file replaces whole
    days: a day left out would keep its old rows)."""
    by_key = {(p.key, p.product_id): p for p in plan.pairs}
    sessions = [
        Session(pair.key, pair.product_id, version, machine, start, end)
        for pair, version, machine, start, end in plan.sessions
    ]
    seats = [Seat(p.key, p.product_id, start, end) for p, start, end in plan.seats]
    rows = [
        (c.day, by_key[(c.user, c.product)], c.version, c.tokens)
        for c in meter(sessions, rates, seats)
        if c.tokens > 0 and first <= c.day <= last
    ]
    for day, pair, version in plan.extra_rows:
        rows.append((day, pair, version, rates.rate(pair.product_id, day) or Decimal(0)))
    return sorted(rows, key=lambda r: (r[0], r[1].index, r[1].product, r[2]))


def _tokens(value: Decimal) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _write(folder: Path, plans: list[TeamPlan], rows_by_team: dict) -> list[tuple[str, Path]]:
    def write(name: str, header: list[str], rows) -> Path:
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    seats = [
        (plan.team_id, pair.user, pair.product, start.isoformat(), end.isoformat())
        for plan in plans
        for pair, start, end in plan.seats
    ]
    sessions = [
        (plan.team_id, pair.user, pair.product, version, machine,
         start.isoformat().replace("+00:00", "Z"), end.isoformat().replace("+00:00", "Z"))
        for plan in plans
        for pair, version, machine, start, end in sorted(plan.sessions, key=lambda s: s[3])
    ]  # fmt: skip
    usage = [
        (day.isoformat(), team_id, pair.product, version, pair.user, _tokens(tokens))
        for team_id, rows in rows_by_team.items()
        for day, pair, version, tokens in rows
    ]
    files = [("sessions", write("sessions.csv", ["team_id", "user", "product", "version",
                                                  "machine", "start", "end"], sessions))]  # fmt: skip
    if seats:
        files.insert(
            0,
            ("subscriptions", write("subscriptions.csv",
                                    ["team_id", "user", "product", "start_date", "end_date"],
                                    seats)),
        )  # fmt: skip
    files.append(
        ("usage", write("usage.csv", ["Day used", "Team", "Product", "Version", "Email",
                                      "Tokens used"], usage))
    )  # fmt: skip
    return files
