"""The pure figures of leads, quotes and alerts (SPEC §7, §8): no ORM, no Django.

Money is Decimal throughout; the rates come from the snapshot as floats and are turned
into Decimal through their shortest repr, so that 11.43 is 11.43 and not
11.4299999999999997157829056959599256515502929687500.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.0001")
RATE_PLACES = Decimal("0.000001")  # float noise lives far below this; real rates do not
QUANTITY_STEP = 100
DAYS_PER_YEAR = 365
MINUS = "\u2212"  # the typographic minus of SPEC §7's "2026-03-09 (−1)"


def _decimal(value: float | int | Decimal | None) -> Decimal:
    if value is None:
        return Decimal("0")
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


# ---------------------------------------------------------------- SPEC §7: leads


def annual_quantity(rate_30: float | None, rate_180: float | None) -> int:
    """max(rate_30, rate_180) × 365, rounded up to a multiple of 100 (11.43, 6.66 → 4,200).

    The product is rounded to 6 decimals before the ceiling: 20.000000000000004 × 365
    must stay 7,300, not become 7,400.
    """
    rate = max(_decimal(rate_30), _decimal(rate_180))
    if rate <= 0:
        return 0
    yearly = (rate * DAYS_PER_YEAR).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    steps = (yearly / QUANTITY_STEP).to_integral_value(rounding=ROUND_CEILING)
    return int(steps) * QUANTITY_STEP


def lead_value(quantity: int, unit_price: Decimal | float | int) -> Decimal:
    """Annual quantity × unit price, to the cent (4,200 × 3.00 → 12,600.00)."""
    return (Decimal(quantity) * _decimal(unit_price)).quantize(CENT, rounding=ROUND_HALF_UP)


def qualifies(
    *,
    as_of: date,
    total: int,
    balance_rate: float | None,
    projected_end: date | None,
    rate_30: float,
    rate_180: float,
    balance_threshold: float,
    days_threshold: int,
) -> bool:
    """SPEC §7: balance_rate ≤ threshold, or projected end within `days_threshold` days.

    A team whose pool is empty but that still consumed tokens recently ran dry: the
    most urgent refill of all, so it qualifies too (the SPEC's figures are undefined
    for it; closing its lead just then would be absurd).
    """
    if total <= 0:
        return (rate_30 or 0) > 0 or (rate_180 or 0) > 0
    # Rounded so that a rate of exactly 30 % (0.29999999999999998…) meets a 30 % threshold.
    if balance_rate is not None and round(balance_rate, 9) <= round(balance_threshold, 9):
        return True
    return projected_end is not None and projected_end <= as_of + timedelta(days=days_threshold)


def signed_days(end: date | None, today: date) -> int | None:
    """Days from `today` to `end`, negative when past."""
    return None if end is None else (end - today).days


def end_date_label(end: date | None, today: date) -> str:
    """SPEC §7's END DATE: "2026-03-09 (−1)", "2026-03-10 (0)", "2026-05-31 (+82)"."""
    if end is None:
        return "—"
    days = (end - today).days
    distance = f"+{days}" if days > 0 else (str(days) if days == 0 else f"{MINUS}{-days}")
    return f"{end.isoformat()} ({distance})"


# ---------------------------------------------------------------- SPEC §8: quotes


@dataclass(frozen=True)
class Line:
    tokens: int
    unit_price: Decimal
    discount_pct: Decimal = Decimal("0")

    @property
    def gross(self) -> Decimal:
        return (Decimal(self.tokens) * self.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def net(self) -> Decimal:
        """Tokens × unit price × (1 − discount), rounded once, to the cent."""
        factor = (Decimal(100) - self.discount_pct) / Decimal(100)
        return (Decimal(self.tokens) * self.unit_price * factor).quantize(
            CENT, rounding=ROUND_HALF_UP
        )


@dataclass(frozen=True)
class Totals:
    tokens: int
    gross: Decimal
    net: Decimal

    @property
    def discount(self) -> Decimal:
        return self.gross - self.net

    @property
    def average_unit_price(self) -> Decimal | None:
        """The net price per token, the unit price of the pack an accepted quote creates."""
        if not self.tokens:
            return None
        return (self.net / Decimal(self.tokens)).quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)


def totals(lines: Iterable[Line]) -> Totals:
    lines = list(lines)
    return Totals(
        tokens=sum(line.tokens for line in lines),
        gross=sum((line.gross for line in lines), Decimal("0.00")),
        net=sum((line.net for line in lines), Decimal("0.00")),
    )


def quote_number(year: int, sequence: int) -> str:
    """Q-2026-0001: per partner and year; a fifth digit appears after 9,999."""
    return f"Q-{year}-{sequence:04d}"


# ---------------------------------------------------------------- alerts


@dataclass(frozen=True)
class Figures:
    """What the alerts read from one snapshot."""

    as_of: date
    total: int
    consumption: int
    balance_rate: float | None
    projected_end: date | None
    tokens_expiring_90d: int
    start: date | None


LT20 = "lt20"
WATCH = "20to30"
EXPIRING = "expiring"
PROJECTED_END = "projected_end"
ONBOARDING = "onboarding"
TRANSITION_KINDS = (LT20, WATCH, EXPIRING, PROJECTED_END)
PROJECTED_END_DAYS = 30
ONBOARDING_DAYS = 30
ONBOARDING_GRACE_DAYS = 7  # missed nightly runs still raise the alert, a stale one does not


def _lt20(f: Figures | None) -> bool:
    return f is not None and f.total > 0 and f.balance_rate is not None and f.balance_rate < 0.20


def _watch(f: Figures | None) -> bool:
    return (
        f is not None
        and f.total > 0
        and f.balance_rate is not None
        and 0.20 <= f.balance_rate < 0.30
    )


def _ending_soon(f: Figures | None) -> bool:
    return (
        f is not None
        and f.total > 0
        and f.projected_end is not None
        and f.projected_end <= f.as_of + timedelta(days=PROJECTED_END_DAYS)
    )


def due_alerts(
    today: Figures, previous: Figures | None, *, transitions: bool = True
) -> list[tuple[str, date]]:
    """The alerts one team raises today, as (kind, event date).

    Bucket, expiry and projected-end alerts fire on entering (not in it at `previous`,
    the latest earlier snapshot; None when the team is new to the partner); the event
    date is the day of entry. A team that climbs from < 20 % into 30-20 % (a partial
    refill) raises nothing: only the way down is news. `transitions=False` (the very
    first figures of a partner, with nothing to compare with) raises none of those.

    The onboarding alert is a state: no consumption 30 days after the start; its event
    is that 30th day, so it fires once per purchase.
    """
    alerts: list[tuple[str, date]] = []
    if transitions:
        if _lt20(today) and not _lt20(previous):
            alerts.append((LT20, today.as_of))
        if _watch(today) and not (_watch(previous) or _lt20(previous)):
            alerts.append((WATCH, today.as_of))
        if today.total > 0 and today.tokens_expiring_90d > 0:
            if previous is None or previous.tokens_expiring_90d <= 0:
                alerts.append((EXPIRING, today.as_of))
        if _ending_soon(today) and not _ending_soon(previous):
            alerts.append((PROJECTED_END, today.as_of))
    if today.total > 0 and today.consumption == 0 and today.start is not None:
        due = today.start + timedelta(days=ONBOARDING_DAYS)
        if due <= today.as_of <= due + timedelta(days=ONBOARDING_GRACE_DAYS):
            alerts.append((ONBOARDING, due))
    return alerts
