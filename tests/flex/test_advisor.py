"""The Flex advisor's figures (flex.advisor) against hand-computed fixtures; no database.

A 3-month range; the partner's token price 3.00 USD. Catalog: AutoCAD 7 tokens a day and
2,030 USD a named seat a year; Revit 10 and 3,180 USD; Maya 6 with a named price in EUR
(not comparable); Fusion 3 with no named price.

| user | AutoCAD        | Revit        | Maya       | Fusion    | days (all) | avg / month | segment    |
|------|----------------|--------------|------------|-----------|------------|-------------|------------|
| A    | 420 t, 60 days | 60 t, 6 days |            |           | 62         | 20.67       | power      |
| B    | 210 t, 30 days |              |            |           | 30         | 10          | regular    |
| C    | 63 t, 9 days   |              |            |           | 9          | 3           | occasional |
| D    |                |              | 30 t, 5 d  | 9 t, 3 d  | 6          | 2           | rare       |

AutoCAD break-even = (2,030 ÷ 12) ÷ (7 × 3.00) = 8.06 days a month. A year on Flex =
tokens × 3.00 × 12 ÷ 3: A 5,040.00 (saves 3,010.00 on a seat), B 2,520.00 (saves 490.00),
C 756.00 (Flex is cheaper). Revit for A: 720.00 against 3,180.00 (Flex).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from flex import advisor as adv
from usage.metering import RateBook, Seat, Session, meter

AUTOCAD, REVIT, MAYA, FUSION = 1, 2, 3, 4
CATALOG = {
    AUTOCAD: adv.Catalog(Decimal(7), Decimal(2030), "USD"),
    REVIT: adv.Catalog(Decimal(10), Decimal(3180), "USD"),
    MAYA: adv.Catalog(Decimal(6), Decimal(2110), "EUR"),
    FUSION: adv.Catalog(Decimal(3), None, ""),
}
PRICES = {"USD": Decimal("3.00")}
USERS = [
    adv.UserUse("a", "User A", 480, 62, {AUTOCAD: (420, 60), REVIT: (60, 6)}),
    adv.UserUse("b", "User B", 210, 30, {AUTOCAD: (210, 30)}),
    adv.UserUse("c", "User C", 63, 9, {AUTOCAD: (63, 9)}),
    adv.UserUse("d", "User D", 39, 6, {MAYA: (30, 5), FUSION: (9, 3)}),
]


def test_segments_by_average_days_used_per_month():
    segments = adv.user_segments(USERS, 3.0)
    assert [(s.label, s.segment, round(s.avg_days, 2)) for s in segments] == [
        ("User A", "power", 20.67),
        ("User B", "regular", 10.0),
        ("User C", "occasional", 3.0),
        ("User D", "rare", 2.0),
    ]
    counts = adv.segment_counts(segments)
    assert [(c.segment, c.users, c.tokens, c.share) for c in counts] == [
        ("power", 1, 480, 0.25),
        ("regular", 1, 210, 0.25),
        ("occasional", 1, 63, 0.25),
        ("rare", 1, 39, 0.25),
    ]


@pytest.mark.parametrize(
    ("days", "segment"),
    [(18, "power"), (17.99, "regular"), (8, "regular"), (7.5, "occasional"), (3, "occasional"),
     (2.99, "rare"), (0, "rare")],
)  # fmt: skip
def test_segment_bounds(days, segment):
    assert adv.segment_of(days) == segment


def test_named_user_vs_flex_per_user_and_product():
    advice = adv.seat_advice(USERS, 3.0, CATALOG, PRICES)
    rows = [
        (
            a.label,
            a.product,
            a.flex_cost_year,
            a.named_cost_year,
            a.saving_year,
            a.recommendation,
        )
        for a in advice
    ]
    assert rows == [
        ("User A", AUTOCAD, Decimal("5040.00"), Decimal("2030.00"), Decimal("3010.00"), "Named seat"),
        ("User B", AUTOCAD, Decimal("2520.00"), Decimal("2030.00"), Decimal("490.00"), "Named seat"),
        ("User C", AUTOCAD, Decimal("756.00"), Decimal("2030.00"), None, "Flex"),
        ("User A", REVIT, Decimal("720.00"), Decimal("3180.00"), None, "Flex"),
        ("User D", MAYA, None, Decimal("2110"), None, "—"),
        ("User D", FUSION, None, None, None, "—"),
    ]  # fmt: skip
    by_product = {(a.label, a.product): a for a in advice}
    assert by_product["User A", AUTOCAD].break_even_days == pytest.approx(8.0556, abs=1e-4)
    assert by_product["User A", REVIT].break_even_days == pytest.approx(8.8333, abs=1e-4)
    assert by_product["User A", AUTOCAD].avg_days == 20.0
    assert "no exchange rate" in by_product["User D", MAYA].note
    assert by_product["User D", FUSION].note == "no named-user price in the catalog"

    summary = adv.saving_summary(advice)
    assert (summary.users, summary.seats, summary.not_compared) == (2, 2, 2)
    assert summary.saving_year == {"USD": Decimal("3500.00")}


def test_a_price_in_the_catalog_currency_makes_the_comparison():
    """With a EUR price list the Maya seat is compared, in EUR."""
    advice = adv.seat_advice(USERS[3:], 3.0, CATALOG, {**PRICES, "EUR": Decimal("2.80")})
    maya = next(a for a in advice if a.product == MAYA)
    assert (maya.currency, maya.flex_cost_year, maya.recommendation) == (
        "EUR",
        Decimal("336.00"),  # 30 × 2.80 × 4
        "Flex",
    )


def test_the_30_day_range_is_annualised_as_one_month():
    advice = adv.seat_advice(USERS[1:2], 1.0, CATALOG, PRICES)
    assert advice[0].flex_cost_year == Decimal("7560.00")  # 210 × 3 × 12


def test_forecast_waste_and_the_refill_quantity():
    # SPEC §4's example: balance 766, rate_30 9.33 (280 tokens in 30 days), latest end
    # 2027-01-04, 300 days after 2026-03-10: 2,800 tokens needed, 2,034 to buy.
    f = adv.forecast_waste(
        as_of=date(2026, 3, 10),
        balance=766,
        rate_30=280 / 30,
        rate_180=7.1,
        waste=0,
        latest_end=date(2027, 1, 4),
        runout=date(2026, 5, 31),
        price=Decimal("3.00"),
        currency="USD",
    )
    assert (f.need, f.refill, f.rate_basis) == (2800, 2034, "30 days")
    assert f.refill_value == Decimal("6102.00") and f.waste_value == Decimal("0.00")


def test_tokens_that_will_expire_unused_are_not_counted_as_available():
    f = adv.forecast_waste(
        as_of=date(2026, 3, 10),
        balance=1000,
        rate_30=2.0,
        rate_180=0,
        waste=400,
        latest_end=date(2026, 6, 18),  # 100 days
        runout=date(2026, 6, 18),
        price=Decimal("3.00"),
        currency="USD",
    )
    assert (f.need, f.usable, f.refill, f.waste_value) == (200, 600, 0, Decimal("1200.00"))
    short = adv.forecast_waste(
        as_of=date(2026, 3, 10),
        balance=1000,
        rate_30=0,
        rate_180=9.0,  # nothing in 30 days: the 180-day rate
        waste=400,
        latest_end=date(2026, 6, 18),
        runout=None,
        price=None,
        currency="EUR",
    )
    assert (short.rate_basis, short.need, short.refill, short.waste_value) == (
        "180 days",
        900,
        300,
        None,
    )
    no_pack = adv.forecast_waste(
        as_of=date(2026, 3, 10),
        balance=0,
        rate_30=5,
        rate_180=5,
        waste=0,
        latest_end=None,
        runout=None,
        price=Decimal(3),
        currency="USD",
    )
    assert no_pack.refill is None and no_pack.refill_value is None


def test_product_mix():
    mix = adv.product_mix(USERS)
    assert [(m.product, m.users, m.tokens) for m in mix] == [
        (AUTOCAD, 3, 693),
        (REVIT, 1, 60),
        (MAYA, 1, 30),
        (FUSION, 1, 9),
    ]
    assert mix[0].share == pytest.approx(693 / 792)


def test_seasonality_by_calendar_month_with_the_peak():
    months = [date(2025, m, 1) for m in range(3, 13)] + [date(2026, 1, 1), date(2026, 2, 1)]
    tokens = {m: 300 for m in months} | {date(2025, 7, 1): 900, date(2025, 12, 1): 0}
    season = adv.seasonality(tokens, months)
    assert [s.name for s in season.months] == list(adv.MONTH_NAMES)
    assert season.average == pytest.approx((900 + 10 * 300) / 12)
    assert season.peak.name == "Jul" and season.peak.tokens == 900
    assert season.peak_ratio == pytest.approx(900 / 325)
    # Two Januaries are averaged; months outside the range are not shown.
    two = adv.seasonality(
        {date(2025, 1, 1): 100, date(2026, 1, 1): 300, date(2025, 2, 1): 100},
        [date(2025, 1, 1), date(2025, 2, 1), date(2026, 1, 1)],
    )
    assert [(s.name, s.tokens, s.months) for s in two.months] == [("Jan", 200, 2), ("Feb", 100, 1)]
    assert adv.seasonality({}, []).peak is None


def test_business_hours_are_7_to_19_local_monday_to_friday():
    ny = adv.zone_for("us")
    assert str(ny.key) == "America/New_York"
    assert str(adv.zone_for("").key) == "UTC" and str(adv.zone_for("ZZ").key) == "UTC"
    monday_7 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 07:00 EST
    assert adv.in_business_hours(monday_7, ny)
    assert not adv.in_business_hours(monday_7 - timedelta(seconds=1), ny)
    assert not adv.in_business_hours(datetime(2026, 3, 3, 0, 0, tzinfo=UTC), ny)  # 19:00
    assert not adv.in_business_hours(datetime(2026, 3, 7, 15, 0, tzinfo=UTC), ny)  # Saturday
    assert (
        adv.in_business_hours(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Paris")), ny)
        is False
    )


def test_short_session_waste_and_off_hours_use():
    def s(start, end, product=1):
        return Session("a", product, "2026", "PC", datetime.fromisoformat(start).replace(tzinfo=UTC),
                       datetime.fromisoformat(end).replace(tzinfo=UTC))  # fmt: skip

    charges = meter(
        [
            s("2026-03-02 14:00", "2026-03-02 17:00"),  # Monday 09:00 EST, 3 h: fine
            s("2026-03-04 03:00", "2026-03-04 03:20"),  # 22:00 EST, 20 min: both
            s("2026-03-07 15:00", "2026-03-07 17:00"),  # Saturday: off-hours
            s("2026-03-09 14:00", "2026-03-09 14:10"),  # Monday, 10 minutes: short
            s("2026-03-09 14:00", "2026-03-09 14:10", product=2),  # under a seat: no tokens
        ],
        RateBook([(1, date(2024, 1, 1), Decimal(7)), (2, date(2024, 1, 1), Decimal(10))]),
        [Seat("a", 2, date(2026, 1, 1), date(2026, 12, 31))],
    )
    waste = adv.session_waste(charges, adv.zone_for("US"))
    assert (waste.charges, waste.tokens, waste.zone) == (4, 28, "America/New_York")
    assert [(f.charge.day, f.short, f.off_hours) for f in waste.flagged] == [
        (date(2026, 3, 4), True, True),
        (date(2026, 3, 7), False, True),
        (date(2026, 3, 9), True, False),
    ]
    assert (waste.short_tokens, waste.off_hours_tokens) == (14, 14)
    assert waste.flagged[0].use == timedelta(minutes=20)
    assert waste.flagged[0].local_open.hour == 22
