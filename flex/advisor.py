"""The Flex advisor (SPEC §10): what Autodesk's reporting does not tell a customer.

Pure Python, no Django: plain data in, plain data out, tested against hand-computed
fixtures (tests/flex/test_advisor.py). The decisions the SPEC leaves open:

- **Segments** by a user's average days used per month over the range (distinct days
  with any product ÷ the range's months, usage.ranges): power ≥ 18, regular ≥ 8 (8–17),
  occasional ≥ 3 (3–7), rare < 3. Averages are not rounded first: 17.5 is regular.
- **Named user vs Flex**, per user and product, over the range, annualised (× 12 ÷ the
  range's months): Flex cost = tokens × token price; named-user cost = the catalog's
  named-user price (a yearly price). Break-even days per month = (named price ÷ 12) ÷
  (daily rate × token price). A user is cheaper on a named seat when the yearly Flex cost
  exceeds the seat's price; the saving is the difference.
- **Currencies**: the token price is the partner's in the catalog price's currency (its
  price list in that currency, or its default price when that is its own currency). When
  the partner has no price in that currency the comparison is skipped and says so: no
  exchange rate is ever invented.
- **Forecast waste** is the recompute's `forecast_expiring_unused` (the forward replay at
  the 30-day rate, or the 180-day rate when nothing was used in 30 days). The **refill
  quantity** is what the pool lacks to run at that rate until the partner's latest pack
  end: ceil(rate × days from D to the latest end) − (balance − forecast waste), never
  negative. Tokens that will expire unused cannot serve that burn, so they are not counted
  as available; a team with waste and no shortfall needs no refill before its latest end,
  and buying one early would only add to the waste. When a refill is needed it should
  start by the projected run-out date.
- **Seasonality** by calendar month (January … December): the average tokens of each
  calendar month over the full months of the range, with the peak month and its ratio to
  the average month. Cut months (the 30-day range) are left out. Twelve calendar months
  read January to December; fewer read in the order the range runs (Dec, Jan, Feb).
- **Business hours** (off-hours use): 07:00–19:00 Monday to Friday, local time of the
  team's country (one representative time zone per country, COUNTRY_ZONES; UTC when the
  country is unknown, and the page says which zone it used). A charge is off-hours when
  its window opened outside them.
- **Session period**: the range; a preset range (complete months) is carried on to
  yesterday for the session-based figures, so that the latest logs count.
- **Short-session waste**: a charge (tokens > 0) whose 24-hour window held under 30
  minutes of use (every session of the user and product inside the window, overlaps
  counted once). A charge can be both short and off-hours; each figure counts it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

from usage.metering import Charge, charge_use

# (key, label, lowest average days per month), highest first.
SEGMENTS: tuple[tuple[str, str, float], ...] = (
    ("power", "Power", 18),
    ("regular", "Regular", 8),
    ("occasional", "Occasional", 3),
    ("rare", "Rare", 0),
)
SEGMENT_HELP = "Average days used per month: power ≥ 18, regular 8–17, occasional 3–7, rare < 3."
SHORT_WINDOW = timedelta(minutes=30)
BUSINESS_START, BUSINESS_END = time(7), time(19)  # local time, Monday to Friday
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# One representative zone per country (the most populous one where there are several).
COUNTRY_ZONES: dict[str, str] = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo",
    "AR": "America/Argentina/Buenos_Aires",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "FR": "Europe/Paris",
    "DE": "Europe/Berlin",
    "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels",
    "LU": "Europe/Luxembourg",
    "CH": "Europe/Zurich",
    "AT": "Europe/Vienna",
    "IT": "Europe/Rome",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo",
    "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
    "PL": "Europe/Warsaw",
    "CZ": "Europe/Prague",
    "HU": "Europe/Budapest",
    "RO": "Europe/Bucharest",
    "GR": "Europe/Athens",
    "TR": "Europe/Istanbul",
    "IL": "Asia/Jerusalem",
    "AE": "Asia/Dubai",
    "SA": "Asia/Riyadh",
    "ZA": "Africa/Johannesburg",
    "IN": "Asia/Kolkata",
    "SG": "Asia/Singapore",
    "MY": "Asia/Kuala_Lumpur",
    "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong",
    "TW": "Asia/Taipei",
    "KR": "Asia/Seoul",
    "JP": "Asia/Tokyo",
    "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland",
}
UTC_ZONE = "UTC"


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class UserUse:
    """One user over the range: tokens and distinct days, in all and per product."""

    user: str
    label: str
    tokens: int
    days: int
    products: Mapping[int, tuple[int, int]]  # product id -> (tokens, days used)


@dataclass(frozen=True)
class Catalog:
    """A product's catalog figures in force: daily rate and yearly named-user price."""

    tokens_per_day: Decimal
    named_user_price: Decimal | None
    currency: str


# ------------------------------------------------------------------ segments


def segment_of(avg_days: float) -> str:
    for key, _, lowest in SEGMENTS:
        if avg_days >= lowest:
            return key
    return SEGMENTS[-1][0]


def segment_label(key: str) -> str:
    return next(label for k, label, _ in SEGMENTS if k == key)


@dataclass(frozen=True)
class UserSegment:
    user: str
    label: str
    segment: str
    days: int
    avg_days: float
    tokens: int


@dataclass(frozen=True)
class SegmentCount:
    segment: str
    label: str
    users: int
    tokens: int
    share: float | None  # of the users


def user_segments(users: Iterable[UserUse], months: float) -> list[UserSegment]:
    """Each user's segment by average days used per month, most days first."""
    result = []
    for user in users:
        avg = user.days / months if months > 0 else 0.0
        result.append(
            UserSegment(user.user, user.label, segment_of(avg), user.days, avg, user.tokens)
        )
    return sorted(result, key=lambda u: (-u.avg_days, -u.tokens, u.label))


def segment_counts(segments: Sequence[UserSegment]) -> list[SegmentCount]:
    """Users and tokens per segment, every segment listed (power first)."""
    total = len(segments)
    rows = []
    for key, label, _ in SEGMENTS:
        members = [s for s in segments if s.segment == key]
        rows.append(
            SegmentCount(
                key,
                label,
                len(members),
                sum(s.tokens for s in members),
                len(members) / total if total else None,
            )
        )
    return rows


# ------------------------------------------------------------------ named user vs Flex


@dataclass(frozen=True)
class SeatAdvice:
    """One user and product: what a year costs on Flex and on a named seat."""

    user: str
    label: str
    product: int
    tokens: int
    days: int
    avg_days: float  # days used per month
    currency: str
    token_price: Decimal | None
    daily_rate: Decimal | None
    break_even_days: float | None  # per month; None when not comparable
    flex_cost_year: Decimal | None
    named_cost_year: Decimal | None
    saving_year: Decimal | None  # > 0 only when cheaper on a named seat
    note: str = ""

    @property
    def comparable(self) -> bool:
        return self.flex_cost_year is not None and self.named_cost_year is not None

    @property
    def cheaper_on_named(self) -> bool:
        return bool(self.saving_year and self.saving_year > 0)

    @property
    def recommendation(self) -> str:
        if not self.comparable:
            return "—"
        return "Named seat" if self.cheaper_on_named else "Flex"


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def seat_advice(
    users: Iterable[UserUse],
    months: float,
    catalog: Mapping[int, Catalog],
    prices: Mapping[str, Decimal],
) -> list[SeatAdvice]:
    """Named user vs Flex for every user and product of the range, largest saving first,
    then the largest Flex cost. `prices`: the partner's token price per currency."""
    rows = []
    factor = Decimal(12) / Decimal(str(months)) if months > 0 else Decimal(0)
    for user in users:
        for product, (tokens, days) in user.products.items():
            avg = days / months if months > 0 else 0.0
            entry = catalog.get(product)
            base = {
                "user": user.user,
                "label": user.label,
                "product": product,
                "tokens": tokens,
                "days": days,
                "avg_days": avg,
            }
            if entry is None or entry.named_user_price is None:
                rows.append(
                    SeatAdvice(
                        **base,
                        currency="",
                        token_price=None,
                        daily_rate=entry.tokens_per_day if entry else None,
                        break_even_days=None,
                        flex_cost_year=None,
                        named_cost_year=None,
                        saving_year=None,
                        note="no named-user price in the catalog",
                    )
                )
                continue
            price = prices.get(entry.currency)
            if price is None:
                rows.append(
                    SeatAdvice(
                        **base,
                        currency=entry.currency,
                        token_price=None,
                        daily_rate=entry.tokens_per_day,
                        break_even_days=None,
                        flex_cost_year=None,
                        named_cost_year=entry.named_user_price,
                        saving_year=None,
                        note=(
                            f"the catalog's named-user price is in {entry.currency} and you "
                            f"have no token price in {entry.currency}: not compared (no "
                            "exchange rate is applied)"
                        ),
                    )
                )
                continue
            flex_year = _money(Decimal(tokens) * price * factor)
            named_year = _money(entry.named_user_price)
            daily_cost = entry.tokens_per_day * price
            break_even = float(named_year / 12 / daily_cost) if daily_cost > 0 else None
            rows.append(
                SeatAdvice(
                    **base,
                    currency=entry.currency,
                    token_price=price,
                    daily_rate=entry.tokens_per_day,
                    break_even_days=break_even,
                    flex_cost_year=flex_year,
                    named_cost_year=named_year,
                    saving_year=flex_year - named_year if flex_year > named_year else None,
                )
            )
    return sorted(
        rows,
        key=lambda r: (
            -(r.saving_year or 0),
            -(r.flex_cost_year or 0),
            r.label,
            r.product,
        ),
    )


@dataclass(frozen=True)
class SavingSummary:
    users: int  # distinct users with at least one product cheaper on a named seat
    seats: int  # user-product pairs cheaper on a named seat
    saving_year: dict[str, Decimal]  # per currency (one, unless the catalog mixes them)
    not_compared: int  # user-product pairs without a comparison


def saving_summary(advice: Iterable[SeatAdvice]) -> SavingSummary:
    advice = list(advice)
    cheaper = [a for a in advice if a.cheaper_on_named]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in cheaper:
        totals[row.currency] += row.saving_year
    return SavingSummary(
        users=len({a.user for a in cheaper}),
        seats=len(cheaper),
        saving_year=dict(totals),
        not_compared=sum(1 for a in advice if not a.comparable),
    )


# ------------------------------------------------------------------ forecast waste and refill


@dataclass(frozen=True)
class WasteForecast:
    as_of: date
    balance: int
    daily_rate: float  # tokens per day: rate_30, or rate_180 when rate_30 is 0
    rate_basis: str  # "30 days" or "180 days"
    waste: int  # forecast_expiring_unused
    latest_end: date | None  # the partner's latest pack end
    runout: date | None  # the day the pool runs dry (or its last end)
    need: int | None  # tokens to run at the rate until latest_end
    refill: int | None  # None: no latest end (no pack of the partner's in the pool)
    price: Decimal | None
    currency: str

    @property
    def waste_value(self) -> Decimal | None:
        return _money(self.price * self.waste) if self.price is not None else None

    @property
    def refill_value(self) -> Decimal | None:
        if self.price is None or self.refill is None:
            return None
        return _money(self.price * self.refill)

    @property
    def usable(self) -> int:
        return max(self.balance - self.waste, 0)


def forecast_waste(
    *,
    as_of: date,
    balance: int,
    rate_30: float,
    rate_180: float,
    waste: int,
    latest_end: date | None,
    runout: date | None,
    price: Decimal | None,
    currency: str,
) -> WasteForecast:
    """Forecast waste and the refill quantity that avoids running dry before the latest
    end without adding to the waste (see the module docstring)."""
    rate, basis = (rate_30, "30 days") if rate_30 > 0 else (rate_180, "180 days")
    need = refill = None
    if latest_end is not None:
        days = max((latest_end - as_of).days, 0)
        # The stored rate is a float (used ÷ 30): round off its last bits before the ceiling.
        exact = (Decimal(str(rate)) * days).quantize(Decimal("0.000001"))
        need = int(exact.to_integral_value(rounding=ROUND_CEILING))
        refill = max(need - max(balance - waste, 0), 0)
    return WasteForecast(
        as_of, balance, rate, basis, waste, latest_end, runout, need, refill, price, currency
    )


# ------------------------------------------------------------------ product mix and season


@dataclass(frozen=True)
class MixRow:
    product: int
    users: int
    tokens: int
    share: float | None


def product_mix(users: Iterable[UserUse]) -> list[MixRow]:
    """Share of tokens per product (and its users), largest first."""
    tokens: dict[int, int] = defaultdict(int)
    people: dict[int, int] = defaultdict(int)
    for user in users:
        for product, (amount, _) in user.products.items():
            tokens[product] += amount
            people[product] += 1
    total = sum(tokens.values())
    rows = [MixRow(p, people[p], t, t / total if total else None) for p, t in tokens.items()]
    return sorted(rows, key=lambda r: (-r.tokens, r.product))


@dataclass(frozen=True)
class SeasonMonth:
    month: int  # 1 … 12
    name: str
    tokens: float  # average over the months of the range that are this calendar month
    months: int  # how many full months of the range it averages
    index: float | None  # tokens ÷ the average month (1.0 = an average month)


@dataclass
class Season:
    months: list[SeasonMonth] = field(default_factory=list)  # Jan–Dec, or the range's order
    peak: SeasonMonth | None = None
    average: float = 0.0

    @property
    def peak_ratio(self) -> float | None:
        return self.peak.index if self.peak else None


def seasonality(monthly: Mapping[date, int], full_months: Sequence[date]) -> Season:
    """Average tokens per calendar month over the full months of the range (`monthly`:
    month start -> tokens; months without usage count as 0)."""
    sums: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    for month in full_months:
        sums[month.month] += int(monthly.get(month, 0))
        counts[month.month] += 1
    if not counts:
        return Season()
    averages = {m: sums[m] / counts[m] for m in counts}
    mean = sum(averages.values()) / len(averages)
    # A whole year reads January to December; a shorter range in the order it runs.
    order = sorted(averages) if len(averages) == 12 else list(dict.fromkeys(counts))
    months = [
        SeasonMonth(
            m, MONTH_NAMES[m - 1], averages[m], counts[m], averages[m] / mean if mean else None
        )
        for m in order
    ]
    peak = max(months, key=lambda s: (s.tokens, -s.month)) if mean > 0 else None
    return Season(months, peak, mean)


# ------------------------------------------------------------------ from the sessions


def zone_for(country: str) -> ZoneInfo:
    return ZoneInfo(COUNTRY_ZONES.get((country or "").upper(), UTC_ZONE))


def in_business_hours(moment: datetime, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone)
    return local.weekday() < 5 and BUSINESS_START <= local.time() < BUSINESS_END


@dataclass(frozen=True)
class FlaggedCharge:
    charge: Charge
    use: timedelta
    local_open: datetime
    short: bool
    off_hours: bool


@dataclass
class SessionWaste:
    charges: int  # charges with tokens in the range
    tokens: Decimal
    flagged: list[FlaggedCharge]
    zone: str

    @property
    def short(self) -> list[FlaggedCharge]:
        return [f for f in self.flagged if f.short]

    @property
    def off_hours(self) -> list[FlaggedCharge]:
        return [f for f in self.flagged if f.off_hours]

    @property
    def short_tokens(self) -> Decimal:
        return sum((f.charge.tokens for f in self.short), Decimal(0))

    @property
    def off_hours_tokens(self) -> Decimal:
        return sum((f.charge.tokens for f in self.off_hours), Decimal(0))


def session_waste(charges: Iterable[Charge], zone: ZoneInfo) -> SessionWaste:
    """Short-session waste and off-hours use among the charges that cost tokens."""
    paid = [c for c in charges if c.tokens > 0]
    flagged = []
    for charge in paid:
        use = charge_use(charge)
        short = use < SHORT_WINDOW
        off = not in_business_hours(charge.opens, zone)
        if short or off:
            flagged.append(FlaggedCharge(charge, use, charge.opens.astimezone(zone), short, off))
    flagged.sort(key=lambda f: f.charge.opens)
    return SessionWaste(
        len(paid), sum((c.tokens for c in paid), Decimal(0)), flagged, str(zone.key)
    )
