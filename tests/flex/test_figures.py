"""Tests of flex.figures: SPEC §4 worked examples, the forecast, and hypothesis properties."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flex.figures import (
    FlexFigures,
    TeamFigures,
    forward_forecast,
    partner_figures,
    partner_values,
    projected_end_date,
    round_half_up,
    team_figures,
    team_values,
)
from flex.ledger import PackState, UsageSeries, boundary_dates, replay
from tests.flex.test_ledger import SELLERS, d, pack, scenarios, series_of

DAY = timedelta(days=1)


def figures_for(packs, daily: dict[str, int], as_of: str, partner: str = "P1", events=()):
    """FlexFigures of team T1 for `partner`, from real packs and daily usage."""
    day = d(as_of)
    series = UsageSeries.from_daily({d(k): v for k, v in daily.items()})
    ledger = replay(packs, list(events), {"T1": series}, day)["T1"]
    return partner_figures(team_figures(ledger, series, day), ledger, partner, day)


def spread(first: str, days: int, per_day: int) -> dict[str, int]:
    start = d(first)
    return {(start + timedelta(days=k)).isoformat(): per_day for k in range(days)}


# ------------------------------------------------------------ SPEC §4 worked examples


def test_worked_example_rate_30_projects_within_the_packs_life() -> None:
    # 1,046 tokens from 2026-01-05 (ends 2027-01-04); 10 a day on D-30 ... D-3 = 280 tokens.
    row = figures_for([pack("A", 1046, "2026-01-05")], spread("2026-02-08", 28, 10), "2026-03-10")
    assert row.flex_tokens_balance == 766
    assert row.flex_consumption_rate_30 == 280 / 30
    assert row.flex_latest_end_date == d("2027-01-04")
    assert row.flex_projected_end_date == d("2026-05-31")
    assert row.flex_total_tokens == 1046
    assert row.flex_tokens_consumption == 280
    assert row.flex_balance_rate == 766 / 1046
    assert row.flex_consumption_rate_180 == 280 / 180


def test_worked_example_rate_30_zero_projects_the_latest_end() -> None:
    row = figures_for([pack("A", 100, "2025-11-26")], {"2025-12-15": 28}, "2026-03-10")
    assert row.flex_tokens_balance == 72
    assert row.flex_consumption_rate_30 == 0
    assert row.flex_latest_end_date == d("2026-11-25")
    assert row.flex_projected_end_date == d("2026-11-25")


def test_rolling_example() -> None:
    packs = [
        pack("P-1", 1000, "2025-03-11", seller="P"),  # ends 2026-03-10
        pack("P-2", 1000, "2025-03-20", seller="P"),  # ends 2026-03-19
        pack("X-1", 1000, "2025-04-02", seller="OTHER"),  # ends 2026-04-01
    ]
    on_10 = figures_for(packs, {}, "2026-03-10", partner="P")
    assert (on_10.flex_start_date, on_10.flex_purchased_tokens) == (d("2025-03-11"), 2000)
    assert (on_10.flex_additional_tokens, on_10.flex_total_tokens) == (1000, 3000)
    on_12 = figures_for(packs, {}, "2026-03-12", partner="P")
    assert (on_12.flex_start_date, on_12.flex_purchased_tokens) == (d("2025-03-20"), 1000)
    assert (on_12.flex_additional_tokens, on_12.flex_total_tokens) == (1000, 2000)
    assert on_12.flex_latest_end_date == d("2026-03-19")
    other = figures_for(packs, {}, "2026-03-12", partner="OTHER")
    assert (other.flex_purchased_tokens, other.flex_additional_tokens) == (1000, 1000)
    assert other.flex_start_date == d("2025-04-02")


# -------------------------------------------------------------------- projected end


def test_projected_end_is_capped_at_the_partners_latest_end() -> None:
    packs = [
        pack("A", 796, "2026-01-01", "2026-06-30", seller="P1"),
        pack("B", 100, "2026-01-01", "2027-06-30", seller="P2"),
    ]
    daily = {"2026-02-20": 30}  # rate 1/day; A (ends first) is drawn: balance 766 + 100
    p1 = figures_for(packs, daily, "2026-03-10", partner="P1")
    assert p1.flex_tokens_balance == 866
    assert p1.flex_projected_end_date == d("2026-06-30")  # D + 866 capped at P1's end
    p2 = figures_for(packs, daily, "2026-03-10", partner="P2")
    assert p2.flex_projected_end_date == d("2027-06-30")  # capped at P2's own latest end
    nobody = figures_for(packs, daily, "2026-03-10", partner="P9")
    assert nobody.flex_latest_end_date is None
    assert nobody.flex_projected_end_date == d("2026-03-10") + timedelta(days=866)


@pytest.mark.parametrize(("balance", "days"), [(5, 3), (7, 4), (4, 2)])
def test_projected_end_rounds_half_up(balance: int, days: int) -> None:
    # 60 tokens in the last 30 days = 2 a day: 5 -> 2.5 -> 3 days, 7 -> 3.5 -> 4 days.
    row = figures_for([pack("A", 60 + balance, "2026-01-01")], {"2026-03-01": 60}, "2026-03-10")
    assert row.flex_tokens_balance == balance
    assert row.flex_projected_end_date == d("2026-03-10") + timedelta(days=days)


def test_projected_end_is_exact_where_floats_are_not() -> None:
    # balance / rate = 7 * 30 / 60 = 3.5 exactly; 0.7 / 0.2 in floats is 3.4999999999999996.
    assert 0.7 / 0.2 < 3.5
    assert projected_end_date(100, 7, 60, None, d("2026-03-10")) == d("2026-03-14")
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(7, 2)) == 4
    assert round_half_up(Fraction(249, 100)) == 2
    assert round_half_up(Fraction(0)) == 0


def test_no_tokens_means_no_projection() -> None:
    row = figures_for([pack("A", 100, "2024-01-01")], {"2026-03-01": 60}, "2026-03-10")
    assert (row.flex_total_tokens, row.flex_tokens_balance) == (0, 0)
    assert row.flex_balance_rate is None
    assert row.flex_projected_end_date is None
    assert row.projected_runout_date is None
    assert row.forecast_expiring_unused == 0
    assert row.flex_start_date is None
    assert row.expired_unused_tokens == 0  # ended 2024-12-31, outside the 365 days
    assert row.overage_tokens == 60


# -------------------------------------------------------------------- the forecast


def active(order: str, remaining: int, end: str, quantity: int | None = None) -> PackState:
    total = quantity if quantity is not None else remaining
    start = d("2025-01-01")
    return PackState(
        order_number=order,
        seller_csn="P1",
        team_id="T1",
        start_date=start,
        end_date=d(end),
        available_from=start,
        quantity=total,
        used=total - remaining,
        remaining=remaining,
    )


def test_forecast_runs_dry_after_draining_packs_in_end_order() -> None:
    packs = [active("B", 500, "2026-12-31"), active("A", 100, "2026-03-20")]
    as_of = d("2026-03-10")
    # 10 a day: A is drained exactly on 03-20, then B lasts 50 days from 03-21.
    assert forward_forecast(packs, Fraction(10), as_of).runout_date == d("2026-05-10")
    assert forward_forecast(packs, Fraction(10), as_of).expiring_unused == 0
    # 5 a day: A loses 50 at its end, then B lasts 100 days from 03-21.
    forecast = forward_forecast(packs, Fraction(5), as_of)
    assert (forecast.runout_date, forecast.expiring_unused) == (d("2026-06-29"), 50)


def test_forecast_when_every_pack_expires_before_running_dry() -> None:
    packs = [active("A", 100, "2026-03-20")]
    forecast = forward_forecast(packs, Fraction(5), d("2026-03-10"))
    assert (forecast.runout_date, forecast.expiring_unused) == (d("2026-03-20"), 50)


def test_forecast_pack_ending_on_as_of_is_not_available_the_next_day() -> None:
    packs = [active("A", 40, "2026-03-10"), active("B", 25, "2026-12-31")]
    forecast = forward_forecast(packs, Fraction(10), d("2026-03-10"))
    # A's 40 expire at the close of D; B covers 03-11 and 03-12, not 03-13.
    assert (forecast.runout_date, forecast.expiring_unused) == (d("2026-03-13"), 40)


def test_forecast_pool_drained_exactly_at_an_end_date() -> None:
    # Drained exactly as the last pack ends: the runout is that end (the last day with tokens).
    forecast = forward_forecast([active("A", 100, "2026-03-20")], Fraction(10), d("2026-03-10"))
    assert (forecast.runout_date, forecast.expiring_unused) == (d("2026-03-20"), 0)
    # A covers exactly D+1 and its 5 left expire; B is live but empty on D+2.
    packs = [active("A", 15, "2026-03-11"), active("B", 0, "2026-03-15", quantity=10)]
    forecast = forward_forecast(packs, Fraction(10), d("2026-03-10"))
    assert (forecast.runout_date, forecast.expiring_unused) == (d("2026-03-12"), 5)


def test_forecast_with_zero_rate_lets_everything_expire() -> None:
    packs = [active("A", 40, "2026-03-10"), active("B", 25, "2026-12-31", quantity=90)]
    forecast = forward_forecast(packs, Fraction(0), d("2026-03-10"))
    assert (forecast.runout_date, forecast.expiring_unused) == (d("2026-12-31"), 65)


def test_forecast_uses_rate_180_when_rate_30_is_zero_and_rounds_half_up() -> None:
    # 270 tokens on D-100 -> rate 1.5 a day; pack of 10 left, ends D+3: 4.5 drawn, 5.5 expire.
    as_of = "2026-03-10"
    packs = [pack("A", 280, "2025-10-01", "2026-03-13")]
    row = figures_for(packs, {"2025-11-30": 270}, as_of)
    assert row.flex_consumption_rate_30 == 0
    assert row.flex_consumption_rate_180 == 1.5
    assert row.flex_tokens_balance == 10
    assert row.forecast_expiring_unused == 6
    assert row.projected_runout_date == d("2026-03-13")
    assert row.flex_projected_end_date == d("2026-03-13")  # rate_30 == 0: latest end


def test_tokens_expiring_within_90_days() -> None:
    packs = [
        pack("ends-D", 100, "2025-03-11"),  # ends 2026-03-10
        pack("ends-D+90", 200, "2025-06-09", "2026-06-08"),
        pack("ends-D+91", 400, "2025-06-09", "2026-06-09"),
    ]
    row = figures_for(packs, {"2026-03-01": 10}, "2026-03-10")
    assert row.tokens_expiring_90d == 90 + 200
    assert row.flex_tokens_balance == 690


def test_as_dict_holds_exactly_the_snapshot_fields() -> None:
    row = figures_for([pack("A", 1046, "2026-01-05")], spread("2026-02-08", 28, 10), "2026-03-10")
    data = row.as_dict()
    assert list(data) == [
        "team_id",
        "partner_csn",
        "as_of",
        "flex_total_tokens",
        "flex_tokens_balance",
        "flex_tokens_consumption",
        "flex_purchased_tokens",
        "flex_additional_tokens",
        "flex_start_date",
        "flex_latest_end_date",
        "flex_balance_rate",
        "flex_consumption_rate_30",
        "flex_consumption_rate_180",
        "flex_projected_end_date",
        "overage_tokens",
        "expired_unused_tokens",
        "projected_runout_date",
        "forecast_expiring_unused",
        "tokens_expiring_90d",
    ]
    assert data["flex_projected_end_date"] == d("2026-05-31")
    assert data["partner_csn"] == "P1"


def test_figures_refuse_a_ledger_of_another_date() -> None:
    series = UsageSeries()
    ledger = replay([pack("A", 10, "2026-01-01")], [], {}, d("2026-03-10"))["T1"]
    with pytest.raises(ValueError):
        team_figures(ledger, series, d("2026-03-11"))


# ------------------------------------------------------------- the forecast oracle


def naive_forecast(packs, rate: Fraction, as_of: date) -> tuple[date | None, Fraction]:
    """Literal forward replay, one day at a time."""
    if sum(p.quantity for p in packs) == 0:
        return None, Fraction(0)
    last_end = max(p.end_date for p in packs)
    if rate == 0:
        return last_end, Fraction(sum(p.remaining for p in packs))
    left = {id(p): Fraction(p.remaining) for p in packs}
    expiring = Fraction(0)
    ordered = sorted(packs, key=lambda p: (p.end_date, p.quantity, p.order_number))
    day = as_of
    while True:
        if day > as_of:
            live = [p for p in ordered if p.end_date >= day]
            if not live:
                return last_end, expiring
            if sum(left[id(p)] for p in live) < rate:
                return day, expiring
            demand = rate
            for p in live:
                taken = min(left[id(p)], demand)
                left[id(p)] -= taken
                demand -= taken
        for p in ordered:  # close of the day
            if p.end_date == day:
                expiring += left[id(p)]
                left[id(p)] = Fraction(0)
        day += DAY


AS_OF = date(2026, 3, 10)


@st.composite
def active_pools(draw):
    ends = draw(st.lists(st.integers(0, 12) | st.integers(0, 400), min_size=1, max_size=3))
    packs = []
    for index in range(draw(st.integers(0, 6))):
        end = AS_OF + timedelta(days=draw(st.sampled_from(ends) | st.integers(0, 400)))
        remaining = draw(st.sampled_from([0, 5, 10, 15, 100]) | st.integers(0, 2000))
        quantity = remaining + draw(st.sampled_from([0, 50]) | st.integers(0, 500))
        start = AS_OF - DAY * 30
        packs.append(
            PackState(
                order_number=f"F{index}",
                seller_csn="P1",
                team_id="T1",
                start_date=start,
                end_date=end,
                available_from=start,
                quantity=quantity,
                used=quantity - remaining,
                remaining=remaining,
            )
        )
    used = draw(st.sampled_from([0, 1, 30, 45, 300]) | st.integers(0, 5000))
    rate = Fraction(used, draw(st.sampled_from([30, 180])))
    live = [p for p in packs if p.end_date > AS_OF]
    if live and draw(st.booleans()):  # a rate that drains the pool exactly on an end date
        end = draw(st.sampled_from(live)).end_date
        tokens = sum(p.remaining for p in live) + draw(st.sampled_from([0, 0, 1, -1]))
        rate = Fraction(max(tokens, 0), (end - AS_OF).days)
    return packs, rate


@settings(max_examples=200, deadline=None)
@given(active_pools())
def test_forecast_interval_equals_daily_oracle(pool) -> None:
    packs, rate = pool
    forecast = forward_forecast(packs, rate, AS_OF)
    assert (forecast.runout_date, forecast.expiring_unused) == naive_forecast(packs, rate, AS_OF)


# --------------------------------------------------- properties over replayed scenarios


def all_rows(packs, events, usage_by_team, as_of) -> dict[tuple[str, str], FlexFigures]:
    rows = {}
    for team, ledger in replay(packs, events, usage_by_team, as_of).items():
        series = usage_by_team.get(team, UsageSeries())
        figures = team_figures(ledger, series, as_of)
        for partner in [*SELLERS, "P-none"]:
            rows[team, partner] = partner_figures(figures, ledger, partner, as_of)
    return rows


MODERATE = settings(max_examples=200, deadline=None)


@MODERATE
@given(scenarios())
def test_figures_are_consistent(scenario) -> None:
    packs, events, daily_by_team, as_of = scenario
    usage = series_of(daily_by_team)
    result = replay(packs, events, usage, as_of)
    for team, ledger in result.items():
        figures = team_figures(ledger, usage.get(team, UsageSeries()), as_of)
        total, bal = figures.flex_total_tokens, figures.flex_tokens_balance
        assert bal >= 0
        assert total == bal + figures.flex_tokens_consumption
        assert 0 <= figures.tokens_expiring_90d <= bal
        assert 0 <= figures.forecast_expiring_unused <= bal
        rate = Fraction(figures.tokens_used_30, 30) or Fraction(figures.tokens_used_180, 180)
        runout, expiring = naive_forecast(ledger.active_packs(as_of), rate, as_of)
        assert figures.projected_runout_date == runout
        assert figures.forecast_expiring_unused == round_half_up(expiring)
        for partner in [*SELLERS, "P-none"]:
            row = partner_figures(figures, ledger, partner, as_of)
            assert row.flex_purchased_tokens + row.flex_additional_tokens == total
            assert row.flex_additional_tokens >= 0
            if row.flex_projected_end_date and row.flex_latest_end_date:
                assert row.flex_projected_end_date <= row.flex_latest_end_date
            if total == 0:
                assert row.flex_projected_end_date is None


@MODERATE
@given(scenarios(), st.sampled_from(SELLERS), st.data())
def test_prices_of_other_sellers_never_change_a_partners_figures(scenario, partner, data) -> None:
    packs, events, daily_by_team, as_of = scenario
    usage = series_of(daily_by_team)
    repriced = [
        p
        if p.seller_csn == partner
        else dataclasses.replace(
            p,
            unit_price=data.draw(st.decimals(0, 100, places=2)),
            currency=data.draw(st.sampled_from(["USD", "EUR", None])),
            discount_pct=data.draw(st.sampled_from([None, Decimal("12.5")])),
        )
        for p in packs
    ]
    before = all_rows(packs, events, usage, as_of)
    after = all_rows(repriced, events, usage, as_of)
    assert {k: v for k, v in after.items() if k[1] == partner} == {
        k: v for k, v in before.items() if k[1] == partner
    }


@MODERATE
@given(scenarios())
def test_prefix_series_at_boundary_dates_gives_identical_figures(scenario) -> None:
    packs, events, daily_by_team, as_of = scenario
    daily = series_of(daily_by_team)
    days = boundary_dates(packs, events, as_of)
    sparse = {
        team: UsageSeries.from_prefix([(x, series.cum_at(x)) for x in days])
        for team, series in daily.items()
    }
    assert all_rows(packs, events, sparse, as_of) == all_rows(packs, events, daily, as_of)


# ------------------------------------------ the recompute's fast path vs the generic one


@MODERATE
@given(scenarios())
def test_lone_team_figures_equal_the_generic_figures(scenario) -> None:
    """What the recompute computes for a team without events (flex.services: lone_pool,
    lone_starts, the usage at lone_probe_days, replay_lone, lone_summary, team_values,
    partner_values) equals team_figures/partner_figures of the generic replay on the full
    daily series, for every partner."""
    from flex.ledger import lone_pool, lone_probe_days, lone_starts, lone_summary, replay_lone
    from tests.flex.test_ledger import generic_replay

    packs, _, daily_by_team, as_of = scenario
    usage = series_of(daily_by_team)
    generic = generic_replay(packs, [], usage, as_of)
    for team in {p.team_id for p in packs}:
        items = [
            (p.end_date, p.quantity, p.order_number, p.start_date, p.seller_csn)
            for p in packs
            if p.team_id == team
        ]
        pool = lone_pool(items, as_of)
        if not pool:
            assert team not in generic or not generic[team].packs
            continue
        series = usage.get(team, UsageSeries())
        starts = lone_starts(pool, as_of)
        cums = [series.cum_at(x) for x in lone_probe_days(starts, as_of)]
        remaining, overage = replay_lone(pool, starts, cums[: len(starts)])
        active, overage_tokens, expired = lone_summary(pool, remaining, overage, as_of)
        until, before_30, before_180 = cums[len(starts) :]
        team_part = team_values(
            active, until - before_30, until - before_180, overage_tokens, expired, as_of
        )
        figures = team_figures(generic[team], series, as_of)
        assert TeamFigures(team, as_of, *team_part) == figures
        for partner in [*SELLERS, "P-none"]:
            expected = partner_figures(figures, generic[team], partner, as_of)
            assert FlexFigures(team, partner, as_of, *partner_values(
                team_part, active, partner, as_of
            )) == expected  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**9), 10**9), st.integers(1, 10**6))
def test_integer_half_up_rounding_equals_the_exact_one(numerator, denominator) -> None:
    assert (2 * numerator + denominator) // (2 * denominator) == round_half_up(
        Fraction(numerator, denominator)
    )


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 20_000), st.integers(1, 10**6), st.integers(0, 4000))
def test_projected_end_in_integers_equals_the_exact_definition(balance, used_30, cap) -> None:
    latest = AS_OF + timedelta(days=cap)
    days = round_half_up(Fraction(balance) / Fraction(used_30, 30))
    expected = min(AS_OF + timedelta(days=days), latest)
    assert projected_end_date(balance + 1, balance, used_30, latest, AS_OF) == expected
