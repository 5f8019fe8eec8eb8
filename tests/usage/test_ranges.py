"""Range arithmetic of usage reporting (usage.ranges): plain dates, no database."""

from __future__ import annotations

from datetime import date

import pytest

from usage import ranges
from usage.ranges import RangeError

D = date(2026, 3, 10)


def span(rng: ranges.DateRange) -> tuple[date, date]:
    return rng.start, rng.end


# ------------------------------------------------------------------ presets


def test_past_30_days_is_d_minus_30_to_d_minus_1_and_one_month():
    rng = ranges.preset("30d", D)
    assert span(rng) == (date(2026, 2, 8), date(2026, 3, 9))
    assert rng.days == 30
    assert rng.months == 1.0
    assert D not in rng and date(2026, 3, 9) in rng and date(2026, 2, 7) not in rng


def test_month_presets_are_the_most_recent_complete_months():
    # SPEC §9: D = 2026-03-10, 3 months = 2025-12-01 … 2026-02-28.
    assert span(ranges.preset("3m", D)) == (date(2025, 12, 1), date(2026, 2, 28))
    assert span(ranges.preset("6m", D)) == (date(2025, 9, 1), date(2026, 2, 28))
    assert span(ranges.preset("9m", D)) == (date(2025, 6, 1), date(2026, 2, 28))
    assert span(ranges.preset("12m", D)) == (date(2025, 3, 1), date(2026, 2, 28))
    for key, months in (("3m", 3), ("6m", 6), ("9m", 9), ("12m", 12)):
        assert ranges.preset(key, D).months == months
    # 31 + 31 + 28 days
    assert ranges.preset("3m", D).days == 90


def test_d_on_the_first_makes_the_month_before_complete():
    first = date(2026, 3, 1)
    assert span(ranges.preset("3m", first)) == (date(2025, 12, 1), date(2026, 2, 28))
    assert span(ranges.preset("30d", first)) == (date(2026, 1, 30), date(2026, 2, 28))
    january = date(2026, 1, 1)
    assert span(ranges.preset("12m", january)) == (date(2025, 1, 1), date(2025, 12, 31))


def test_d_on_the_last_day_of_a_month_leaves_that_month_out():
    assert span(ranges.preset("3m", date(2026, 3, 31))) == (date(2025, 12, 1), date(2026, 2, 28))


def test_leap_years():
    # February 2024 has 29 days, February 2025 has 28.
    assert span(ranges.preset("3m", date(2024, 3, 15))) == (date(2023, 12, 1), date(2024, 2, 29))
    assert ranges.preset("3m", date(2024, 3, 15)).days == 31 + 31 + 29
    assert span(ranges.preset("30d", date(2024, 3, 1))) == (date(2024, 1, 31), date(2024, 2, 29))
    assert span(ranges.preset("12m", date(2024, 3, 1))) == (date(2023, 3, 1), date(2024, 2, 29))
    assert ranges.preset("12m", date(2024, 3, 1)).days == 366
    assert ranges.preset("12m", date(2025, 3, 1)).days == 365


def test_ranges_across_the_year_end():
    assert span(ranges.preset("30d", date(2026, 1, 5))) == (date(2025, 12, 6), date(2026, 1, 4))
    assert span(ranges.preset("6m", date(2026, 1, 5))) == (date(2025, 7, 1), date(2025, 12, 31))


# ------------------------------------------------------------------ months of a range


def test_months_of_a_custom_range_count_full_months_as_one_and_partial_ones_by_day_share():
    assert ranges.months_in(date(2025, 12, 1), date(2026, 2, 28)) == 3.0  # as the 3m preset
    assert ranges.months_in(date(2026, 2, 1), date(2026, 2, 28)) == 1.0  # 28 days, one month
    assert ranges.months_in(date(2024, 2, 1), date(2024, 2, 29)) == 1.0  # 29 days, one month
    # 10 of February 2024's 29 days
    assert ranges.months_in(date(2024, 2, 1), date(2024, 2, 10)) == pytest.approx(10 / 29)
    # 17 of December's 31 days + January in full
    assert ranges.months_in(date(2025, 12, 15), date(2026, 1, 31)) == pytest.approx(48 / 31)
    # 17/31 of January + 14/28 of February
    assert ranges.months_in(date(2026, 1, 15), date(2026, 2, 14)) == pytest.approx(
        17 / 31 + 14 / 28
    )
    assert ranges.months_in(date(2026, 1, 10), date(2026, 1, 10)) == pytest.approx(1 / 31)


def test_custom_range_carries_its_months_and_label():
    rng = ranges.custom(date(2025, 12, 15), date(2026, 1, 31))
    assert rng.is_custom and rng.months == pytest.approx(48 / 31)
    assert rng.label == "2025-12-15 – 2026-01-31"
    assert rng.params() == {"start": "2025-12-15", "end": "2026-01-31"}
    assert ranges.preset("6m", D).params() == {"range": "6m"}


# ------------------------------------------------------------------ parsing and validation


def test_parse_presets_and_default():
    assert ranges.parse({}, D) == ranges.preset("30d", D)
    assert ranges.parse({"range": "9m"}, D) == ranges.preset("9m", D)
    assert span(ranges.parse({"start": "2025-12-15", "end": "2026-01-31"}, D)) == (
        date(2025, 12, 15),
        date(2026, 1, 31),
    )
    # Custom dates win over a preset named alongside them.
    assert ranges.parse({"range": "3m", "start": "2026-01-01", "end": "2026-01-02"}, D).is_custom


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"range": "2y"}, "Unknown range '2y'"),
        ({"start": "2026-01-01"}, "needs both a start date and an end date"),
        ({"range": "custom", "end": "2026-01-01"}, "needs both"),
        ({"start": "2026-13-01", "end": "2026-01-02"}, "start date must be a date as YYYY-MM-DD"),
        ({"start": "2026-01-01", "end": "01/02/2026"}, "end date must be a date as YYYY-MM-DD"),
        ({"start": "2026-02-10", "end": "2026-02-01"}, "is after the end date"),
        ({"start": "2026-03-01", "end": "2026-03-10"}, "on or before 2026-03-09 (yesterday)"),
        ({"start": "2023-03-08", "end": "2026-03-09"}, "at most 1,096 days"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "on or after 2000-01-01"),
    ],
)
def test_bad_ranges_say_what_to_change(params, message):
    with pytest.raises(RangeError, match=None) as caught:
        ranges.parse(params, D)
    assert message in str(caught.value)
    fallback, problem = ranges.parse_or_default(params, D)
    assert fallback == ranges.preset("30d", D)
    assert message in problem


def test_longest_custom_range_is_three_years_and_ends_yesterday():
    rng = ranges.parse({"start": "2023-03-10", "end": "2026-03-09"}, D)
    assert rng.days == ranges.MAX_CUSTOM_DAYS == 1096
    assert ranges.parse({"start": "2026-03-09", "end": "2026-03-09"}, D).days == 1


# ------------------------------------------------------------------ splitting and calendars


def test_split_months_full_months_and_cut_ends():
    split = ranges.split_months
    assert split(date(2025, 12, 1), date(2026, 2, 28)) == (
        (date(2025, 12, 1), date(2026, 2, 1)),
        [],
    )
    assert split(date(2026, 2, 8), date(2026, 3, 9)) == (
        None,
        [(date(2026, 2, 8), date(2026, 2, 28)), (date(2026, 3, 1), date(2026, 3, 9))],
    )
    assert split(date(2025, 12, 15), date(2026, 1, 31)) == (
        (date(2026, 1, 1), date(2026, 1, 1)),
        [(date(2025, 12, 15), date(2025, 12, 31))],
    )
    assert split(date(2025, 11, 20), date(2026, 2, 10)) == (
        (date(2025, 12, 1), date(2026, 1, 1)),
        [(date(2025, 11, 20), date(2025, 11, 30)), (date(2026, 2, 1), date(2026, 2, 10))],
    )
    assert split(date(2026, 1, 5), date(2026, 1, 20)) == (
        None,
        [(date(2026, 1, 5), date(2026, 1, 20))],
    )
    assert split(date(2024, 2, 1), date(2024, 2, 29)) == ((date(2024, 2, 1), date(2024, 2, 1)), [])


def test_weeks_and_month_starts():
    # 2025-12-01 is a Monday, 2026-02-28 a Saturday: 13 ISO weeks.
    weeks = ranges.weeks(date(2025, 12, 1), date(2026, 2, 28))
    assert len(weeks) == 13 and weeks[0] == date(2025, 12, 1) and weeks[-1] == date(2026, 2, 23)
    assert ranges.weeks(date(2026, 2, 8), date(2026, 2, 8)) == [date(2026, 2, 2)]
    assert ranges.month_starts(date(2026, 2, 8), date(2026, 3, 9)) == [
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
