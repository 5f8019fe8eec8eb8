"""The time ranges of usage reporting (SPEC §9), as pure date arithmetic (no Django).

A range is chosen in the URL so that a view can be shared:

- `range=30d`: the past 30 complete days, D−30 … D−1; counts as one month for averages.
- `range=3m|6m|9m|12m`: the N most recent fully completed calendar months. With
  D = 2026-03-10, 3m is 2025-12-01 … 2026-02-28. When D is the 1st, the month before D
  is complete, so it is the last month of the range.
- `start=YYYY-MM-DD&end=YYYY-MM-DD`: a custom range of complete days (end ≤ D−1), at most
  MAX_CUSTOM_DAYS long.

Months of a range (the divisor of "average tokens per month"): the presets count exactly
1, 3, 6, 9 or 12. A custom range counts every calendar month it covers in full as one
month and a partly covered month as the share of that month's days it covers (10 of
31 days = 10/31). So a custom range that equals a preset month range gets the same
average as the preset, and a fortnight is about half a month whatever the month.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

DEFAULT = "30d"
PRESETS: dict[str, str] = {
    "30d": "Past 30 days",
    "3m": "Past 3 months",
    "6m": "Past 6 months",
    "9m": "Past 9 months",
    "12m": "Past 12 months",
}
CUSTOM = "custom"
# Three years, a leap day included: enough for year-on-year views, bounded for the database.
MAX_CUSTOM_DAYS = 3 * 365 + 1
# Flex tokens did not exist before this; it also keeps week and month arithmetic in range.
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class DateRange:
    """A closed interval of days [start, end] with how it was chosen."""

    key: str  # a PRESETS key or CUSTOM
    start: date
    end: date
    months: float  # divisor of the monthly averages
    label: str = field(default="")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_custom(self) -> bool:
        return self.key == CUSTOM

    def params(self) -> dict[str, str]:
        """The query parameters naming this range (for links and exports)."""
        if self.is_custom:
            return {"start": self.start.isoformat(), "end": self.end.isoformat()}
        return {"range": self.key}

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def last_complete_day(today: date) -> date:
    return today - timedelta(days=1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before, when negative) day's month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def preset(key: str, today: date) -> DateRange:
    """One of PRESETS as of business date `today` (KeyError for an unknown key)."""
    label = PRESETS[key]
    if key == "30d":
        return DateRange(key, today - timedelta(days=30), today - timedelta(days=1), 1.0, label)
    count = int(key[:-1])
    end = month_start(today) - timedelta(days=1)  # the last day of the last complete month
    start = add_months(end, -(count - 1))
    return DateRange(key, start, end, float(count), label)


def months_in(start: date, end: date) -> float:
    """Calendar months covered by [start, end]: a full month is 1, a partial one its share
    of days (see the module docstring)."""
    if end < start:
        return 0.0
    total = 0.0
    cursor = month_start(start)
    while cursor <= end:
        length = days_in_month(cursor)
        first = max(cursor, start)
        last = min(cursor + timedelta(days=length - 1), end)
        covered = (last - first).days + 1
        total += 1.0 if covered == length else covered / length
        cursor = add_months(cursor, 1)
    return total


def custom(start: date, end: date) -> DateRange:
    label = f"{start.isoformat()} – {end.isoformat()}"
    return DateRange(CUSTOM, start, end, months_in(start, end), label)


class RangeError(ValueError):
    """A range that cannot be used; the message says what to change."""


def _iso(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise RangeError(f"The {what} date must be a date as YYYY-MM-DD, not {value!r}.") from None


def validate_custom(start: date, end: date, today: date) -> None:
    last = last_complete_day(today)
    if start < EARLIEST:
        raise RangeError(f"Choose a start date on or after {EARLIEST.isoformat()}.")
    if start > end:
        raise RangeError(
            f"The start date ({start.isoformat()}) is after the end date ({end.isoformat()})."
        )
    if end > last:
        raise RangeError(
            f"Usage is reported for complete days: choose an end date on or before "
            f"{last.isoformat()} (yesterday)."
        )
    if (end - start).days + 1 > MAX_CUSTOM_DAYS:
        raise RangeError(
            f"A custom range spans at most {MAX_CUSTOM_DAYS:,} days (three years); "
            f"this one spans {(end - start).days + 1:,}."
        )


def parse(params: Mapping[str, str], today: date) -> DateRange:
    """The range named by query parameters; RangeError with a clear message when they are
    wrong. No parameter at all is the default range (past 30 days)."""
    start_text = (params.get("start") or "").strip()
    end_text = (params.get("end") or "").strip()
    key = (params.get("range") or "").strip()
    if start_text or end_text or key == CUSTOM:
        if not start_text or not end_text:
            raise RangeError("A custom range needs both a start date and an end date.")
        start, end = _iso(start_text, "start"), _iso(end_text, "end")
        validate_custom(start, end, today)
        return custom(start, end)
    key = key or DEFAULT
    if key not in PRESETS:
        choices = ", ".join(PRESETS)
        raise RangeError(f"Unknown range {key!r}: choose one of {choices}, or a start and end.")
    return preset(key, today)


def parse_or_default(params: Mapping[str, str], today: date) -> tuple[DateRange, str]:
    """The range of the parameters, or the default range and the reason it was not used."""
    try:
        return parse(params, today), ""
    except RangeError as exc:
        return preset(DEFAULT, today), str(exc)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def split_months(
    start: date, end: date
) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """[start, end] as (first, last) month start of the calendar months it covers in full
    (None when there is none), and the day spans of the months it cuts (at most two).

    Monthly roll-ups serve the full months; the raw rows serve the cut ones."""
    full_first = start if start.day == 1 else add_months(start, 1)
    full_last = month_start(end) if end == month_end(end) else add_months(end, -1)
    if full_first > full_last:  # no whole month inside: at most two partial spans
        if month_start(start) == month_start(end):
            return None, [(start, end)]
        return None, [(start, month_end(start)), (month_start(end), end)]
    spans = []
    if start < full_first:
        spans.append((start, full_first - timedelta(days=1)))
    if end > month_end(full_last):
        spans.append((add_months(full_last, 1), end))
    return (full_first, full_last), spans


def weeks(start: date, end: date) -> list[date]:
    """The Mondays of the ISO weeks touching [start, end] (the first may be before start)."""
    monday = start - timedelta(days=start.weekday())
    result = []
    while monday <= end:
        result.append(monday)
        monday += timedelta(days=7)
    return result


def month_starts(start: date, end: date) -> list[date]:
    """The first day of every calendar month touching [start, end]."""
    result = []
    cursor = month_start(start)
    while cursor <= end:
        result.append(cursor)
        cursor = add_months(cursor, 1)
    return result
