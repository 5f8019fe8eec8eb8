"""The tables of usage reporting (SPEC §9), each defined once for the page and its export.

Columns and tables are spp.tables': `field` names the attribute of a row object, `key`
is the export header (snake_case, like the Flex export) and the `sort` parameter,
`header` what the page shows. Rows are small dataclasses built from selector output by
the pure functions below, so that the figures are tested without a database. Sorting,
page display and export rows (further below) serve the advisor's tables too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from typing import Any

from flex.export import clean_value
from flex.templatetags.spp_format import iso, num, pct
from spp.tables import (
    BALANCE,
    CURRENCY,
    DAY,
    DAY_UTC,
    DAYS_USED,
    PRODUCT,
    SHARE,
    TEAM_COLUMNS,
    TEAM_ID,
    TOKENS,
    USER,
    USER_COUNT,
    USER_LABEL,
    Column,
    Table,
)
from usage import audit as audit_module
from usage import figures
from usage.audit import session_text as audit_text
from usage.ranges import DateRange
from usage.selectors import Breakdown, UserFigures

AVG_HELP = "Tokens ÷ months in the range (the past 30 days count as one month)."
DAYS_HELP = "Distinct days with usage in the range."

AVG_TOKENS = Column(
    "avg_tokens_per_month", "Avg tokens / month", "avg_month", "float", decimals=1, help=AVG_HELP
)
DAYS_USED_IN_RANGE = DAYS_USED.replace(help=DAYS_HELP)
TOKEN_BAND = Column("token_band", "Token band", "band", "text", sortable=False)
VERSION = Column("version", "Version", "version", "text")
VERSION_VALUE = VERSION.replace(field="value")  # versions as breakdown_rows() give them

DAILY = Table("daily", "Usage by day", (DAY, TOKENS, USER_COUNT), "day")
EVENTS = Table(
    "events",
    "Tokens added and removed",
    (
        Column("date", "Date", "date", "date"),
        Column("event", "Event", "kind", "text"),
        TOKENS,
        Column("detail", "Detail", "detail", "text"),
    ),
)
PRODUCTS = Table(
    "products", "Usage by product", (PRODUCT, USER_COUNT, TOKENS, AVG_TOKENS, SHARE), "-tokens"
)
PRODUCT_USERS = Table(
    "users",
    "Users of the product",
    (USER_LABEL, TOKENS, AVG_TOKENS, DAYS_USED_IN_RANGE, TOKEN_BAND),
    "-tokens",
)
BANDS = Table("bands", "Users per token band", (TOKEN_BAND, USER_COUNT.replace(sortable=False)))
VERSIONS = Table("versions", "Users by version", (VERSION_VALUE, USER_COUNT, TOKENS), "-users")
FEATURES = Table(
    "features",
    "Features used",
    (Column("feature", "Feature", "value", "text"), USER_COUNT, TOKENS),
    "-users",
)
USERS = Table(
    "users",
    "Usage by user",
    (
        USER_LABEL,
        Column("products", "Products", "product_names", "text", sortable=False),
        Column("product_count", "Products used", "product_count", "int"),
        TOKENS,
        AVG_TOKENS,
        DAYS_USED_IN_RANGE,
    ),
    "-tokens",
)
USER_PRODUCTS = Table(
    "products",
    "Products of the user",
    (PRODUCT, TOKENS, AVG_TOKENS, DAYS_USED_IN_RANGE, SHARE),
    "-tokens",
)
USER_VERSIONS = Table(
    "versions",
    "Versions used",
    (PRODUCT, VERSION_VALUE, DAYS_USED, TOKENS),
)
USER_WEEKS = Table(
    "weeks",
    "Days used per week",
    (
        Column("week", "Week of", "week", "date"),
        PRODUCT,
        DAYS_USED,
        Column("days_in_range", "Days in range", "capacity", "int"),
    ),
)
TEAMS = Column("teams", "Teams", "teams", "int")
PORTFOLIO_PRODUCTS = Table(
    "products",
    "Tokens by product",
    (PRODUCT, TEAMS, TOKENS, AVG_TOKENS, SHARE),
    "-tokens",
)
PORTFOLIO_MONTHS = Table(
    "months",
    "Tokens by month and product",
    (Column("month", "Month", "month", "date"), PRODUCT, TOKENS, TEAMS),
)
PORTFOLIO_TEAMS = Table(
    "teams",
    "Teams by burn rate",
    (
        *TEAM_COLUMNS,
        TOKENS,
        Column(
            "burn_rate",
            "Tokens / day",
            "burn_rate",
            "float",
            decimals=2,
            help="Tokens used in the range ÷ days in the range.",
        ),
        DAYS_USED_IN_RANGE.replace(field="days_used"),
        BALANCE,
        Column("flex_balance_rate", "Balance %", "balance_rate", "rate", decimals=3),
        Column("flex_projected_end_date", "Projected end", "projected_end", "date"),
    ),
    "-burn_rate",
)
# On screen the burn-rate table leaves out what the page says elsewhere (the id, days).
PORTFOLIO_TEAMS_SCREEN = PORTFOLIO_TEAMS.without("team_id", "days_used", "flex_tokens_balance")
RAW = Table(
    "raw",
    "Usage rows",
    (
        DAY,
        TEAM_ID,
        PRODUCT,
        VERSION,
        USER,
        Column("feature", "Feature", "feature", "text"),
        TOKENS,
    ),
)


# ------------------------------------------------------------------ rows


@dataclass
class ProductRow:
    product_id: int
    product: str
    users: int
    tokens: int
    avg_month: float
    share: float | None
    days: int = 0
    teams: int = 0


@dataclass
class UserRow:
    user_key: str
    label: str
    slug: str
    tokens: int
    avg_month: float
    days: int
    product_names: str = ""
    product_count: int = 0
    band: str = ""


@dataclass
class DailyRow:
    day: date
    tokens: int
    users: int


@dataclass
class VersionRow:
    product: str
    value: str
    users: int
    tokens: int
    days: int


@dataclass
class BandRow:
    band: str
    users: int


@dataclass
class WeekRow:
    week: date
    product: str
    days: int
    capacity: int


@dataclass
class MonthRow:
    month: date
    product: str
    tokens: int
    teams: int


def product_rows(
    users: Mapping[str, UserFigures], names: Mapping[int, str], rng: DateRange
) -> list[ProductRow]:
    """Users, tokens, monthly average and share of the team's tokens, per product."""
    per_product: dict[int, list[int]] = {}
    for user in users.values():
        for product_id, use in user.products.items():
            entry = per_product.setdefault(product_id, [0, 0])
            entry[0] += 1
            entry[1] += use.tokens
    total = sum(tokens for _, tokens in per_product.values())
    return [
        _product_row(product_id, names, rng, tokens, total, users=count)
        for product_id, (count, tokens) in per_product.items()
    ]


def _product_row(
    product_id: int,
    names: Mapping[int, str],
    rng: DateRange,
    tokens: int,
    total: int,
    *,
    users: int = 0,
    days: int = 0,
    teams: int = 0,
) -> ProductRow:
    """A product's tokens with their monthly average over the range and their share of
    `total` (the team's, the user's or the portfolio's tokens)."""
    return ProductRow(
        product_id=product_id,
        product=names.get(product_id, "?"),
        users=users,
        tokens=tokens,
        avg_month=figures.monthly_average(tokens, rng.months),
        share=figures.share(tokens, total),
        days=days,
        teams=teams,
    )


def user_rows(
    users: Mapping[str, UserFigures], names: Mapping[int, str], rng: DateRange
) -> list[UserRow]:
    """Per user: tokens, monthly average, days used, the products used (by tokens)."""
    rows = []
    for user in users.values():
        products = sorted(
            user.products.values(), key=lambda p: (-p.tokens, names.get(p.product_id, ""))
        )
        rows.append(
            UserRow(
                user_key=user.user_key,
                label=user.label,
                slug=figures.label_slug(user.label),
                tokens=user.tokens,
                avg_month=figures.monthly_average(user.tokens, rng.months),
                days=user.days,
                product_names=", ".join(names.get(p.product_id, "?") for p in products),
                product_count=len(products),
                band=figures.BANDS[figures.band_index(user.tokens)][0],
            )
        )
    return rows


def band_rows(users: Iterable[UserFigures]) -> list[BandRow]:
    return [BandRow(label, count) for label, count in figures.band_counts(u.tokens for u in users)]


def breakdown_rows(items: Iterable[Breakdown], names: Mapping[int, str]) -> list[VersionRow]:
    """Versions or features; an empty value (the feed did not say) reads "(not reported)"."""
    return [
        VersionRow(
            names.get(b.product_id, "?"), b.value or "(not reported)", b.users, b.tokens, b.days
        )
        for b in items
    ]


def user_product_rows(
    user: UserFigures, names: Mapping[int, str], rng: DateRange
) -> list[ProductRow]:
    return [
        _product_row(p.product_id, names, rng, p.tokens, user.tokens, users=1, days=p.days)
        for p in user.products.values()
    ]


def week_rows(grid: figures.WeekGrid) -> list[WeekRow]:
    return [
        WeekRow(week, product, cells[i], grid.capacity[i])
        for product, cells in grid.rows
        for i, week in enumerate(grid.weeks)
    ]


def portfolio_product_rows(
    months: Iterable[tuple[int, date, int, int]],
    teams: Mapping[int, int],
    names: Mapping[int, str],
    rng: DateRange,
) -> list[ProductRow]:
    tokens: dict[int, int] = {}
    for product_id, _, amount, _ in months:
        tokens[product_id] = tokens.get(product_id, 0) + amount
    total = sum(tokens.values())
    return [
        _product_row(product_id, names, rng, amount, total, teams=teams.get(product_id, 0))
        for product_id, amount in tokens.items()
    ]


def month_rows(
    months: Iterable[tuple[int, date, int, int]], names: Mapping[int, str]
) -> list[MonthRow]:
    rows = [
        MonthRow(month if isinstance(month, date) else month.date(), names.get(p, "?"), t, n)
        for p, month, t, n in months
    ]
    return sorted(rows, key=lambda r: (r.month, -r.tokens, r.product))


# ------------------------------------------------------------------ sorting and display


def sort_rows(rows: list, table: Table, sort: str | None) -> tuple[list, str]:
    """Rows sorted by `sort` ("tokens", "-tokens"); unknown keys fall back to the table's
    default. Ties keep the first column's order so that a sort is stable across requests."""
    wanted = sort or table.default_sort
    column = table.column(wanted.lstrip("-"))
    if column is None or not column.sortable:
        wanted = table.default_sort
        column = table.column(wanted.lstrip("-"))
    if column is None:
        return rows, ""
    descending = wanted.startswith("-")
    first = table.columns[0].field
    rows = sorted(rows, key=lambda r: _sortable(getattr(r, first)))
    present = [r for r in rows if getattr(r, column.field) is not None]
    missing = [r for r in rows if getattr(r, column.field) is None]
    present.sort(key=lambda r: _sortable(getattr(r, column.field)), reverse=descending)
    return present + missing, wanted


def _sortable(value: Any) -> Any:
    return figures.sort_label(value) if isinstance(value, str) else value


FORMATTERS: dict[str, Callable[[Column, Any], str]] = {
    "int": lambda c, v: num(v),
    "float": lambda c, v: num(v, min(c.decimals, 1)),
    "rate": lambda c, v: pct(v),
    "date": lambda c, v: iso(v),
    "text": lambda c, v: "—" if v in (None, "") else str(v),
}


def display(column: Column, value: Any) -> str:
    """A value as the page shows it: thousands separators, ISO dates, one-decimal %."""
    return FORMATTERS[column.type](column, value)


def export_rows(rows: Iterable[Any], columns: Sequence[Column]) -> list[tuple]:
    """Rows as export tuples, in column order, cleaned as the Flex export cleans them."""
    return [tuple(clean_value(c, getattr(row, c.field)) for c in columns) for row in rows]


# ------------------------------------------------------------------ audit (SPEC §11)

TOKENS_HELP = "Tokens the sessions do not explain."
AUDIT_EVIDENCE = Table(
    "evidence",
    "Audit evidence",
    (
        DAY_UTC,
        USER,
        PRODUCT,
        VERSION,
        Column("tokens_reported", "Reported", "tokens", "float", decimals=2),
        Column("tokens_expected", "Expected", "expected", "float", decimals=2),
        Column("tokens_at_stake", "At stake", "at_stake", "float", decimals=2, help=TOKENS_HELP),
        Column("value_at_stake", "Value", "value", "float", decimals=2),
        CURRENCY,
        Column("verdict", "Verdict", "verdict", "text"),
        Column("explanation", "Why", "explanation", "text"),
        Column("sessions", "Sessions that day", "sessions", "text"),
        Column("expected_windows", "Expected windows", "windows", "text"),
    ),
)
AUDIT_FINDINGS = AUDIT_EVIDENCE.without(
    "tokens_expected", "currency", name="findings", title="Audit findings"
)
AUDIT_CAUSES = Table(
    "causes",
    "Findings by cause",
    (
        Column("cause", "Cause", "label", "text"),
        Column("charges", "Charges", "charges", "int"),
        Column("tokens_at_stake", "Tokens at stake", "tokens", "float", decimals=2),
        Column("value_at_stake", "Value", "value", "float", decimals=2),
    ),
)
AUDIT_WARNINGS = Table(
    "warnings",
    "Two machines at once",
    (
        DAY_UTC,
        USER,
        PRODUCT,
        Column("machines", "Machines", "machines", "text"),
        Column("overlap", "Both open", "span", "text"),
        Column("minutes", "Minutes", "minutes", "int"),
        Column("sessions", "Sessions", "sessions", "text"),
    ),
)


@dataclass
class EvidenceRow:
    day: date
    user: str
    product: str
    version: str
    tokens: float
    expected: float
    at_stake: float
    value: float | None
    currency: str
    verdict: str
    cause: str
    explanation: str
    sessions: str
    windows: str
    session_lines: list[str]


@dataclass
class CauseRow:
    cause: str
    label: str
    explanation: str
    charges: int
    tokens: float
    value: float | None


@dataclass
class WarningRow:
    day: date
    user: str
    product: str
    machines: str
    span: str
    minutes: int
    sessions: str
    session_lines: list[str]


def _value(tokens: float, price: Decimal | None) -> float | None:
    return None if price is None else float(Decimal(str(tokens)) * price)


def _sessions(items, machines: Mapping[str, str]) -> list[str]:
    return [audit_text(s, machines.get(s.machine, "")) for s in items]


def evidence_rows(
    result: audit_module.AuditResult,
    labels: Mapping[str, str],
    machines: Mapping[str, str],
    names: Mapping[int, str],
    price: Decimal | None,
    currency: str,
) -> list[EvidenceRow]:
    """One row per reported charge of the audit, with the sessions of that user, product
    and day, and the windows the metering expected."""
    rows = []
    for verdict in result.verdicts:
        reported = verdict.reported
        lines = _sessions(verdict.sessions, machines)
        windows = [
            f"{c.opens.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {c.version or 'no version'}, "
            f"{float(c.tokens):g} tokens" + (" (named-user seat)" if c.seat else "")
            for c in verdict.charges
        ]
        at_stake = float(verdict.at_stake)
        rows.append(
            EvidenceRow(
                day=reported.day,
                user=labels.get(reported.user, figures.ANONYMOUS),
                product=names.get(reported.product, "?"),
                version=reported.version,
                tokens=float(reported.tokens),
                expected=float(verdict.expected_tokens),
                at_stake=at_stake,
                value=_value(at_stake, price),
                currency=currency,
                verdict=verdict.label,
                cause=verdict.status,
                explanation=verdict.explanation,
                sessions="; ".join(lines) or "none",
                windows="; ".join(windows) or "none",
                session_lines=lines,
            )
        )
    return rows


def cause_rows(result: audit_module.AuditResult, price: Decimal | None) -> list[CauseRow]:
    return [
        CauseRow(
            total.cause,
            total.label,
            audit_module.CAUSES[total.cause][1],
            total.charges,
            float(total.tokens),
            _value(float(total.tokens), price),
        )
        for total in result.by_cause()
    ]


def warning_rows(
    result: audit_module.AuditResult,
    labels: Mapping[str, str],
    machines: Mapping[str, str],
    names: Mapping[int, str],
) -> list[WarningRow]:
    rows = []
    for overlap in result.warnings:
        start, end = overlap.start.astimezone(UTC), overlap.end.astimezone(UTC)
        lines = _sessions(overlap.sessions, machines)
        rows.append(
            WarningRow(
                day=overlap.day,
                user=labels.get(overlap.user, figures.ANONYMOUS),
                product=names.get(overlap.product, "?"),
                machines=" and ".join(machines.get(m, m) for m in overlap.machines),
                span=f"{start:%H:%M}–{end:%H:%M} UTC"
                if start.date() == end.date()
                else f"{start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M} UTC",
                minutes=round(overlap.duration.total_seconds() / 60),
                sessions="; ".join(lines),
                session_lines=lines,
            )
        )
    return rows
