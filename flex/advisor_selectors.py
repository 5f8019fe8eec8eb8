"""Reads of the Flex advisor (SPEC §10) and of the token price that values the audit.

Everything runs for the current partner under row-level security (teams through
Team.objects, usage through the linked-team policy, prices through the partner's own
price lists). The figures themselves are flex.advisor's pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Q

from flex.models import FlexSnapshot
from spp.models import Partner
from usage.models import ProductRate


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
