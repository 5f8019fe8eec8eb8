"""The shared cell parsers (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from usage.imports import values as v


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2025-01-03", date(2025, 1, 3)),
        ("2025-01-03T23:59:59", date(2025, 1, 3)),
        ("2025-01-03T23:59:59Z", date(2025, 1, 3)),
        ("2025-01-03 08:00:00+02:00", date(2025, 1, 3)),
        ("2024-02-29", date(2024, 2, 29)),
    ],
)
def test_dates_are_iso_dates_or_datetimes(text, day):
    assert v.parse_date(text, "day") == day


@pytest.mark.parametrize("text", ["2025-13-01", "03/01/2025", "2025-02-30", "yesterday", "45000"])
def test_other_dates_are_refused(text):
    with pytest.raises(v.BadValue, match=rf"day: bad date '{text}' \(expected YYYY-MM-DD\)"):
        v.parse_date(text, "day")


def test_a_missing_value_is_named():
    with pytest.raises(v.BadValue, match="^start_date: missing required value$"):
        v.parse_date("", "start_date")


@pytest.mark.parametrize(
    ("text", "number"), [("7", 7), ("7.0", 7), ("+7", 7), ("-3", -3), ("0", 0)]
)
def test_whole_numbers(text, number):
    assert v.parse_whole(text, "n") == number


@pytest.mark.parametrize("text", ["7.5", "1,000", "1 000", "seven", "1e3", "0x10"])
def test_non_whole_numbers_are_bad_numbers(text):
    with pytest.raises(v.BadValue, match="bad number"):
        v.parse_whole(text, "n")


def test_whole_number_bounds():
    with pytest.raises(v.BadValue, match="quantity: must be positive, not 0"):
        v.parse_whole("0", "quantity", minimum=1)
    with pytest.raises(v.BadValue, match="must be at least 0, not -1"):
        v.parse_whole("-1", "q", minimum=0)
    with pytest.raises(v.BadValue, match="too large"):
        v.parse_whole("99999999999", "q")


def test_decimals():
    assert v.parse_decimal("3.5", "p", max_digits=10, places=4) == Decimal("3.5000")
    with pytest.raises(v.BadValue, match="more than 2 decimal places"):
        v.parse_decimal("3.505", "p", max_digits=5, places=2)
    with pytest.raises(v.BadValue, match="too large"):
        v.parse_decimal("1000", "p", max_digits=5, places=2)
    with pytest.raises(v.BadValue, match="bad number '3,50'"):
        v.parse_decimal("3,50", "p", max_digits=5, places=2)
    with pytest.raises(v.BadValue, match="must be at least 0"):
        v.parse_decimal("-1", "p", max_digits=5, places=2, minimum=Decimal(0))
    with pytest.raises(v.BadValue, match="must be positive"):
        v.parse_decimal("0", "p", max_digits=5, places=2, positive=True)


def test_currencies_are_iso_codes():
    assert v.parse_currency("usd", "currency") == "USD"
    for text in ("US$", "$", "Dollar", "UDS"):
        with pytest.raises(v.BadValue, match="unknown currency format"):
            v.parse_currency(text, "currency")


def test_csn_and_country():
    assert v.parse_csn("5100000001", "csn") == "5100000001"
    with pytest.raises(v.BadValue, match="bad CSN"):
        v.parse_csn("51 00", "csn")
    assert v.parse_country("de", "country") == "DE"
    assert v.parse_country("", "country") == ""
    with pytest.raises(v.BadValue, match="bad country"):
        v.parse_country("Germany", "country")


@pytest.mark.parametrize(
    ("text", "masked"), [("*****", True), ("*", True), ("a*b", False), ("", False)]
)
def test_masked_values(text, masked):
    assert v.is_masked(text) is masked
