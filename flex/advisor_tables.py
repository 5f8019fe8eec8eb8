"""The Flex advisor's tables (SPEC §10), each defined once for the page and its export.

Columns and tables are spp.tables' (key = the export header), sorted, shown and exported
by usage.tables' functions; rows are small dataclasses built from flex.advisor's figures
by the functions below (plain data, no database).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flex import advisor as adv
from spp.tables import (
    BALANCE,
    CURRENCY,
    DAY_UTC,
    DAYS_USED,
    PRODUCT,
    SHARE,
    TEAM_COLUMNS,
    TOKENS,
    USER,
    USER_COUNT,
    USER_LABEL,
    Column,
    Table,
)

AVG_DAYS_HELP = "Days used ÷ months in the range."
BREAK_EVEN_HELP = (
    "(Named-user price ÷ 12) ÷ (daily rate × token price): above it, a seat is cheaper."
)

SEGMENT = Column("segment", "Segment", "segment", "text", help=adv.SEGMENT_HELP)
AVG_DAYS = Column(
    "avg_days_per_month", "Days / month", "avg_days", "float", decimals=2, help=AVG_DAYS_HELP
)
SAVING = Column("yearly_saving", "Saving / year", "saving", "float", decimals=2)

SEATS = Table(
    "seats",
    "Named user vs Flex",
    (
        USER_LABEL,
        PRODUCT,
        SEGMENT,
        TOKENS,
        DAYS_USED,
        AVG_DAYS,
        Column("break_even_days_per_month", "Break-even days / month", "break_even", "float",
               decimals=2, help=BREAK_EVEN_HELP),
        Column("flex_cost_per_year", "Flex / year", "flex_year", "float", decimals=2),
        Column("named_user_cost_per_year", "Named seat / year", "named_year", "float",
               decimals=2),
        SAVING,
        CURRENCY,
        Column("recommendation", "Best", "recommendation", "text"),
        Column("note", "Note", "note", "text", sortable=False),
    ),
    "-yearly_saving",
)  # fmt: skip
USERS = Table(
    "users",
    "Users by segment",
    (USER_LABEL, SEGMENT, DAYS_USED, AVG_DAYS.replace(decimals=1), TOKENS),
    "-avg_days_per_month",
)
SEGMENTS = Table(
    "segments",
    "User segments",
    (
        Column("segment", "Segment", "label", "text", sortable=False),
        USER_COUNT.replace(sortable=False),
        Column("share_of_users", "Share of users", "share", "rate", decimals=3, sortable=False),
        TOKENS.replace(sortable=False),
    ),
)
MIX = Table("mix", "Product mix", (PRODUCT, USER_COUNT, TOKENS, SHARE), "-tokens")
SEASON = Table(
    "season",
    "Seasonality",
    (
        Column("month", "Month", "name", "text", sortable=False),
        Column("avg_tokens", "Avg tokens", "tokens", "float", decimals=1, sortable=False),
        Column("months_in_range", "Months in range", "months", "int", sortable=False),
        Column("index", "vs average month", "index", "float", decimals=2, sortable=False),
    ),
)
SESSIONS = Table(
    "sessions",
    "Short and off-hours charges",
    (
        DAY_UTC,
        USER,
        PRODUCT,
        Column("opened_local", "Opened (local)", "opened", "text"),
        Column("use_minutes", "Use in window (min)", "minutes", "int"),
        Column("tokens", "Tokens", "tokens", "float", decimals=2),
        Column("short_session", "Under 30 min", "short", "text"),
        Column("off_hours", "Off-hours", "off_hours", "text"),
    ),
)
PORTFOLIO_SAVINGS = Table(
    "savings",
    "Teams by yearly saving on named seats",
    (
        *TEAM_COLUMNS,
        Column("users_to_move", "Users to move", "users", "int"),
        Column("seats", "Seats", "seats", "int"),
        SAVING,
        CURRENCY,
    ),
    "-yearly_saving",
)
PORTFOLIO_WASTE = Table(
    "waste",
    "Teams by forecast waste",
    (
        *TEAM_COLUMNS,
        Column("forecast_expiring_unused", "Forecast waste", "waste", "int"),
        Column("waste_value", "Value", "value", "float", decimals=2),
        CURRENCY,
        BALANCE,
        Column("flex_latest_end_date", "Latest end", "latest_end", "date"),
    ),
    "-forecast_expiring_unused",
)


@dataclass
class SeatRow:
    user_key: str
    label: str
    product_id: int
    product: str
    segment: str
    tokens: int
    days: int
    avg_days: float
    break_even: float | None
    flex_year: float | None
    named_year: float | None
    saving: float | None
    currency: str
    recommendation: str
    note: str
    cheaper: bool


@dataclass
class UserRow:
    user_key: str
    label: str
    segment: str
    days: int
    avg_days: float
    tokens: int


@dataclass
class MixTableRow:
    product_id: int
    product: str
    users: int
    tokens: int
    share: float | None


@dataclass
class SessionRow:
    day: date
    user: str
    product: str
    opened: str
    minutes: int
    tokens: float
    short: str
    off_hours: str


def _float(value) -> float | None:
    return None if value is None else float(value)


def seat_rows(
    advice: Iterable[adv.SeatAdvice], segments: Mapping[str, str], names: Mapping[int, str]
) -> list[SeatRow]:
    return [
        SeatRow(
            user_key=a.user,
            label=a.label,
            product_id=a.product,
            product=names.get(a.product, "?"),
            segment=adv.segment_label(segments.get(a.user, "rare")),
            tokens=a.tokens,
            days=a.days,
            avg_days=a.avg_days,
            break_even=a.break_even_days,
            flex_year=_float(a.flex_cost_year),
            named_year=_float(a.named_cost_year),
            saving=_float(a.saving_year),
            currency=a.currency,
            recommendation=a.recommendation,
            note=a.note,
            cheaper=a.cheaper_on_named,
        )
        for a in advice
    ]


def user_rows(segments: Iterable[adv.UserSegment]) -> list[UserRow]:
    return [
        UserRow(s.user, s.label, adv.segment_label(s.segment), s.days, s.avg_days, s.tokens)
        for s in segments
    ]


def mix_rows(mix: Iterable[adv.MixRow], names: Mapping[int, str]) -> list[MixTableRow]:
    return [
        MixTableRow(m.product, names.get(m.product, "?"), m.users, m.tokens, m.share) for m in mix
    ]


def _local(moment: datetime) -> str:
    return f"{moment:%a %Y-%m-%d %H:%M} {moment.tzname()}"


def session_rows(
    waste: adv.SessionWaste, labels: Mapping[str, str], names: Mapping[int, str]
) -> list[SessionRow]:
    return [
        SessionRow(
            day=f.charge.day,
            user=labels.get(f.charge.user, "Anonymous"),
            product=names.get(f.charge.product, "?"),
            opened=_local(f.local_open),
            minutes=round(f.use.total_seconds() / 60),
            tokens=float(f.charge.tokens),
            short="yes" if f.short else "no",
            off_hours="yes" if f.off_hours else "no",
        )
        for f in waste.flagged
    ]


# The pages' versions leave out what the page says elsewhere and show money in whole units.
PORTFOLIO_SAVINGS_SCREEN = PORTFOLIO_SAVINGS.only(
    "team_name", "users_to_move", "seats", "yearly_saving", whole=("yearly_saving",)
)
PORTFOLIO_WASTE_SCREEN = PORTFOLIO_WASTE.only(
    "team_name",
    "forecast_expiring_unused",
    "waste_value",
    "flex_latest_end_date",
    whole=("waste_value",),
)
