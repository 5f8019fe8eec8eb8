"""Demo price lists and quotes (called by `manage.py seed_demo` after its recompute,
which has opened the leads through quotes.services.sync_leads)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from quotes import services
from quotes.models import ACTIVE_LEAD_STATUSES, Lead, PriceList, Quote
from spp.dates import business_date
from spp.models import Membership, Partner, Role
from spp.tenancy import partner_scope

MAINT = "maint"
# (currency, price relative to the partner's token price) of a second price list.
SECOND_CURRENCY = {"USD": "EUR", "EUR": "USD", "GBP": "EUR"}


def seed_price_lists(partner: Partner, today=None) -> None:
    """Last year's price until three months ago, today's price since; and a second
    currency at a rounded conversion, so that quotes can be made in either."""
    today = today or business_date()
    change = today - timedelta(days=90)
    price = partner.token_price
    rows = [
        (
            partner.currency,
            (price * Decimal("0.95")).quantize(Decimal("0.01")),
            today - timedelta(days=455),
            change - timedelta(days=1),
        ),
        (partner.currency, price, change, None),
    ]
    other = SECOND_CURRENCY.get(partner.currency)
    if other:
        rows.append((other, (price * Decimal("1.08")).quantize(Decimal("0.01")), change, None))
    with transaction.atomic(using=MAINT):
        PriceList.unscoped.using(MAINT).filter(partner=partner).delete()
        PriceList.unscoped.using(MAINT).bulk_create(
            PriceList(partner=partner, currency=c, unit_price=p, valid_from=f, valid_to=t)
            for c, p, f, t in rows
        )


def seed_alerts(today=None) -> int:
    """A week of alerts for the account managers: figures of a week ago, then the alerts
    of yesterday against them (the demo's own recompute only has D−1 and D, which
    differ too little to alert anybody). Returns the number of notifications."""
    from flex import services as flex_services
    from flex.models import FlexSnapshot

    today = today or business_date()
    yesterday = today - timedelta(days=1)
    flex_services.recompute(today - timedelta(days=8))
    teams = sorted(
        set(
            FlexSnapshot.unscoped.using(MAINT)
            .filter(as_of=yesterday)
            .values_list("team_id", flat=True)
        )
    )
    with transaction.atomic(using=MAINT):
        return len(services.raise_alerts(teams, yesterday, using=MAINT))


def seed_quotes(seed: int = 7) -> int:
    """Price lists for every partner, then a few quotes per partner in every state:
    a draft, a sent one, a declined one, an accepted one (a real pack; the team is
    recomputed) and an expired one; then a week of alerts (seed_alerts). Partners that
    already have quotes are skipped. Returns the number of quotes created."""
    rng = random.Random(seed)
    today = business_date()
    created = 0
    for partner in Partner.objects.using(MAINT).order_by("pk"):
        if Quote.unscoped.using(MAINT).filter(partner=partner).exists():
            continue
        seed_price_lists(partner, today)
        services.resync_partner_leads(partner.pk)
        seller = (
            Membership.unscoped.using(MAINT)
            .filter(partner=partner, role__in=[Role.SALES_MANAGER, Role.ADMIN])
            .order_by("role", "pk")
            .select_related("user")
            .first()
        )
        if seller is None:
            continue
        leads = list(
            Lead.unscoped.using(MAINT)
            .filter(partner=partner, status__in=ACTIVE_LEAD_STATUSES, annual_quantity__gt=0)
            .order_by("-value", "number")[:40]
        )
        rng.shuffle(leads)
        plans = ["draft", "sent", "declined", "accepted", "expired"]
        for plan, lead in zip(plans, leads, strict=False):
            with partner_scope(partner, user_id=seller.user_id):
                _quote(plan, lead, seller.user, rng, today)
            created += 1
    if created:
        seed_alerts(today)
    return created


def _quote(plan: str, lead: Lead, user, rng: random.Random, today) -> Quote:
    lead = Lead.objects.select_related("team").get(pk=lead.pk)
    defaults = services.draft_defaults(lead.team, lead, today)
    lines = list(defaults["lines"])
    if plan in ("sent", "accepted"):
        # A volume discount on a second block, as account managers like to offer.
        first = lines[0]
        extra = max(100, (first.tokens // 4) // 100 * 100)
        lines.append(
            services.LineData(
                description="Volume block, 5% off",
                tokens=extra,
                unit_price=first.unit_price,
                discount_pct=Decimal("5"),
            )
        )
    quote = services.create_quote(
        team=lead.team,
        lead=lead,
        user=user,
        currency=defaults["currency"],
        valid_until=defaults["valid_until"],
        notes="Prices exclude VAT. Tokens are valid for 12 months from the order date.",
        lines=lines,
    )
    if plan == "draft":
        return quote
    services.send_quote(quote, user)
    if plan == "declined":
        services.decline_quote(quote, user, rng.choice(["Budget frozen until Q3", "Went direct"]))
    elif plan == "accepted":
        services.accept_quote(quote, user, today)
    elif plan == "expired":
        Quote.objects.filter(pk=quote.pk).update(valid_until=today - timedelta(days=1))
        services.expire_due_quotes(today)
    return quote
