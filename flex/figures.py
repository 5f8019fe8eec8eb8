"""The Flex figures of a team and of a partner's view of it (SPEC §4).

Pure Python, no Django. team_figures() computes everything that does not depend on the
partner once per team; partner_figures() adds the partner's own packs (purchased tokens,
start, latest end, projected end) and is cheap enough to call once per linked partner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from fractions import Fraction

from flex.ledger import ONE_DAY, PackState, TeamLedger, UsageSeries, draw_order

EXPIRING_SOON_DAYS = 90


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves rounded up (3.5 -> 4, 2.5 -> 3), computed exactly."""
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


def team_figures(ledger: TeamLedger, usage: UsageSeries, as_of: date) -> TeamFigures:
    """The team-level figures, from a ledger replayed up to `as_of` and the team's usage."""
    if ledger.as_of != as_of:
        raise ValueError(f"ledger of {ledger.team_id} is as of {ledger.as_of}, not {as_of}")
    active = ledger.active_packs(as_of)
    total = sum(p.quantity for p in active)
    balance = sum(p.remaining for p in active)
    used_30 = usage.between(as_of - timedelta(days=30), as_of - ONE_DAY)
    used_180 = usage.between(as_of - timedelta(days=180), as_of - ONE_DAY)
    # The forecast runs at the 30-day rate, or the 180-day one when nothing was used lately.
    daily_rate = Fraction(used_30, 30) if used_30 else Fraction(used_180, 180)
    forecast = forward_forecast(active, daily_rate, as_of)
    expiring_until = as_of + timedelta(days=EXPIRING_SOON_DAYS)
    return TeamFigures(
        team_id=ledger.team_id,
        as_of=as_of,
        flex_total_tokens=total,
        flex_tokens_balance=balance,
        flex_tokens_consumption=total - balance,
        flex_balance_rate=balance / total if total else None,
        flex_consumption_rate_30=used_30 / 30,
        flex_consumption_rate_180=used_180 / 180,
        tokens_used_30=used_30,
        tokens_used_180=used_180,
        overage_tokens=ledger.overage_tokens,
        expired_unused_tokens=ledger.expired_unused_tokens,
        projected_runout_date=forecast.runout_date,
        forecast_expiring_unused=round_half_up(forecast.expiring_unused),
        tokens_expiring_90d=sum(p.remaining for p in active if p.end_date <= expiring_until),
    )


def partner_figures(
    team: TeamFigures, ledger: TeamLedger, partner_csn: str, as_of: date
) -> FlexFigures:
    """The SPP row of `team` for the partner `partner_csn` (whose packs are its own)."""
    if team.as_of != as_of or ledger.as_of != as_of:
        raise ValueError(f"figures of {team.team_id} are not as of {as_of}")
    own = [p for p in ledger.active_packs(as_of) if p.seller_csn == partner_csn]
    purchased = sum(p.quantity for p in own)
    latest_end = max((p.end_date for p in own), default=None)
    return FlexFigures(
        team_id=team.team_id,
        partner_csn=partner_csn,
        as_of=as_of,
        flex_total_tokens=team.flex_total_tokens,
        flex_tokens_balance=team.flex_tokens_balance,
        flex_tokens_consumption=team.flex_tokens_consumption,
        flex_purchased_tokens=purchased,
        flex_additional_tokens=team.flex_total_tokens - purchased,
        flex_start_date=min((p.start_date for p in own), default=None),
        flex_latest_end_date=latest_end,
        flex_balance_rate=team.flex_balance_rate,
        flex_consumption_rate_30=team.flex_consumption_rate_30,
        flex_consumption_rate_180=team.flex_consumption_rate_180,
        flex_projected_end_date=projected_end_date(
            team.flex_total_tokens, team.flex_tokens_balance, team.tokens_used_30, latest_end, as_of
        ),
        overage_tokens=team.overage_tokens,
        expired_unused_tokens=team.expired_unused_tokens,
        projected_runout_date=team.projected_runout_date,
        forecast_expiring_unused=team.forecast_expiring_unused,
        tokens_expiring_90d=team.tokens_expiring_90d,
    )


def projected_end_date(
    total: int, balance: int, used_30: int, latest_end: date | None, as_of: date
) -> date | None:
    """D + round_half_up(balance / rate_30) days, never after the partner's latest end.

    rate_30 = used_30 / 30, so balance / rate_30 = balance * 30 / used_30, kept exact.
    """
    if total == 0:
        return None
    if used_30 == 0:
        return latest_end
    projected = as_of + timedelta(days=round_half_up(Fraction(balance * 30, used_30)))
    return min(projected, latest_end) if latest_end is not None else projected


def forward_forecast(packs: Sequence[PackState], daily_rate: Fraction, as_of: date) -> Forecast:
    """Replay the active packs of `as_of` forward from as_of + 1 at `daily_rate` per day.

    Each day draws the rate from the live packs in the usual priority order, and packs expire
    at the close of their end date (a pack ending on as_of is gone from as_of + 1). The
    runout date is the first day the live packs cannot cover the day's draw in full; if every
    pack expires before that, the last end date (the last day tokens exist). With a zero
    rate the pool never runs dry: everything left expires and the runout is the last end.
    No runout when the packs hold no quantity at all (total == 0).

    Priority puts the earliest end first, so the pool is drawn in expiry order: between two
    consecutive end dates the draw of the whole segment is taken at once.
    """
    if not packs or sum(p.quantity for p in packs) == 0:
        return Forecast(None, Fraction(0))
    ordered = sorted(packs, key=draw_order)
    last_end = ordered[-1].end_date
    if daily_rate <= 0:
        return Forecast(last_end, Fraction(sum(p.remaining for p in ordered)))

    # Exact and fast: count in 1/denominator tokens, so the daily draw is an integer.
    scale, per_day = daily_rate.denominator, daily_rate.numerator
    left = [p.remaining * scale for p in ordered]
    expiring = 0
    day = as_of + ONE_DAY
    index = 0  # ordered[index:] are the packs still live on `day`
    while True:
        while index < len(ordered) and ordered[index].end_date < day:
            expiring += left[index]
            left[index] = 0
            index += 1
        if index == len(ordered):
            return Forecast(last_end, Fraction(expiring, scale))
        segment_end = ordered[index].end_date
        segment_days = (segment_end - day).days + 1
        full_days = sum(left[index:]) // per_day  # days the live pool covers in full
        if full_days < segment_days:
            return Forecast(day + timedelta(days=full_days), Fraction(expiring, scale))
        demand = per_day * segment_days
        for position in range(index, len(ordered)):
            taken = min(left[position], demand)
            left[position] -= taken
            demand -= taken
            if demand == 0:
                break
        day = segment_end + ONE_DAY
