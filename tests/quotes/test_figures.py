"""The pure figures of SPEC §7 and §8: annual quantity, value, totals, END DATE, alerts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quotes import figures
from quotes.figures import Figures, Line, due_alerts

D = date(2026, 3, 10)


# ------------------------------------------------------------------ annual quantity


def test_spec_example_annual_quantity_and_value():
    quantity = figures.annual_quantity(11.43, 6.66)
    assert quantity == 4200  # 11.43 × 365 = 4,171.95 → 4,200
    assert figures.lead_value(quantity, Decimal("3.00")) == Decimal("12600.00")


@pytest.mark.parametrize(
    ("rate_30", "rate_180", "expected"),
    [
        (20.0, 0.0, 7300),  # exactly 7,300: stays
        (0.0, 20.0, 7300),  # the larger rate wins, whichever it is
        (7300 / 365, 1.0, 7300),  # a float that is 20 "exactly"
        (20.000000000000004, 0.0, 7300),  # float noise above a multiple must not add 100
        (19.999999999999996, 0.0, 7300),
        (20.0001, 0.0, 7400),  # a real excess does
        (100 / 365, 0.0, 100),  # 100.0 exactly
        (0.01, 0.0, 100),  # anything above zero needs at least 100
        (0.0, 0.0, 0),  # no consumption: nothing to refill
        (None, None, 0),
        (-1.0, 0.0, 0),
        (11.43, 6.66, 4200),
        (6.66, 11.43, 4200),
        (1000.0, 0.0, 365000),
    ],
)
def test_annual_quantity_rounds_up_to_hundreds(rate_30, rate_180, expected):
    assert figures.annual_quantity(rate_30, rate_180) == expected


def test_rates_as_the_recompute_stores_them():
    """rate_30 is tokens ÷ 30 as a float: 600 tokens → 20.0 → 7,300; 601 → 7,400."""
    assert figures.annual_quantity(600 / 30, 0) == 7300
    assert figures.annual_quantity(601 / 30, 0) == 7400
    assert figures.annual_quantity(0, 3600 / 180) == 7300


@given(st.floats(min_value=0.0001, max_value=100_000, allow_nan=False))
def test_annual_quantity_is_the_smallest_multiple_of_100_covering_a_year(rate):
    quantity = figures.annual_quantity(rate, 0)
    assert quantity % 100 == 0
    yearly = Decimal(repr(rate)) * 365
    assert quantity >= yearly - Decimal("0.000001")
    assert quantity - 100 < yearly


@pytest.mark.parametrize(
    ("quantity", "price", "value"),
    [
        (4200, Decimal("3.00"), Decimal("12600.00")),
        (4200, Decimal("2.85"), Decimal("11970.00")),
        (100, Decimal("2.8549"), Decimal("285.49")),
        (1, Decimal("0.005"), Decimal("0.01")),  # half up, to the cent
        (0, Decimal("3.00"), Decimal("0.00")),
    ],
)
def test_lead_value(quantity, price, value):
    assert figures.lead_value(quantity, price) == value


# ------------------------------------------------------------------ qualification


def qualifies(**kwargs) -> bool:
    values = {
        "as_of": D,
        "total": 1000,
        "balance_rate": 0.5,
        "projected_end": D + timedelta(days=200),
        "rate_30": 5.0,
        "rate_180": 4.0,
        "balance_threshold": 0.30,
        "days_threshold": 90,
    }
    values.update(kwargs)
    return figures.qualifies(**values)


def test_balance_at_or_under_the_threshold_qualifies():
    assert qualifies(balance_rate=300 / 1000)  # exactly 30 %: "≤ 0.30"
    assert qualifies(balance_rate=0.1)
    assert not qualifies(balance_rate=301 / 1000)


def test_projected_end_within_the_days_qualifies():
    assert qualifies(projected_end=D + timedelta(days=90))
    assert not qualifies(projected_end=D + timedelta(days=91))
    assert not qualifies(projected_end=None)


def test_partner_thresholds_apply():
    assert qualifies(balance_rate=0.4, balance_threshold=0.45)
    assert qualifies(projected_end=D + timedelta(days=150), days_threshold=180)


def test_an_empty_pool_still_consuming_qualifies_an_idle_one_does_not():
    assert qualifies(total=0, balance_rate=None, projected_end=None, rate_30=2.0)
    assert not qualifies(total=0, balance_rate=None, projected_end=None, rate_30=0, rate_180=0)


# ------------------------------------------------------------------ END DATE


def test_end_date_label_with_signed_distance():
    assert figures.end_date_label(date(2026, 3, 9), D) == "2026-03-09 (\u22121)"
    assert figures.end_date_label(D, D) == "2026-03-10 (0)"
    assert figures.end_date_label(date(2026, 5, 31), D) == "2026-05-31 (+82)"
    assert figures.end_date_label(None, D) == "—"
    assert figures.signed_days(date(2026, 3, 9), D) == -1


# ------------------------------------------------------------------ quote totals


def test_line_net_rounds_once_half_up():
    line = Line(tokens=4200, unit_price=Decimal("3.00"), discount_pct=Decimal("7.5"))
    assert line.gross == Decimal("12600.00")
    assert line.net == Decimal("11655.00")
    odd = Line(tokens=3, unit_price=Decimal("0.3333"), discount_pct=Decimal("0"))
    assert odd.net == Decimal("1.00")  # 0.9999 → 1.00
    half = Line(tokens=1, unit_price=Decimal("0.125"))
    assert half.net == Decimal("0.13")


def test_totals_and_average_unit_price():
    result = figures.totals(
        [
            Line(4200, Decimal("3.00")),
            Line(1000, Decimal("3.00"), Decimal("10")),
        ]
    )
    assert result.tokens == 5200
    assert result.gross == Decimal("15600.00")
    assert result.net == Decimal("15300.00")
    assert result.discount == Decimal("300.00")
    assert result.average_unit_price == Decimal("2.9423")  # 15,300 / 5,200
    assert figures.totals([]).average_unit_price is None


def test_full_discount_is_free():
    assert Line(100, Decimal("3"), Decimal("100")).net == Decimal("0.00")


def test_quote_numbers():
    assert figures.quote_number(2026, 1) == "Q-2026-0001"
    assert figures.quote_number(2026, 12345) == "Q-2026-12345"


# ------------------------------------------------------------------ alerts


def snap(as_of=D, total=1000, consumption=500, rate=0.5, end=None, expiring=0, start=None):
    return Figures(
        as_of=as_of,
        total=total,
        consumption=consumption,
        balance_rate=rate,
        projected_end=end or as_of + timedelta(days=200),
        tokens_expiring_90d=expiring,
        start=start or date(2025, 6, 1),
    )


def yesterday(**kwargs):
    return snap(as_of=D - timedelta(days=1), **kwargs)


def test_entering_lt20_alerts_once_on_the_day_of_entry():
    assert due_alerts(snap(rate=0.19), yesterday(rate=0.21)) == [("lt20", D)]
    assert due_alerts(snap(rate=0.18), yesterday(rate=0.19)) == []  # already in


def test_entering_20to30_from_above_only():
    assert due_alerts(snap(rate=0.29), yesterday(rate=0.31)) == [("20to30", D)]
    assert due_alerts(snap(rate=0.25), yesterday(rate=0.10)) == []  # a partial refill


def test_falling_through_both_buckets_in_one_night_raises_lt20():
    assert due_alerts(snap(rate=0.1), yesterday(rate=0.5)) == [("lt20", D)]


def test_tokens_expiring_within_90_days():
    assert due_alerts(snap(expiring=300), yesterday(expiring=0)) == [("expiring", D)]
    assert due_alerts(snap(expiring=300), yesterday(expiring=500)) == []


def test_projected_end_30_days_away():
    end = D + timedelta(days=30)
    assert due_alerts(snap(end=end), yesterday(end=end)) == [("projected_end", D)]
    assert due_alerts(snap(end=end), yesterday(end=D + timedelta(days=29))) == []
    assert due_alerts(snap(end=D + timedelta(days=31)), yesterday()) == []


def test_onboarding_alert_is_one_event_per_purchase():
    start = D - timedelta(days=30)
    due = due_alerts(snap(consumption=0, rate=1.0, start=start), yesterday(consumption=0, rate=1.0))
    assert due == [("onboarding", D)]
    later = snap(as_of=D + timedelta(days=3), consumption=0, rate=1.0, start=start)
    assert due_alerts(later, None, transitions=False) == [("onboarding", D)]  # the same event
    stale = snap(as_of=D + timedelta(days=30), consumption=0, rate=1.0, start=start)
    assert due_alerts(stale, None, transitions=False) == []
    started = snap(consumption=5, rate=0.995, start=start)
    assert due_alerts(started, yesterday(consumption=5, rate=0.995)) == []


def test_a_new_team_enters_what_it_is_in_the_first_figures_of_a_partner_raise_nothing():
    assert due_alerts(snap(rate=0.1), None) == [("lt20", D)]
    assert due_alerts(snap(rate=0.1), None, transitions=False) == []


def test_an_empty_pool_raises_no_bucket_alert():
    assert due_alerts(snap(total=0, rate=None, consumption=0), yesterday(rate=0.1)) == []
