"""Reads of usage reporting (SPEC §9) for the current partner, under row-level security.

Every page runs a fixed number of queries whatever the data size, each aggregated in
PostgreSQL:
- totals and charts from the daily roll-ups (UsageDaily, UsageDailyProduct);
- per-user, per-version and per-feature figures from UsageMonthlyUser for the calendar
  months a range covers in full, and from UsageRow for the (at most two) months it cuts,
  in one UNION ALL. Days used are day bit masks per month: OR-ed across products and
  versions, then counted, so a day is never counted twice;
- the portfolio, which sums every team of the partner, the same way one level up: the
  monthly product roll-up (UsageMonthlyProduct) for full months, the daily product
  roll-up for cut ones.

Teams are reached through Team.objects (linked to the partner) by the views; the
queries below also run as spp_app, whose RLS shows only linked teams' rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db import connections
from django.db.models import QuerySet

from flex.models import FlexSnapshot
from spp.tenancy import current_partner
from teams import selectors as team_selectors
from teams.models import Team
from usage import audit, figures, metering
from usage.imports.pseudonym import anonymous_key
from usage.models import (
    NamedUserSubscription,
    Product,
    ProductRate,
    SessionLog,
    UsageDaily,
    UsageDailyProduct,
    UsageMonthlyUser,
    UsageRow,
)
from usage.ranges import DateRange, split_months

CHANGE_DAYS = 7  # tokens added and removed: D−6 … D
MONTHLY = "usage_usagemonthlyuser"
MONTHLY_PRODUCT = "usage_usagemonthlyproduct"
DAILY_PRODUCT = "usage_usagedailyproduct"
DAILY = "usage_usagedaily"
RAW = "usage_usagerow"


# ------------------------------------------------------------------ helpers


def _fetch(sql: str, params: list) -> list[tuple]:
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _source(
    team: Team,
    rng: DateRange,
    *,
    product_id: int | None = None,
    user_key: str | None = None,
    columns: str = "user_key, product_id, version, feature",
) -> tuple[str, list]:
    """SQL of the range's usage as (columns…, month, days, tokens) rows: monthly roll-up
    rows for the months covered in full, raw rows (one day bit each) for the cut ones."""
    filters, filter_params = "", []
    if product_id is not None:
        filters += " AND product_id = %s"
        filter_params.append(product_id)
    if user_key is not None:
        filters += " AND user_key = %s"
        filter_params.append(user_key)
    full, spans = split_months(rng.start, rng.end)
    parts, params = [], []
    if full:
        parts.append(
            f"SELECT {columns}, month, days, tokens FROM {MONTHLY} "  # noqa: S608 — fixed names
            f"WHERE team_id = %s AND month BETWEEN %s AND %s{filters}"
        )
        params += [team.pk, full[0], full[1], *filter_params]
    for first, last in spans:
        parts.append(
            f"SELECT {columns}, date_trunc('month', day)::date AS month, "  # noqa: S608
            "1 << (extract(day FROM day)::int - 1) AS days, tokens::bigint AS tokens "
            f"FROM {RAW} WHERE team_id = %s AND day BETWEEN %s AND %s{filters}"
        )
        params += [team.pk, first, last, *filter_params]
    return " UNION ALL ".join(parts), params


def product_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(Product.objects.filter(pk__in=ids).values_list("pk", "name"))


# ------------------------------------------------------------------ users and labels


def team_labels(team: Team) -> dict[str, str]:
    """Every user of the team (all time) -> its pseudonymous label; one query."""
    keys = (
        UsageMonthlyUser.objects.filter(team=team)
        .order_by()
        .values_list("user_key", flat=True)
        .distinct()
    )
    return figures.user_labels(team.team_id, list(keys), anonymous_key())


@dataclass
class UserProduct:
    user_key: str
    product_id: int
    tokens: int
    days: int


@dataclass
class UserFigures:
    """One user over a range: tokens, distinct days used, and per product."""

    user_key: str
    label: str = ""
    tokens: int = 0
    days: int = 0
    products: dict[int, UserProduct] = field(default_factory=dict)


def user_figures(
    team: Team,
    rng: DateRange,
    labels: dict[str, str],
    *,
    product_id: int | None = None,
    user_key: str | None = None,
) -> dict[str, UserFigures]:
    """user_key -> figures over the range (one query). Per user, days are the distinct
    days with any usage (of the product, when one is given)."""
    source, params = _source(team, rng, product_id=product_id, user_key=user_key)
    sql = f"""
        WITH src AS ({source}),
        per_month AS (
            SELECT user_key, product_id, month, sum(tokens) AS tokens, bit_or(days) AS days
            FROM src
            GROUP BY GROUPING SETS ((user_key, product_id, month), (user_key, month))
        )
        SELECT user_key, product_id, sum(tokens)::bigint, sum(bit_count(days::bit(32)))::int
        FROM per_month GROUP BY user_key, product_id
    """  # noqa: S608 — fixed table names, values as parameters
    result: dict[str, UserFigures] = {}
    for key, product, tokens, days in _fetch(sql, params):
        user = result.setdefault(key, UserFigures(key, labels.get(key, figures.ANONYMOUS)))
        if product is None:  # the user's row of the grouping set: tokens and distinct days
            user.tokens, user.days = int(tokens), int(days)
        else:
            user.products[product] = UserProduct(key, product, int(tokens), int(days))
    return result


@dataclass(frozen=True)
class Breakdown:
    """Usage of one value of a column (a version, a feature) of one product."""

    product_id: int
    value: str
    users: int
    tokens: int
    days: int  # Σ over users of the days each used it (for one user: its days used)


def breakdown(
    team: Team,
    rng: DateRange,
    column: str,
    *,
    product_id: int | None = None,
    user_key: str | None = None,
) -> list[Breakdown]:
    """Users, tokens and days per product and version (or feature); one query."""
    if column not in ("version", "feature"):
        raise ValueError(column)
    source, params = _source(
        team,
        rng,
        product_id=product_id,
        user_key=user_key,
        columns=f"user_key, product_id, {column}",
    )
    sql = f"""
        WITH src AS ({source}),
        per_month AS (
            SELECT user_key, product_id, {column} AS value, month,
                   sum(tokens) AS tokens, bit_or(days) AS days
            FROM src GROUP BY user_key, product_id, {column}, month
        )
        SELECT product_id, value, count(DISTINCT user_key), sum(tokens)::bigint,
               sum(bit_count(days::bit(32)))::int
        FROM per_month GROUP BY product_id, value
    """  # noqa: S608 — column from a fixed list
    return [
        Breakdown(product, value, users, int(tokens), int(days))
        for product, value, users, tokens, days in _fetch(sql, params)
    ]


def days_by_product(team: Team, rng: DateRange, user_key: str) -> dict[int, list[date]]:
    """The days of the range on which the user used each product (one query)."""
    source, params = _source(team, rng, user_key=user_key, columns="product_id")
    sql = f"""
        WITH src AS ({source})
        SELECT product_id, month, bit_or(days) FROM src GROUP BY product_id, month
    """  # noqa: S608
    result: dict[int, list[date]] = defaultdict(list)
    for product, month, mask in _fetch(sql, params):
        for bit in range(31):
            if mask & (1 << bit):
                day = month + timedelta(days=bit)
                if day in rng:
                    result[product].append(day)
    return result


# ------------------------------------------------------------------ roll-up reads


def daily_series(team: Team, start: date, end: date) -> list[tuple[date, int]]:
    """Tokens each day of [start, end], zero on days without usage (one query)."""
    used = dict(
        UsageDaily.objects.filter(team=team, day__gte=start, day__lte=end).values_list(
            "day", "tokens"
        )
    )
    return [
        (start + timedelta(days=i), int(used.get(start + timedelta(days=i), 0)))
        for i in range((end - start).days + 1)
    ]


def daily_rows(team: Team, rng: DateRange) -> list[tuple[date, int, int]]:
    """(day, tokens, users) of every day of the range with usage (one query)."""
    return [
        (day, int(tokens), int(users))
        for day, tokens, users in UsageDaily.objects.filter(
            team=team, day__gte=rng.start, day__lte=rng.end
        )
        .order_by("day")
        .values_list("day", "tokens", "users")
    ]


def product_daily(team: Team, rng: DateRange, product_id: int) -> list[tuple[date, int]]:
    used = dict(
        UsageDailyProduct.objects.filter(
            team=team, product_id=product_id, day__gte=rng.start, day__lte=rng.end
        ).values_list("day", "tokens")
    )
    return [
        (rng.start + timedelta(days=i), int(used.get(rng.start + timedelta(days=i), 0)))
        for i in range(rng.days)
    ]


def team_has_product(team: Team, product_id: int) -> bool:
    return UsageDailyProduct.objects.filter(team=team, product_id=product_id).exists()


def snapshot(team: Team) -> FlexSnapshot | None:
    return FlexSnapshot.objects.filter(team=team).order_by("-as_of").first()


def snapshot_on(team: Team, as_of: date) -> FlexSnapshot | None:
    return FlexSnapshot.objects.filter(team=team, as_of=as_of).first()


# ------------------------------------------------------------------ token changes


@dataclass(frozen=True)
class Change:
    date: date
    kind: str
    tokens: int | None
    detail: str


def token_changes(team: Team, today: date, snapshot) -> list[Change]:
    """Tokens added and removed over D−6 … D (SPEC §9): the partner's own purchases,
    moves, merges and adjustments as on the Balances tab; other suppliers' purchases only
    as the net change of the team's additional tokens over the week (from the Flex
    figures of D−7, when they were kept), never one by one."""
    start = today - timedelta(days=CHANGE_DAYS - 1)
    packs = team_selectors.own_packs(team)
    events = team_selectors.token_events(team)
    changes = [
        Change(e.date, e.kind, e.tokens, e.detail)
        for e in team_selectors.token_timeline(team, packs, events, today)
        if start <= e.date <= today and e.kind != "Expired"
    ]
    if snapshot is not None:
        before = snapshot_on(team, snapshot.as_of - timedelta(days=CHANGE_DAYS))
        if before is not None:
            delta = snapshot.flex_additional_tokens - before.flex_additional_tokens
            if delta:
                changes.append(
                    Change(
                        snapshot.as_of,
                        "Other suppliers",
                        delta,
                        f"net change of additional tokens since {before.as_of.isoformat()}",
                    )
                )
    return sorted(changes, key=lambda c: c.date, reverse=True)


# ------------------------------------------------------------------ portfolio


def _portfolio_source(rng: DateRange, *, per_product: bool = True) -> tuple[str, list]:
    """SQL of the range's usage over the partner's teams as (team_id, product_id, month,
    days, tokens) rows: the monthly product roll-up for the months covered in full, a
    daily roll-up (a day bit per row) for the months the range cuts. A year of a
    partner's teams is then 12 rows per team and product instead of 365. Without
    `per_product` the cut months come from the team-level daily roll-up (product_id
    NULL): a row per team and day, read from its covering index."""
    teams = "team_id IN (SELECT l.team_id FROM teams_teamlink l WHERE l.partner_id = %s)"
    partner = current_partner().pk
    full, spans = split_months(rng.start, rng.end)
    parts, params = [], []
    if full:
        parts.append(
            f"SELECT team_id, product_id, month, days, tokens FROM {MONTHLY_PRODUCT} "  # noqa: S608
            f"WHERE {teams} AND month BETWEEN %s AND %s"
        )
        params += [partner, full[0], full[1]]
    product, daily = ("product_id", DAILY_PRODUCT) if per_product else ("NULL", DAILY)
    for first, last in spans:
        parts.append(
            f"SELECT team_id, {product}, date_trunc('month', day)::date AS month, "  # noqa: S608
            "CASE WHEN tokens > 0 THEN 1 << (extract(day FROM day)::int - 1) ELSE 0 END AS days, "
            f"tokens FROM {daily} WHERE {teams} AND day BETWEEN %s AND %s"
        )
        params += [partner, first, last]
    return " UNION ALL ".join(parts), params


def portfolio_products(rng: DateRange) -> tuple[list[tuple[int, date, int, int]], dict[int, int]]:
    """(product id, month, tokens, teams) over the partner's teams in the range, and
    product id -> teams that used it in the whole range; one query (two grouping sets)."""
    source, params = _portfolio_source(rng)
    rows = _fetch(
        "SELECT product_id, month, sum(tokens)::bigint, count(DISTINCT team_id), "  # noqa: S608
        f"grouping(month) FROM ({source}) s "
        "GROUP BY GROUPING SETS ((product_id, month), (product_id))",
        params,
    )
    months = [(p, m, int(t), int(n)) for p, m, t, n, whole in rows if not whole]
    teams = {p: int(n) for p, _, _, n, whole in rows if whole}
    return months, teams


@dataclass(frozen=True)
class TeamBurn:
    team_id: str
    name: str
    customer: str
    tokens: int
    days_used: int
    burn_rate: float  # tokens per day of the range
    balance: int | None
    balance_rate: float | None
    projected_end: date | None


def portfolio_teams(rng: DateRange, limit: int | None = None) -> tuple[list[TeamBurn], int]:
    """The partner's teams with usage in the range, highest burn rate (tokens per day of
    the range) first, with the partner's latest Flex figures of each, and how many teams
    used tokens in the range (before the limit); one query."""
    source, params = _portfolio_source(rng, per_product=False)
    partner = current_partner().pk
    rows = _fetch(
        f"""
        WITH per_month AS (
            SELECT team_id, month, sum(tokens) AS tokens, bit_or(days) AS days
            FROM ({source}) s GROUP BY team_id, month
        ), burn AS (
            SELECT team_id, sum(tokens)::bigint AS tokens,
                   sum(bit_count(days::bit(32)))::int AS days
            FROM per_month GROUP BY team_id HAVING sum(tokens) > 0
        )
        SELECT t.team_id, t.name, a.name, b.tokens, b.days, f.flex_tokens_balance,
               f.flex_balance_rate, f.flex_projected_end_date, count(*) OVER ()
        FROM burn b
        JOIN teams_team t ON t.id = b.team_id
        JOIN teams_account a ON a.id = t.account_id
        LEFT JOIN LATERAL (
            SELECT flex_tokens_balance, flex_balance_rate, flex_projected_end_date
            FROM flex_flexsnapshot f
            WHERE f.team_id = t.id AND f.partner_id = %s
            ORDER BY f.as_of DESC LIMIT 1
        ) f ON true
        ORDER BY b.tokens DESC, t.name
        LIMIT %s
        """,  # noqa: S608 — fixed table names
        [*params, partner, limit],
    )
    teams = [
        TeamBurn(
            team_id=tid,
            name=name,
            customer=customer,
            tokens=int(tokens),
            days_used=int(days),
            burn_rate=int(tokens) / rng.days,
            balance=balance,
            balance_rate=rate,
            projected_end=end,
        )
        for tid, name, customer, tokens, days, balance, rate, end, _ in rows
    ]
    return teams, (rows[0][-1] if rows else 0)


# ------------------------------------------------------------------ raw export


RAW_FIELDS = ("day", "product__name", "version", "user_key", "feature", "tokens")


def raw_rows(team: Team, rng: DateRange) -> QuerySet:
    """The imported rows of the range, in day, product, user order."""
    return (
        UsageRow.objects.filter(team=team, day__gte=rng.start, day__lte=rng.end)
        .order_by("day", "product__name", "user_key", "version", "feature", "pk")
        .values_list(*RAW_FIELDS)
    )


def raw_count(team: Team, rng: DateRange) -> int:
    return UsageRow.objects.filter(team=team, day__gte=rng.start, day__lte=rng.end).count()


# ------------------------------------------------------------------ sessions and the audit


# Sessions read before the period: a window opened before its first day covers that day's
# use, and continuous use chains windows; a week is far more than any chain in practice.
SESSION_MARGIN = timedelta(days=7)


def rate_book() -> metering.RateBook:
    """The whole catalog's daily rates (a few rows per product; one query)."""
    return metering.RateBook(
        ProductRate.objects.values_list("product_id", "effective_from", "tokens_per_day")
    )


def team_sessions(team: Team, first: date, last: date) -> list[metering.Session]:
    """The team's sessions with use between first − SESSION_MARGIN and last (UTC days)."""
    since = datetime.combine(first - SESSION_MARGIN, time(0), tzinfo=UTC)
    until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
    rows = (
        SessionLog.objects.filter(team=team, start__lt=until, end__gte=since)
        .order_by("start", "pk")
        .values_list("pk", "user_key", "product_id", "version", "machine_key", "start", "end")
    )
    return [
        metering.Session(user, product, version, machine, start, end, pk)
        for pk, user, product, version, machine, start, end in rows
    ]


def team_seats(team: Team, first: date, last: date) -> list[metering.Seat]:
    rows = NamedUserSubscription.objects.filter(
        team=team, start_date__lte=last, end_date__gte=first - SESSION_MARGIN
    ).values_list("user_key", "product_id", "start_date", "end_date")
    return [metering.Seat(user, product, start, end) for user, product, start, end in rows]


def reported_charges(team: Team, first: date, last: date) -> list[audit.Reported]:
    """The usage rows of [first, last] as reported charges (one query)."""
    rows = (
        UsageRow.objects.filter(team=team, day__gte=first, day__lte=last)
        .order_by("day", "product_id", "user_key", "version", "pk")
        .values_list("pk", "user_key", "product_id", "day", "version", "tokens")
    )
    return [
        audit.Reported(user, product, day, version, tokens, pk)
        for pk, user, product, day, version, tokens in rows
    ]


def has_sessions(team: Team) -> bool:
    return SessionLog.objects.filter(team=team).exists()


def session_coverage(sessions: list[metering.Session], rng: DateRange) -> tuple[date, date] | None:
    """The days of the range between the first and the last logged use: the days the
    session logs can speak for (None when no session falls in the range)."""
    start, end = metering.day_bounds(rng.start)[0], metering.day_bounds(rng.end)[1]
    inside = [s for s in sessions if s.overlaps(start, end)]
    if not inside:
        return None
    first = max(rng.start, min(metering.utc_day(s.start) for s in inside))
    last = min(rng.end, max(metering.utc_day(s.end) for s in inside))
    return first, last


@dataclass
class TeamAudit:
    """The audit of a team over a range, and what the page needs to show it."""

    coverage: tuple[date, date] | None
    result: audit.AuditResult | None  # None without session logs in the range
    reported_outside: int  # reported charges of the range outside the logged days
    labels: dict[str, str]  # user key -> label (usage users and session-only users)
    machines: dict[str, str]  # machine key -> label


def team_audit(team: Team, rng: DateRange, labels: dict[str, str]) -> TeamAudit:
    """Expected charges against reported usage over the range (five queries)."""
    sessions = team_sessions(team, rng.start, rng.end)
    coverage = session_coverage(sessions, rng)
    labels = with_session_labels(team, labels, sessions)
    machines = machine_labels(team, {s.machine for s in sessions})
    if coverage is None:
        outside = UsageRow.objects.filter(team=team, day__gte=rng.start, day__lte=rng.end)
        return TeamAudit(None, None, outside.count(), labels, machines)
    first, last = coverage
    reported = reported_charges(team, rng.start, rng.end)
    inside = [r for r in reported if first <= r.day <= last]
    result = audit.audit(
        inside,
        sessions,
        rate_book(),
        team_seats(team, first, last),
        start=first,
        end=last,
    )
    return TeamAudit(coverage, result, len(reported) - len(inside), labels, machines)


def with_session_labels(
    team: Team, labels: dict[str, str], sessions: list[metering.Session]
) -> dict[str, str]:
    """The usage pages' labels, plus labels for users seen only in the session logs."""
    missing = {s.user for s in sessions} - set(labels)
    if not missing:
        return labels
    everyone = figures.user_labels(team.team_id, set(labels) | missing, anonymous_key())
    return {**labels, **{key: everyone[key] for key in missing}}


def machine_labels(team: Team, keys) -> dict[str, str]:
    """machine key -> "Machine 3F2A": pseudonymous like users, and distinct from them."""
    labels = figures.user_labels(team.team_id + ":machines", keys)
    return {
        key: "Machine " + label.removeprefix(figures.LABEL_PREFIX) for key, label in labels.items()
    }
