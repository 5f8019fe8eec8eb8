"""Reads of the Flex advisor (SPEC §10) and of the token price that values the audit.

Everything runs for the current partner under row-level security (teams through
Team.objects, usage through the linked-team policy, prices through the partner's own
price lists). The figures themselves are flex.advisor's pure functions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connections
from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth

from flex import advisor as adv
from flex.models import FlexSnapshot
from spp.models import Partner
from teams.models import Team
from usage import ranges
from usage import selectors as usage_selectors
from usage.metering import meter
from usage.models import ProductRate, UsageDaily
from usage.ranges import DateRange


@dataclass(frozen=True)
class TokenPrice:
    """The partner's token unit price in one currency (None: it has none in it)."""

    price: Decimal | None
    currency: str
    source: str  # "price list", "partner default" or "none"


def token_prices(partner: Partner, day: date) -> dict[str, TokenPrice]:
    """currency -> the partner's token price on `day`: its price lists (SPEC §7), with its
    own currency falling back to Partner.token_price (one query)."""
    from quotes.models import PriceList
    from quotes.services import unit_prices_on

    in_force = PriceList.objects.filter(valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )
    listed = set(in_force.values_list("currency", flat=True))
    prices = {}
    for (_, currency), price in unit_prices_on([partner], day).items():
        source = "price list" if currency in listed else "partner default"
        prices[currency] = TokenPrice(price, currency, source)
    return prices


def token_price(partner: Partner, day: date, currency: str | None = None) -> TokenPrice:
    """The partner's token price in `currency` (default: the partner's own)."""
    currency = currency or partner.currency
    return token_prices(partner, day).get(currency, TokenPrice(None, currency, "none"))


@dataclass(frozen=True)
class CatalogEntry:
    """A product's catalog figures in force on a day: daily rate and named-user price."""

    product_id: int
    tokens_per_day: Decimal
    named_user_price: Decimal | None
    currency: str


def catalog_on(day: date) -> dict[int, CatalogEntry]:
    """product id -> its catalog entry on `day`: the latest rate not after the day, and the
    latest named-user price not after the day (a rate row may leave the price blank)."""
    rows = (
        ProductRate.objects.filter(effective_from__lte=day)
        .order_by("product_id", F("effective_from").desc())
        .values_list("product_id", "tokens_per_day", "named_user_price", "currency")
    )
    result: dict[int, CatalogEntry] = {}
    for product, rate, price, currency in rows:
        entry = result.get(product)
        if entry is None:
            result[product] = CatalogEntry(product, rate, price, currency if price else "")
        elif entry.named_user_price is None and price is not None:
            result[product] = CatalogEntry(product, entry.tokens_per_day, price, currency)
    return result


def latest_snapshot(team) -> FlexSnapshot | None:
    return FlexSnapshot.objects.filter(team=team).order_by("-as_of").first()


# ------------------------------------------------------------------ one team


ONE_DAY = timedelta(days=1)


@dataclass
class TeamAdvice:
    """Everything the advisor tab, its print and its API show for one team and range."""

    users: list[adv.UserUse]
    segments: list[adv.UserSegment]
    segment_counts: list[adv.SegmentCount]
    seats: list[adv.SeatAdvice]
    savings: adv.SavingSummary
    mix: list[adv.MixRow]
    season: adv.Season
    full_months: list[date]
    waste: adv.WasteForecast | None
    snapshot: FlexSnapshot | None
    sessions: adv.SessionWaste | None  # None: no session logs in the period
    session_period: DateRange  # the range, carried on to yesterday for a preset
    session_labels: dict[str, str]
    price: TokenPrice  # in the partner's currency
    names: dict[int, str]
    zone: str


def team_users(team, rng: DateRange, labels: dict[str, str]) -> list[adv.UserUse]:
    """Per user: tokens and distinct days over the range, in all and per product (one
    query, usage.selectors.user_figures)."""
    figures = usage_selectors.user_figures(team, rng, labels)
    return [
        adv.UserUse(
            f.user_key,
            f.label,
            f.tokens,
            f.days,
            {p: (u.tokens, u.days) for p, u in f.products.items()},
        )
        for f in figures.values()
    ]


def monthly_tokens(team, first: date, last: date) -> dict[date, int]:
    """month start -> tokens of the team over [first, last] (one query)."""
    rows = (
        UsageDaily.objects.filter(team=team, day__gte=first, day__lte=last)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(tokens=Sum("tokens"))
        .order_by()
        .values_list("month", "tokens")
    )
    return {(m.date() if isinstance(m, datetime) else m): int(t) for m, t in rows}


def full_months_of(rng: DateRange) -> list[date]:
    full, _ = ranges.split_months(rng.start, rng.end)
    if full is None:
        return []
    return ranges.month_starts(full[0], full[1])


def catalog_for_advice(day: date) -> dict[int, adv.Catalog]:
    return {
        pid: adv.Catalog(e.tokens_per_day, e.named_user_price, e.currency)
        for pid, e in catalog_on(day).items()
    }


def team_advice(team, rng: DateRange, partner: Partner, today: date, labels) -> TeamAdvice:
    """The advisor's figures for a team over a range (about ten queries)."""
    users = team_users(team, rng, labels)
    segments = adv.user_segments(users, rng.months)
    prices = token_prices(partner, today)
    seats = adv.seat_advice(
        users,
        rng.months,
        catalog_for_advice(today),
        {currency: p.price for currency, p in prices.items()},
    )
    mix = adv.product_mix(users)
    full = full_months_of(rng)
    season = adv.seasonality(monthly_tokens(team, rng.start, rng.end), full)
    price = prices.get(partner.currency, TokenPrice(None, partner.currency, "none"))
    snapshot = latest_snapshot(team)
    waste = None
    if snapshot is not None and snapshot.flex_total_tokens:
        waste = adv.forecast_waste(
            as_of=snapshot.as_of,
            balance=snapshot.flex_tokens_balance,
            rate_30=snapshot.flex_consumption_rate_30,
            rate_180=snapshot.flex_consumption_rate_180,
            waste=snapshot.forecast_expiring_unused,
            latest_end=snapshot.flex_latest_end_date,
            runout=snapshot.projected_runout_date,
            price=price.price,
            currency=price.currency,
        )
    zone = adv.zone_for(team.country or team.account.country)
    # Session logs are recent: a preset's period (complete months) is carried on to
    # yesterday, so that the latest logs count; a custom range is taken as it is.
    logged = rng if rng.is_custom else ranges.custom(rng.start, max(rng.end, today - ONE_DAY))
    sessions = usage_selectors.team_sessions(team, logged.start, logged.end)
    session_waste = None
    session_labels = labels
    if usage_selectors.session_coverage(sessions, logged) is not None:
        charges = meter(
            sessions,
            usage_selectors.rate_book(),
            usage_selectors.team_seats(team, logged.start, logged.end),
        )
        session_waste = adv.session_waste(
            [c for c in charges if logged.start <= c.day <= logged.end], zone
        )
        session_labels = usage_selectors.with_session_labels(team, labels, sessions)
    products = {m.product for m in mix}
    if session_waste:
        products |= {f.charge.product for f in session_waste.flagged}
    return TeamAdvice(
        users=users,
        segments=segments,
        segment_counts=adv.segment_counts(segments),
        seats=seats,
        savings=adv.saving_summary(seats),
        mix=mix,
        season=season,
        full_months=full,
        waste=waste,
        snapshot=snapshot,
        sessions=session_waste,
        session_period=logged,
        session_labels=session_labels,
        price=price,
        names=usage_selectors.product_names(products),
        zone=str(zone.key),
    )


# ------------------------------------------------------------------ the portfolio


@dataclass(frozen=True)
class TeamSaving:
    team_id: str
    name: str
    customer: str
    users: int
    seats: int
    saving: float
    currency: str


@dataclass(frozen=True)
class TeamWaste:
    team_id: str
    name: str
    customer: str
    waste: int
    value: float | None
    currency: str
    balance: int
    latest_end: date | None


PORTFOLIO_SQL = """
    WITH per_month AS (
        SELECT m.team_id, m.user_key, m.product_id, m.month,
               sum(m.tokens) AS tokens, bit_or(m.days) AS days
        FROM usage_usagemonthlyuser m
        WHERE m.month BETWEEN %s AND %s
          AND m.team_id IN (SELECT l.team_id FROM teams_teamlink l WHERE l.partner_id = %s)
        GROUP BY m.team_id, m.user_key, m.product_id, m.month
    )
    SELECT team_id, user_key, product_id, sum(tokens)::bigint,
           sum(bit_count(days::bit(32)))::int
    FROM per_month GROUP BY team_id, user_key, product_id
"""


def portfolio_savings(partner: Partner, rng: DateRange, today: date) -> list[TeamSaving]:
    """The partner's teams with users cheaper on named seats, largest yearly saving first
    (full months of the range only: the monthly roll-up; three queries)."""
    full = full_months_of(rng)
    if not full:
        return []
    with connections["default"].cursor() as cursor:
        cursor.execute(PORTFOLIO_SQL, [full[0], full[-1], partner.pk])
        rows = cursor.fetchall()
    per_team: dict[int, dict[str, dict[int, tuple[int, int]]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for team, user, product, tokens, days in rows:
        per_team[team][user][product] = (int(tokens), int(days))
    catalog = catalog_for_advice(today)
    prices = {c: p.price for c, p in token_prices(partner, today).items()}
    months = float(len(full))
    found: list[tuple[int, adv.SavingSummary]] = []
    for team, users in per_team.items():
        uses = [adv.UserUse(user, "", 0, 0, products) for user, products in users.items()]
        summary = adv.saving_summary(adv.seat_advice(uses, months, catalog, prices))
        if summary.seats:
            found.append((team, summary))
    teams = {
        t.pk: t
        for t in Team.objects.filter(pk__in=[pk for pk, _ in found]).select_related("account")
    }
    result = []
    for pk, summary in found:
        team = teams.get(pk)
        if team is None:
            continue
        for currency, saving in summary.saving_year.items():
            result.append(
                TeamSaving(
                    team.team_id,
                    team.name,
                    team.account.name,
                    summary.users,
                    summary.seats,
                    float(saving),
                    currency,
                )
            )
    return sorted(result, key=lambda r: (-r.saving, r.name))


def portfolio_waste(partner: Partner, today: date) -> list[TeamWaste]:
    """The partner's teams with tokens forecast to expire unused, most first, in the latest
    complete figures (the Flex list's date; three queries)."""
    from flex.selectors import latest_as_of

    as_of = latest_as_of()
    if as_of is None:
        return []
    rows = (
        FlexSnapshot.objects.filter(as_of=as_of, forecast_expiring_unused__gt=0)
        .order_by("-forecast_expiring_unused", "team__name")
        .values_list(
            "team__team_id",
            "team__name",
            "team__account__name",
            "forecast_expiring_unused",
            "flex_tokens_balance",
            "flex_latest_end_date",
        )
    )
    price = token_price(partner, today)
    return [
        TeamWaste(
            team_id,
            name,
            customer,
            int(waste),
            float(price.price * waste) if price.price is not None else None,
            price.currency,
            int(balance),
            latest_end,
        )
        for team_id, name, customer, waste, balance, latest_end in rows
    ]
