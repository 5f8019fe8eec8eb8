"""Parsing of single cell values, shared by every kind of feed.

Each parser takes the stripped text of a cell and the column label the operator sees, and
returns a Python value or raises BadValue with a reason that names the column and the value.
They are plain functions (no Django, no database), so they are unit-tested directly.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

# ISO 4217 codes in use. A feed with "US$" or a typo ("UDS") must not create prices in an
# unknown currency that no price list can ever match.
ISO_CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR
    ZMW ZWG
    """.split()
)

CSN_RE = re.compile(r"^[A-Za-z0-9-]{3,20}$")  # spp.models.csn_validator
COUNTRY_RE = re.compile(r"^[A-Za-z]{2}$")
WHOLE_RE = re.compile(r"^[+-]?\d+(?:\.0*)?$")  # "7" and "7.0" (spreadsheets write both)
DECIMAL_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
MASKED_RE = re.compile(r"^\*+$")  # Autodesk masks personal data as "*****"

INT32_MAX = 2**31 - 1


class BadValue(ValueError):
    """A cell that cannot be used; the message is the reason shown to the operator."""


def required(value: str, label: str) -> str:
    if value == "":
        raise BadValue(f"{label}: missing required value")
    return value


def max_length(value: str, label: str, limit: int) -> str:
    if len(value) > limit:
        raise BadValue(f"{label}: longer than {limit} characters ({len(value)})")
    return value


def parse_date(value: str, label: str) -> date:
    """An ISO date, or an ISO date-time (its date, as written: no zone conversion).

    Spreadsheet date cells arrive here already as ISO text (see reader.cell_text). Other
    notations (03/01/2025) are refused: day and month cannot be told apart.
    """
    required(value, label)
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise BadValue(f"{label}: bad date {value!r} (expected YYYY-MM-DD)") from None


def parse_whole(value: str, label: str, *, minimum: int | None = None) -> int:
    """A whole number ("7", "7.0"); "7.5" and "1,000" are refused rather than guessed."""
    required(value, label)
    if not WHOLE_RE.match(value):
        raise BadValue(f"{label}: bad number {value!r} (a whole number is required)")
    number = int(value.split(".", 1)[0])
    if abs(number) > INT32_MAX:
        raise BadValue(f"{label}: number {value!r} is too large")
    if minimum is not None and number < minimum:
        if minimum == 1:
            raise BadValue(f"{label}: must be positive, not {number}")
        raise BadValue(f"{label}: must be at least {minimum}, not {number}")
    return number


def parse_decimal(
    value: str,
    label: str,
    *,
    max_digits: int,
    places: int,
    minimum: Decimal | None = None,
    positive: bool = False,
) -> Decimal:
    """A decimal with a point ("3.50"); a comma is refused (thousands or decimal? unclear)."""
    required(value, label)
    if not DECIMAL_RE.match(value):
        raise BadValue(f"{label}: bad number {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise BadValue(f"{label}: bad number {value!r}") from None
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise BadValue(f"{label}: {value!r} has more than {places} decimal places")
    if abs(number) >= Decimal(10) ** (max_digits - places):
        raise BadValue(f"{label}: number {value!r} is too large")
    if positive and number <= 0:
        raise BadValue(f"{label}: must be positive, not {value}")
    if minimum is not None and number < minimum:
        raise BadValue(f"{label}: must be at least {minimum}, not {value}")
    return number.quantize(Decimal(1).scaleb(-places))


def parse_currency(value: str, label: str) -> str:
    required(value, label)
    code = value.upper()
    if code not in ISO_CURRENCIES:
        raise BadValue(
            f"{label}: unknown currency format {value!r} (a three-letter ISO code such as USD)"
        )
    return code


def parse_csn(value: str, label: str) -> str:
    required(value, label)
    if not CSN_RE.match(value):
        raise BadValue(f"{label}: bad CSN {value!r} (3 to 20 letters, digits or dashes)")
    return value


def parse_country(value: str, label: str) -> str:
    """Optional two-letter country code, upper-cased; blank stays blank."""
    if value == "":
        return ""
    if not COUNTRY_RE.match(value):
        raise BadValue(f"{label}: bad country {value!r} (a two-letter ISO code such as US)")
    return value.upper()


def is_masked(value: str) -> bool:
    return bool(MASKED_RE.match(value))
