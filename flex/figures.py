"""The Flex figures of a team and of a partner's view of it (SPEC §4).

Pure Python, no Django. team_figures() computes everything that does not depend on the
partner once per team; partner_figures() adds the partner's own packs (purchased tokens,
start, latest end, projected end) and is cheap enough to call once per linked partner.

Both are thin wrappers of team_values() and partner_values(), which compute the figures
once, in integers (exact: no Fraction), from the active packs as tuples in draw order;
the recompute calls those directly with what the ledger's lone-team path gives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache

from flex.ledger import ONE_DAY, PackState, TeamLedger, UsageSeries

EXPIRING_SOON_DAYS = 90


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves rounded up (3.5 -> 4, 2.5 -> 3), computed exactly.

    The figures compute it in integers: round_half_up(n / m) == (2n + m) // 2m for m > 0.
    """
    return math.floor(value + Fraction(1, 2))


@dataclass(frozen=True)
class Forecast:
    """Outcome of the forward replay of a pool at a constant daily rate."""

    runout_date: date | None
    expiring_unused: Fraction


@dataclass(frozen=True)
class TeamFigures:
    """Partner-independent figures of one team as of one date."""

    team_id: str
    as_of: date
    flex_total_tokens: int
    flex_tokens_balance: int
    flex_tokens_consumption: int
    flex_balance_rate: float | None
    flex_consumption_rate_30: float
    flex_consumption_rate_180: float
    tokens_used_30: int  # exact numerator of rate_30, for exact projections
    tokens_used_180: int
    overage_tokens: int
    expired_unused_tokens: int
    projected_runout_date: date | None
    forecast_expiring_unused: int
    tokens_expiring_90d: int


@dataclass(frozen=True)
class FlexFigures:
    """One snapshot row: a team seen by one partner as of one date."""

    team_id: str
    partner_csn: str
    as_of: date
    flex_total_tokens: int
    flex_tokens_balance: int
    flex_tokens_consumption: int
    flex_purchased_tokens: int
    flex_additional_tokens: int
    flex_start_date: date | None
    flex_latest_end_date: date | None
    flex_balance_rate: float | None
    flex_consumption_rate_30: float
    flex_consumption_rate_180: float
    flex_projected_end_date: date | None
    overage_tokens: int
    expired_unused_tokens: int
    projected_runout_date: date | None
    forecast_expiring_unused: int
    tokens_expiring_90d: int

    def as_dict(self) -> dict[str, object]:
        # Not dataclasses.asdict: it deep-copies every value, and this runs per snapshot row.
        return {name: getattr(self, name) for name in _FLEX_FIELD_NAMES}


_FLEX_FIELD_NAMES = tuple(f.name for f in fields(FlexFigures))
_TEAM_VALUE_NAMES = tuple(f.name for f in fields(TeamFigures))[2:]
_EXPIRING_SOON = timedelta(days=EXPIRING_SOON_DAYS)


def active_pool(ledger: TeamLedger, as_of: date) -> list[tuple]:
    """The packs of `ledger` active on `as_of`, in draw order, as the figures read them:
    (end, quantity, order number, start, seller, remaining) tuples (what
    flex.ledger.lone_summary() gives for a lone team)."""
    return sorted(
        (p.end_date, p.quantity, p.order_number, p.start_date, p.seller_csn, p.remaining)
        for p in ledger.packs
        if p.is_active(as_of)
    )


def team_figures(ledger: TeamLedger, usage: UsageSeries, as_of: date) -> TeamFigures:
    """The team-level figures, from a ledger replayed up to `as_of` and the team's usage."""
    if ledger.as_of != as_of:
        raise ValueError(f"ledger of {ledger.team_id} is as of {ledger.as_of}, not {as_of}")
    until = usage.cum_at(as_of - ONE_DAY)
    values = team_values(
        active_pool(ledger, as_of),
        until - usage.cum_at(as_of - timedelta(days=31)),
        until - usage.cum_at(as_of - timedelta(days=181)),
        ledger.overage_tokens,
        ledger.expired_unused_tokens,
        as_of,
    )
    return TeamFigures(ledger.team_id, as_of, *values)


def team_values(
    active: Sequence[tuple],
    used_30: int,
    used_180: int,
    overage: int,
    expired_unused: int,
    as_of: date,
) -> tuple:
    """The values of TeamFigures after (team_id, as_of), in field order.

    `active`: the active packs in draw order (active_pool()); used_30 and used_180: tokens
    used on D-30 ... D-1 and D-180 ... D-1.
    """
    total = balance = expiring_90d = 0
    expiring_until = _expiring_until(as_of)
    for end, quantity, _, _, _, remaining in active:
        total += quantity
        balance += remaining
        if end <= expiring_until:
            expiring_90d += remaining
    # The forecast runs at the 30-day rate, or the 180-day one when nothing was used lately:
    # per_day / scale tokens a day, kept exact by counting in 1/scale tokens.
    per_day, scale = (used_30, 30) if used_30 else (used_180, 180)
    runout, expiring = _forecast(active, total, per_day, scale, as_of)
    return (
        total,
        balance,
        total - balance,
        balance / total if total else None,
        used_30 / 30,
        used_180 / 180,
        used_30,
        used_180,
        overage,
        expired_unused,
        runout,
        (2 * expiring + scale) // (2 * scale),  # round_half_up(expiring / scale)
        expiring_90d,
    )


@lru_cache(maxsize=8)
def _expiring_until(as_of: date) -> date:
    return as_of + _EXPIRING_SOON


def partner_figures(
    team: TeamFigures, ledger: TeamLedger, partner_csn: str, as_of: date
) -> FlexFigures:
    """The SPP row of `team` for the partner `partner_csn` (whose packs are its own)."""
    if team.as_of != as_of or ledger.as_of != as_of:
        raise ValueError(f"figures of {team.team_id} are not as of {as_of}")
    team_part = tuple(getattr(team, name) for name in _TEAM_VALUE_NAMES)
    values = partner_values(team_part, active_pool(ledger, as_of), partner_csn, as_of)
    return FlexFigures(team.team_id, partner_csn, as_of, *values)


def partner_values(team: tuple, active: Sequence[tuple], partner_csn: str, as_of: date) -> tuple:
    """The values of FlexFigures after (team_id, partner_csn, as_of), in field order (the
    snapshot's SNAPSHOT_FIELDS), from team_values() and the same active packs."""
    (
        total,
        balance,
        consumption,
        balance_rate,
        rate_30,
        rate_180,
        used_30,
        _,
        overage,
        expired_unused,
        runout,
        forecast_expiring,
        expiring_90d,
    ) = team
    purchased = 0
    first_start = latest_end = None
    for end, quantity, _, start, seller, _ in active:
        if seller == partner_csn:
            purchased += quantity
            if first_start is None or start < first_start:
                first_start = start
            if latest_end is None or end > latest_end:
                latest_end = end
    return (
        total,
        balance,
        consumption,
        purchased,
        total - purchased,
        first_start,
        latest_end,
        balance_rate,
        rate_30,
        rate_180,
        projected_end_date(total, balance, used_30, latest_end, as_of),
        overage,
        expired_unused,
        runout,
        forecast_expiring,
        expiring_90d,
    )


def projected_end_date(
    total: int, balance: int, used_30: int, latest_end: date | None, as_of: date
) -> date | None:
    """D + round_half_up(balance / rate_30) days, never after the partner's latest end.

    rate_30 = used_30 / 30, so balance / rate_30 = balance * 30 / used_30, kept exact:
    round_half_up(n / m) = floor((2n + m) / 2m) in integers.
    """
    if total == 0:
        return None
    if used_30 == 0:
        return latest_end
    days = (60 * balance + used_30) // (2 * used_30)
    if latest_end is not None and days >= (latest_end - as_of).days:
        return latest_end
    return as_of + timedelta(days=days)


def forward_forecast(packs: Sequence[PackState], daily_rate: Fraction, as_of: date) -> Forecast:
    """Replay the active packs of `as_of` forward from as_of + 1 at `daily_rate` per day.

    Each day draws the rate from the live packs in the usual priority order, and packs expire
    at the close of their end date (a pack ending on as_of is gone from as_of + 1). The
    runout date is the first day the live packs cannot cover the day's draw in full; if every
    pack expires before that, the last end date (the last day tokens exist). With a zero
    rate the pool never runs dry: everything left expires and the runout is the last end.
    No runout when the packs hold no quantity at all (total == 0).
    """
    active = sorted(
        (p.end_date, p.quantity, p.order_number, p.start_date, p.seller_csn, p.remaining)
        for p in packs
    )
    total = sum(p.quantity for p in packs)
    runout, expiring = _forecast(active, total, daily_rate.numerator, daily_rate.denominator, as_of)
    return Forecast(runout, Fraction(expiring, daily_rate.denominator))


def _forecast(
    active: Sequence[tuple], total: int, per_day: int, scale: int, as_of: date
) -> tuple[date | None, int]:
    """forward_forecast() at per_day / scale tokens a day, in integers: returns the runout
    date and the tokens expiring unused, counted in 1/scale tokens.

    Priority puts the earliest end first, so the pool is drawn in expiry order: from one
    end date to the next, the draw of the whole segment is taken at once from the packs in
    order, then the pack that ends there expires with what it has left.
    """
    if not active or total == 0:
        return None, 0
    if per_day <= 0:
        return active[-1][0], scale * sum(item[5] for item in active)
    left = [item[5] * scale for item in active]
    live = sum(left)  # what the packs not expired yet hold
    expiring = 0
    day = as_of.toordinal() + 1  # the first day not drawn yet (ordinals: plain ints)
    for index, item in enumerate(active):
        end = item[0].toordinal()
        if end >= day:  # draw day ... end from the live packs, this one first
            days = end - day + 1
            if live < per_day * days:  # the pool runs dry on this segment
                return date.fromordinal(day + live // per_day), expiring
            demand = per_day * days
            live -= demand
            position = index
            while demand:
                held = left[position]
                taken = held if held < demand else demand
                left[position] = held - taken
                demand -= taken
                position += 1
            day = end + 1
        expiring += left[index]  # it expires at the close of its end date
        live -= left[index]
    return active[-1][0], expiring
