"""Reads of leads, quotes, settings and notifications for the current partner (scoped,
under RLS). The Token Balance page, its export and the dashboard panel read here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.db.models import (
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Upper

from flex.models import FlexSnapshot
from flex.selectors import filter_manager, with_account_manager
from quotes import figures
from quotes.models import (
    ACTIVE_LEAD_STATUSES,
    Lead,
    LeadEvent,
    Notification,
    PriceList,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from quotes.services import UNREAD_TTL, unread_cache_key
from spp.dates import business_date
from spp.tenancy import current_partner


class DaysBetween(Func):
    """end − start in whole days (PostgreSQL's date − date is an integer)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()


def lead_rows(today: date | None = None) -> QuerySet:
    """Every lead of the current partner with what the Token Balance shows: the account
    manager (inherited from the account), CUSTOMER from the team's latest snapshot
    (SPEC §6), the distance of the end date from today, the status as SPEC §7 writes it.

    The base queryset of quotes.filtersets.LeadFilterSet (page and export alike).
    """
    today = today or business_date()
    latest_customer = (
        FlexSnapshot.objects.filter(team_id=OuterRef("team_id"))
        .order_by("-as_of")
        .values("customer")[:1]
    )
    rows = Lead.objects.select_related("team").annotate(
        customer=Coalesce(Subquery(latest_customer), Value("n/a")),
        end_days=DaysBetween(F("projected_end"), Cast(Value(today), DateField())),
        status_label=Upper("status"),
    )
    return with_account_manager(rows)


def lead_by_number(number: int) -> Lead | None:
    return Lead.objects.select_related("team", "team__account").filter(number=number).first()


def lead_detail(lead: Lead) -> dict:
    """A lead's manager, customer, history and quotes."""
    row = lead_rows().filter(pk=lead.pk).values("account_manager", "customer").first() or {}
    return {
        "account_manager": row.get("account_manager"),
        "customer": row.get("customer", "n/a"),
        "events": list(
            LeadEvent.objects.filter(lead=lead).select_related("user", "quote").order_by("at", "pk")
        ),
        "quotes": list(Quote.objects.filter(lead=lead).select_related("created_by")),
    }


def active_lead_for(team) -> Lead | None:
    return Lead.objects.filter(team=team, status__in=ACTIVE_LEAD_STATUSES).first()


def status_counts(queryset: QuerySet) -> dict[str, int]:
    """Leads per status of a (filtered) queryset, in one aggregate query."""
    aggregates = {status: Count("pk", filter=Q(status=status)) for status, _ in Lead.Status.choices}
    counts = queryset.order_by().aggregate(**aggregates, all=Count("pk"))
    counts["active"] = sum(counts[s] for s in ACTIVE_LEAD_STATUSES)
    return counts


# ---------------------------------------------------------------- dashboard panel


@dataclass(frozen=True)
class OpenLeads:
    """The dashboard's "open refill leads" panel."""

    count: int
    values: list[dict] = field(default_factory=list)  # [{"currency", "value"}], biggest first
    rows: list[dict] = field(default_factory=list)  # the most valuable leads


def open_leads(manager: str | int | None = None, limit: int = 8) -> OpenLeads:
    """Active (OPEN or QUOTED) leads of the current partner, by value, highest first.

    `manager`: None for every lead, a user id for that account manager's teams, or
    flex.selectors.UNASSIGNED — the same values as the dashboard's other panels. Rows
    hold number, status, team__team_id, team__name, projected_end, end_label,
    balance_rate, annual_quantity, value, currency, account_manager. Two queries.
    """
    today = business_date()
    leads = filter_manager(
        with_account_manager(Lead.objects.filter(status__in=ACTIVE_LEAD_STATUSES)), manager
    )
    values = list(
        leads.order_by()
        .values("currency")
        .annotate(value=Sum("value"), leads=Count("pk"))
        .order_by("-value")
    )
    rows = list(
        leads.order_by("-value", "projected_end", "number").values(
            "number",
            "status",
            "team__team_id",
            "team__name",
            "projected_end",
            "balance_rate",
            "annual_quantity",
            "value",
            "currency",
            "account_manager",
        )[:limit]
    )
    for row in rows:
        row["end_label"] = figures.end_date_label(row["projected_end"], today)
    return OpenLeads(count=sum(v["leads"] for v in values), values=values, rows=rows)


def digest_leads(user_id: int) -> tuple[list[dict], list[dict]]:
    """The weekly digest of one account manager: every open lead, by value."""
    result = open_leads(manager=user_id, limit=10_000)
    return result.rows, result.values


# ---------------------------------------------------------------- quotes


def quote_by_number(number: str) -> Quote | None:
    return (
        Quote.objects.select_related(
            "team",
            "team__account",
            "lead",
            "created_by",
            "sent_by",
            "accepted_by",
            "declined_by",
            "pack",
        )
        .filter(number=number)
        .first()
    )


def quote_lines(quote: Quote) -> list[dict]:
    """The lines with their gross and net amounts (the same arithmetic as the totals)."""
    rows = []
    for line in QuoteLine.objects.filter(quote=quote):
        amounts = figures.Line(line.tokens, line.unit_price, line.discount_pct)
        rows.append({"line": line, "gross": amounts.gross, "net": amounts.net})
    return rows


def quote_totals(quote: Quote) -> figures.Totals:
    return figures.totals(
        figures.Line(x.tokens, x.unit_price, x.discount_pct)
        for x in QuoteLine.objects.filter(quote=quote)
    )


def quote_rows(status: str = "", q: str = "") -> QuerySet:
    quotes = Quote.objects.select_related("team", "team__account", "lead", "created_by")
    if status:
        quotes = quotes.filter(status=status)
    q = q.strip()
    if q:
        quotes = quotes.filter(
            Q(number__icontains=q)
            | Q(team__name__icontains=q)
            | Q(team__team_id__icontains=q)
            | Q(team__account__name__icontains=q)
        )
    return quotes.order_by("-created_at", "-pk")


def quote_status_counts(q: str = "") -> dict[str, int]:
    aggregates = {s: Count("pk", filter=Q(status=s)) for s, _ in QuoteStatus.choices}
    return quote_rows("", q).order_by().aggregate(**aggregates, all=Count("pk"))


# ---------------------------------------------------------------- settings


def price_lists() -> list[PriceList]:
    return list(PriceList.objects.order_by("currency", "valid_from"))


def price_map(today: date | None = None) -> dict[str, Decimal]:
    from quotes.services import unit_prices_on

    partner = current_partner()
    prices = unit_prices_on([partner], today or business_date())
    return {currency: price for (_, currency), price in prices.items()}


# ---------------------------------------------------------------- notifications


def notifications_for(user) -> QuerySet:
    return Notification.objects.filter(user=user).select_related("team")


def unread_count(user) -> int:
    """Unread notifications of the user for the current partner, from the cache that
    the writers and sign-in keep current (quotes.services.refresh_unread_counts)."""
    partner = current_partner()
    key = unread_cache_key(partner.pk, user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return count
