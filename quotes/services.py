"""Writes of leads, quotes, price lists, settings and alerts.

Two callers with two aliases:
- the recompute (flex.services._recompute_chunk) calls `sync_leads` and `raise_alerts`
  on the maintenance alias, inside its chunk transaction, for every partner at once;
- partner users act through the request alias inside their partner scope (RLS), on
  quotes, leads of their own and their settings.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from flex.ledger import default_end_date
from flex.models import FlexSnapshot, Pack
from quotes import figures
from quotes.models import (
    ACTIVE_LEAD_STATUSES,
    Lead,
    LeadEvent,
    LeadStatus,
    Notification,
    NumberSequence,
    PartnerSettings,
    PriceList,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from spp.dates import business_date
from spp.models import Membership, Partner, User
from spp.tenancy import current_partner
from teams.models import AccountAssignment, Team, TeamLink

log = logging.getLogger(__name__)

MAINT = "maint"
LEAD_SEQUENCE = "lead"
# Leads and alerts follow the current figures only: a recompute of an older date (a
# backfill) must neither reopen old leads nor alert anybody about the past.
CURRENT_WINDOW = timedelta(days=1)
PREVIOUS_WINDOW = 7  # days back the alerts look for a team's previous figures
ALERT_COOLDOWN = 14  # days: a team flapping around a bucket edge alerts once, not daily
ORDER_DATE_PAST_DAYS = 90


class QuoteError(ValidationError):
    """A quote action that the quote's state or the given values do not allow."""


# ----------------------------------------------------------------------- numbering


def reserve_numbers(partner_id: int, name: str, count: int = 1, using: str = "default") -> int:
    """Reserve `count` consecutive numbers of a partner's sequence; returns the first.

    The counter row stays locked (select_for_update) until the caller's transaction
    ends, so concurrent callers queue and never get the same number; a rolled-back
    transaction gives its numbers back.
    """
    with transaction.atomic(using=using):
        sequences = NumberSequence.unscoped.using(using)
        sequences.get_or_create(partner_id=partner_id, name=name)
        sequence = sequences.select_for_update().get(partner_id=partner_id, name=name)
        first = sequence.last + 1
        sequence.last += count
        sequence.save(using=using, update_fields=["last"])
    return first


# ----------------------------------------------------------------------- settings


def settings_for(partner_id: int, using: str = "default") -> PartnerSettings:
    """The partner's settings, or the defaults (unsaved) when it never changed them."""
    found = PartnerSettings.unscoped.using(using).filter(partner_id=partner_id).first()
    return found or PartnerSettings(partner_id=partner_id)


def _settings_of(partner_ids: Iterable[int], using: str) -> dict[int, PartnerSettings]:
    ids = set(partner_ids)
    found = {
        s.partner_id: s for s in PartnerSettings.unscoped.using(using).filter(partner_id__in=ids)
    }
    return {pk: found.get(pk) or PartnerSettings(partner_id=pk) for pk in ids}


def unit_prices_on(partners: Iterable[Partner], day: date, using: str = "default") -> dict:
    """{(partner id, currency): unit price valid on `day`} from the price lists, with each
    partner's own currency falling back to Partner.token_price."""
    partners = list(partners)
    prices: dict[tuple[int, str], Decimal] = {
        (p.pk, p.currency): p.token_price for p in partners if p.token_price is not None
    }
    rows = (
        PriceList.unscoped.using(using)
        .filter(partner_id__in=[p.pk for p in partners], valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("partner_id", "currency", "valid_from")  # the latest start wins
        .values_list("partner_id", "currency", "unit_price")
    )
    for partner_id, currency, price in rows:
        prices[(partner_id, currency)] = price
    return prices


def unit_price_on(partner: Partner, currency: str, day: date, using: str = "default") -> Decimal:
    """The partner's unit price in `currency` on `day` (0 when it has none in it)."""
    return unit_prices_on([partner], day, using).get((partner.pk, currency), Decimal("0"))


def save_settings(values: PartnerSettings, user: User) -> PartnerSettings:
    """Store the current partner's settings and re-evaluate its leads with them."""
    values.partner_id = current_partner().pk
    values.updated_by_id = user.pk
    existing = PartnerSettings.objects.filter().first()
    if existing is not None:
        values.pk = existing.pk
    values.full_clean(exclude=["partner"])
    values.save()
    _queue_lead_resync(values.partner_id)
    return values


def check_price_lists(rows: Sequence[dict]) -> None:
    """Refuse overlapping validity periods in one currency (which price would apply?)."""
    by_currency: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_currency[row["currency"]].append(row)
    problems = []
    for currency, items in sorted(by_currency.items()):
        items.sort(key=lambda r: r["valid_from"])
        for before, after in zip(items, items[1:], strict=False):
            end = before["valid_to"]
            if end is None or end >= after["valid_from"]:
                problems.append(
                    f"{currency}: the price from {before['valid_from']} "
                    f"({'open-ended' if end is None else 'until ' + end.isoformat()}) overlaps "
                    f"the price from {after['valid_from']}. End the earlier one the day before."
                )
    if problems:
        raise ValidationError(problems)


def save_price_lists(rows: Sequence[dict]) -> None:
    """Replace the current partner's price list with `rows` (currency, unit_price,
    valid_from, valid_to), after checking that no two periods overlap."""
    check_price_lists(rows)
    partner = current_partner()
    PriceList.objects.all().delete()
    PriceList.objects.bulk_create(PriceList(partner_id=partner.pk, **row) for row in rows)
    _queue_lead_resync(partner.pk)


def _queue_lead_resync(partner_id: int) -> None:
    from quotes.tasks import resync_partner_leads

    resync_partner_leads.delay_on_commit(partner_id)


def resync_partner_leads(partner_id: int, using: str = MAINT) -> None:
    """Re-evaluate a partner's leads against its latest figures (new thresholds, prices)."""
    latest = (
        FlexSnapshot.unscoped.using(using)
        .filter(partner_id=partner_id)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )
    if latest is None:
        return
    teams = list(
        FlexSnapshot.unscoped.using(using)
        .filter(partner_id=partner_id, as_of=latest)
        .values_list("team_id", flat=True)
    )
    active = Lead.unscoped.using(using).filter(
        partner_id=partner_id, status__in=ACTIVE_LEAD_STATUSES
    )
    teams = sorted(set(teams) | set(active.values_list("team_id", flat=True)))
    with transaction.atomic(using=using):
        sync_leads(teams, latest, using=using, partner_ids=[partner_id])


# ----------------------------------------------------------------------- leads


SNAPSHOT_VALUES = (
    "partner_id",
    "team_id",
    "as_of",
    "flex_total_tokens",
    "flex_tokens_balance",
    "flex_tokens_consumption",
    "flex_balance_rate",
    "flex_consumption_rate_30",
    "flex_consumption_rate_180",
    "flex_projected_end_date",
    "flex_start_date",
    "tokens_expiring_90d",
)
LEAD_FIGURES = (
    "figures_as_of",
    "projected_end",
    "balance_rate",
    "total_tokens",
    "balance_tokens",
    "rate_30",
    "rate_180",
    "annual_quantity",
    "unit_price",
    "value",
    "currency",
)


def _snapshots_of(team_pks: Sequence[int], using: str, partner_pks=None) -> QuerySet:
    """Snapshots of these teams, with their partners spelled out so that PostgreSQL
    walks the (partner, team, as_of) unique index instead of every day of every team."""
    if partner_pks is None:
        partner_pks = set(
            TeamLink.unscoped.using(using)
            .filter(team_id__in=team_pks)
            .values_list("partner_id", flat=True)
        )
    return FlexSnapshot.unscoped.using(using).filter(
        partner_id__in=partner_pks, team_id__in=team_pks
    )


def _is_current(as_of: date) -> bool:
    return as_of >= business_date() - CURRENT_WINDOW


def _lead_figures(row: dict, price: Decimal, currency: str) -> dict:
    quantity = figures.annual_quantity(
        row["flex_consumption_rate_30"], row["flex_consumption_rate_180"]
    )
    return {
        "figures_as_of": row["as_of"],
        "projected_end": row["flex_projected_end_date"],
        "balance_rate": row["flex_balance_rate"],
        "total_tokens": row["flex_total_tokens"],
        "balance_tokens": row["flex_tokens_balance"],
        "rate_30": row["flex_consumption_rate_30"],
        "rate_180": row["flex_consumption_rate_180"],
        "annual_quantity": quantity,
        "unit_price": price,
        "value": figures.lead_value(quantity, price),
        "currency": currency,
    }


def _figures_note(row: dict) -> str:
    rate = row["flex_balance_rate"]
    balance = "no tokens left in the pool" if rate is None else f"balance {rate * 100:.1f}%"
    end = row["flex_projected_end_date"]
    return f"{balance}, projected end {end.isoformat() if end else '—'}"


def sync_leads(
    team_pks: Sequence[int],
    as_of: date,
    using: str = MAINT,
    *,
    partner_ids: Sequence[int] | None = None,
) -> None:
    """Create, update and close the leads of these teams from their snapshots at `as_of`.

    For every partner linked to each team, with that partner's thresholds (SPEC §7):
    a qualifying team without an active lead gets a new OPEN lead with the partner's next
    number; an active lead (OPEN, QUOTED) takes the new figures, or becomes CLOSED when
    its team no longer qualifies. WON, LOST and CLOSED are final: a later qualification
    opens a new lead. Runs inside the caller's transaction (the recompute's chunk).
    """
    team_pks = list(team_pks)
    if not team_pks or not _is_current(as_of):
        return
    snapshots = _snapshots_of(team_pks, using).filter(as_of=as_of)
    active_leads = Lead.unscoped.using(using).filter(
        team_id__in=team_pks, status__in=ACTIVE_LEAD_STATUSES
    )
    if partner_ids is not None:
        snapshots = snapshots.filter(partner_id__in=partner_ids)
        active_leads = active_leads.filter(partner_id__in=partner_ids)
    rows = list(snapshots.values(*SNAPSHOT_VALUES))
    active = {(lead.partner_id, lead.team_id): lead for lead in active_leads}
    partner_pks = {row["partner_id"] for row in rows} | {key[0] for key in active}
    if not partner_pks:
        return
    partners = {p.pk: p for p in Partner.objects.using(using).filter(pk__in=partner_pks)}
    thresholds = _settings_of(partner_pks, using)
    prices = unit_prices_on(partners.values(), as_of, using)

    now = timezone.now()
    to_open: dict[int, list[tuple[dict, dict]]] = defaultdict(list)
    to_update: list[Lead] = []
    to_close: list[tuple[Lead, str]] = []
    seen: set[tuple[int, int]] = set()
    for row in rows:
        key = (row["partner_id"], row["team_id"])
        seen.add(key)
        partner = partners[row["partner_id"]]
        setting = thresholds[partner.pk]
        wanted = figures.qualifies(
            as_of=as_of,
            total=row["flex_total_tokens"],
            balance_rate=row["flex_balance_rate"],
            projected_end=row["flex_projected_end_date"],
            rate_30=row["flex_consumption_rate_30"],
            rate_180=row["flex_consumption_rate_180"],
            balance_threshold=setting.balance_threshold,
            days_threshold=setting.lead_days,
        )
        price = prices.get((partner.pk, partner.currency), Decimal("0"))
        values = _lead_figures(row, price, partner.currency)
        lead = active.get(key)
        if lead is not None and lead.figures_as_of > as_of:
            continue  # never let older figures overwrite newer ones
        if lead is None:
            if wanted:
                to_open[partner.pk].append((row, values))
        elif wanted:
            if any(getattr(lead, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(lead, name, value)
                lead.updated_at = now  # bulk_update does not touch auto_now fields
                to_update.append(lead)
        else:
            for name, value in values.items():
                setattr(lead, name, value)
            to_close.append((lead, f"The team no longer qualifies: {_figures_note(row)}."))
    for key, lead in active.items():
        if key not in seen and lead.figures_as_of <= as_of:
            to_close.append((lead, "The team has no Flex figures for this partner any more."))

    if to_update:
        Lead.unscoped.using(using).bulk_update(
            to_update, [*LEAD_FIGURES, "updated_at"], batch_size=500
        )
    events: list[LeadEvent] = []
    for lead, note in to_close:
        # Guarded on the status: a user's action (send, accept) in the meantime wins.
        changed = (
            Lead.unscoped.using(using)
            .filter(pk=lead.pk, status__in=ACTIVE_LEAD_STATUSES)
            .update(
                status=LeadStatus.CLOSED,
                closed_on=as_of,
                updated_at=now,
                **{name: getattr(lead, name) for name in LEAD_FIGURES},
            )
        )
        if changed:
            events.append(
                LeadEvent(
                    partner_id=lead.partner_id,
                    lead_id=lead.pk,
                    on=as_of,
                    from_status=lead.status,
                    to_status=LeadStatus.CLOSED,
                    note=note,
                )
            )
    # Partners in ascending order: parallel chunks lock the counters in the same order.
    for partner_pk in sorted(to_open):
        items = to_open[partner_pk]
        first = reserve_numbers(partner_pk, LEAD_SEQUENCE, len(items), using)
        created = Lead.unscoped.using(using).bulk_create(
            Lead(
                partner_id=partner_pk,
                team_id=row["team_id"],
                number=first + index,
                status=LeadStatus.OPEN,
                opened_on=as_of,
                **values,
            )
            for index, (row, values) in enumerate(items)
        )
        for lead, (row, _) in zip(created, items, strict=True):
            events.append(
                LeadEvent(
                    partner_id=partner_pk,
                    lead_id=lead.pk,
                    on=as_of,
                    from_status="",
                    to_status=LeadStatus.OPEN,
                    note=f"Opened by the recompute: {_figures_note(row)}.",
                )
            )
    if events:
        LeadEvent.unscoped.using(using).bulk_create(events)


def _record(
    lead: Lead,
    to_status: str,
    *,
    user: User | None,
    note: str,
    quote: Quote | None = None,
    today: date | None = None,
    lost_reason: str = "",
) -> None:
    """Move a lead of the current partner to `to_status` with a history line."""
    today = today or business_date()
    previous = lead.status
    lead.status = to_status
    fields = ["status", "updated_at"]
    if to_status in (LeadStatus.WON, LeadStatus.LOST, LeadStatus.CLOSED):
        lead.closed_on = today
        fields.append("closed_on")
    if to_status == LeadStatus.LOST:
        lead.lost_reason = lost_reason[:300]
        fields.append("lost_reason")
    lead.save(update_fields=fields)
    LeadEvent.objects.create(
        partner_id=lead.partner_id,
        lead=lead,
        on=today,
        from_status=previous,
        to_status=to_status,
        note=note[:500],
        user_id=user.pk if user else None,
        quote_id=quote.pk if quote else None,
    )


def mark_lead_lost(lead: Lead, user: User, reason: str) -> None:
    """A lead the customer will not buy on (no quote needed): LOST, with the reason."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the lead is lost.")
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not lead.is_active:
        raise ValidationError(f"This lead is already {lead.get_status_display().lower()}.")
    _record(lead, LeadStatus.LOST, user=user, note=f"Marked lost: {reason}", lost_reason=reason)


# ----------------------------------------------------------------------- quotes


@dataclass(frozen=True)
class LineData:
    description: str
    tokens: int
    unit_price: Decimal
    discount_pct: Decimal = Decimal("0")


DEFAULT_DESCRIPTION = "Autodesk Flex tokens, valid 12 months"


DEFAULT_TOKENS = 1000  # a quote from scratch, for a team with no consumption yet


def draft_defaults(team: Team | None, lead: Lead | None, today: date | None = None) -> dict:
    """The prefilled quote: the lead's annual quantity (or the team's, from its latest
    figures), the list price of the partner's currency valid today, the usual validity."""
    today = today or business_date()
    partner = current_partner()
    setting = settings_for(partner.pk)
    quantity = 0
    if lead is not None:
        quantity = lead.annual_quantity
    elif team is not None:
        snapshot = FlexSnapshot.objects.filter(team=team).order_by("-as_of").first()
        quantity = (
            figures.annual_quantity(
                snapshot.flex_consumption_rate_30, snapshot.flex_consumption_rate_180
            )
            if snapshot
            else 0
        )
    currency = partner.currency
    return {
        "currency": currency,
        "valid_until": today + timedelta(days=setting.quote_validity_days),
        "notes": "",
        "lines": [
            LineData(
                description=DEFAULT_DESCRIPTION,
                tokens=quantity or DEFAULT_TOKENS,
                unit_price=unit_price_on(partner, currency, today),
            )
        ],
    }


def currencies_offered(today: date | None = None) -> list[str]:
    """The partner's currency first, then those it has a price list in."""
    partner = current_partner()
    listed = PriceList.objects.values_list("currency", flat=True).distinct()
    return [partner.currency, *sorted(set(listed) - {partner.currency})]


def _save_lines(quote: Quote, lines: Sequence[LineData]) -> None:
    if not lines:
        raise QuoteError("A quote needs at least one line.")
    QuoteLine.objects.filter(quote=quote).delete()
    QuoteLine.objects.bulk_create(
        QuoteLine(
            partner_id=quote.partner_id,
            quote=quote,
            position=index,
            description=line.description,
            tokens=line.tokens,
            unit_price=line.unit_price,
            discount_pct=line.discount_pct,
        )
        for index, line in enumerate(lines, start=1)
    )
    result = figures.totals(
        figures.Line(line.tokens, line.unit_price, line.discount_pct) for line in lines
    )
    quote.total_tokens = result.tokens
    quote.total_gross = result.gross
    quote.total_net = result.net
    quote.save(update_fields=["total_tokens", "total_gross", "total_net", "updated_at"])


def create_quote(
    *,
    team: Team,
    lead: Lead | None,
    user: User,
    currency: str,
    valid_until: date,
    notes: str,
    lines: Sequence[LineData],
) -> Quote:
    """A DRAFT quote with the partner's next number for the year (Q-2026-0001)."""
    partner = current_partner()
    if lead is not None and lead.team_id != team.pk:
        raise QuoteError("The lead is for another team.")
    if lead is not None and not lead.is_active:
        raise QuoteError(
            f"Lead {lead.number} is {lead.get_status_display().lower()}: "
            "quote the team instead, without the lead."
        )
    today = business_date()
    sequence = reserve_numbers(partner.pk, f"quote-{today.year}")
    quote = Quote.objects.create(
        partner_id=partner.pk,
        number=figures.quote_number(today.year, sequence),
        lead=lead,
        team=team,
        currency=currency,
        valid_until=valid_until,
        notes=notes,
        created_on=today,
        created_by_id=user.pk,
    )
    _save_lines(quote, lines)
    return quote


def update_quote(
    quote: Quote, *, currency: str, valid_until: date, notes: str, lines: Sequence[LineData]
) -> Quote:
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if not quote.is_editable:
        raise QuoteError(
            f"Quote {quote.number} is {quote.get_status_display().lower()}: "
            "only drafts can be changed."
        )
    quote.currency = currency
    quote.valid_until = valid_until
    quote.notes = notes
    quote.save(update_fields=["currency", "valid_until", "notes", "updated_at"])
    _save_lines(quote, lines)
    return quote


def _locked(quote: Quote, *expected: str) -> Quote:
    """The quote, re-read and locked: two clicks on Accept must not make two packs."""
    quote = (
        Quote.objects.select_for_update(of=("self",))
        .select_related("lead", "team")
        .get(pk=quote.pk)
    )
    if quote.status not in expected:
        raise QuoteError(
            f"Quote {quote.number} is {quote.get_status_display().lower()}, not "
            + " or ".join(QuoteStatus(s).label.lower() for s in expected)
            + "."
        )
    return quote


def send_quote(quote: Quote, user: User) -> Quote:
    """DRAFT → SENT (the customer has it); its lead becomes QUOTED."""
    quote = _locked(quote, QuoteStatus.DRAFT)
    today = business_date()
    if quote.total_tokens <= 0:
        raise QuoteError("The quote has no tokens: add a line before sending it.")
    if quote.valid_until < today:
        raise QuoteError(
            f"The quote was valid until {quote.valid_until.isoformat()}: "
            "give it a validity date from today on before sending it."
        )
    quote.status = QuoteStatus.SENT
    quote.sent_on = today
    quote.sent_at = timezone.now()
    quote.sent_by_id = user.pk
    quote.save(update_fields=["status", "sent_on", "sent_at", "sent_by", "updated_at"])
    lead = quote.lead
    if lead is not None and lead.status == LeadStatus.OPEN:
        _record(
            lead,
            LeadStatus.QUOTED,
            user=user,
            quote=quote,
            note=f"Quote {quote.number} sent: {quote.total_tokens:,} tokens, "
            f"{quote.currency} {quote.total_net:,.2f}.",
        )
    return quote


def accept_quote(quote: Quote, user: User, order_date: date) -> Pack:
    """SENT → ACCEPTED: the partner's pack joins the ledger, the lead is WON, and the
    team is recomputed as soon as this transaction commits (before the next page)."""
    quote = _locked(quote, QuoteStatus.SENT)
    today = business_date()
    if quote.valid_until < today:
        raise QuoteError(
            f"Quote {quote.number} expired on {quote.valid_until.isoformat()}: "
            "draft a new quote for the customer."
        )
    if order_date > today:
        raise QuoteError("The order date cannot be in the future.")
    if order_date < today - timedelta(days=ORDER_DATE_PAST_DAYS):
        raise QuoteError(f"The order date cannot be more than {ORDER_DATE_PAST_DAYS} days ago.")
    lines = list(QuoteLine.objects.filter(quote=quote))
    result = figures.totals(figures.Line(x.tokens, x.unit_price, x.discount_pct) for x in lines)
    if result.tokens <= 0:
        raise QuoteError("The quote has no tokens.")
    partner = current_partner()
    pack = Pack.objects.create(
        order_number=f"SPP-{partner.csn}-{quote.number}",
        team=quote.team,
        seller_csn=partner.csn,
        seller_partner_id=partner.pk,
        quantity=result.tokens,
        start_date=order_date,
        end_date=default_end_date(order_date),
        unit_price=result.average_unit_price,
        currency=quote.currency,
        source=Pack.Source.QUOTE,
    )
    quote.status = QuoteStatus.ACCEPTED
    quote.closed_on = today
    quote.accepted_at = timezone.now()
    quote.accepted_by_id = user.pk
    quote.order_date = order_date
    quote.pack = pack
    quote.save(
        update_fields=[
            "status",
            "closed_on",
            "accepted_at",
            "accepted_by",
            "order_date",
            "pack",
            "updated_at",
        ]
    )
    lead = quote.lead
    if lead is not None and lead.status != LeadStatus.WON:
        _record(
            lead,
            LeadStatus.WON,
            user=user,
            quote=quote,
            note=f"Quote {quote.number} accepted: {result.tokens:,} tokens from "
            f"{order_date.isoformat()}, {quote.currency} {result.net:,.2f}.",
        )
    team_pk = quote.team_id
    transaction.on_commit(lambda: _recompute_now(team_pk), using="default")
    return pack


def _recompute_now(team_pk: int) -> None:
    """The accepted pack's team, recomputed in this process so that the page after the
    redirect shows the new figures; if that fails, a worker retries it."""
    from flex import services as flex_services
    from flex import tasks as flex_tasks

    try:
        flex_services.recompute_teams([team_pk])
    except Exception:
        log.exception("recompute after an accepted quote failed; queued for a worker")
        flex_tasks.recompute_teams.delay([team_pk])


def _other_live_quote(quote: Quote, today: date) -> bool:
    return (
        Quote.objects.filter(lead_id=quote.lead_id, status=QuoteStatus.SENT, valid_until__gte=today)
        .exclude(pk=quote.pk)
        .exists()
    )


def decline_quote(quote: Quote, user: User, reason: str) -> Quote:
    """SENT → DECLINED with the customer's reason; the lead is LOST unless another sent
    quote of it is still open."""
    reason = reason.strip()
    if not reason:
        raise QuoteError("Say why the customer declined.")
    quote = _locked(quote, QuoteStatus.SENT)
    quote.status = QuoteStatus.DECLINED
    quote.closed_on = business_date()
    quote.declined_at = timezone.now()
    quote.declined_by_id = user.pk
    quote.declined_reason = reason[:300]
    quote.save(
        update_fields=[
            "status",
            "closed_on",
            "declined_at",
            "declined_by",
            "declined_reason",
            "updated_at",
        ]
    )
    lead = quote.lead
    if lead is not None and lead.is_active and not _other_live_quote(quote, business_date()):
        _record(
            lead,
            LeadStatus.LOST,
            user=user,
            quote=quote,
            note=f"Quote {quote.number} declined: {reason}",
            lost_reason=f"Quote declined: {reason}",
        )
    return quote


def expire_due_quotes(today: date | None = None) -> list[str]:
    """SENT quotes of the current partner past their validity → EXPIRED, their leads
    LOST ("quote expired"). Returns the numbers expired."""
    today = today or business_date()
    expired = []
    due = Quote.objects.filter(status=QuoteStatus.SENT, valid_until__lt=today).order_by("pk")
    for quote in due.select_for_update(skip_locked=True, of=("self",)).select_related("lead"):
        quote.status = QuoteStatus.EXPIRED
        quote.closed_on = today
        quote.expired_at = timezone.now()
        quote.save(update_fields=["status", "closed_on", "expired_at", "updated_at"])
        lead = quote.lead
        if lead is not None and lead.is_active and not _other_live_quote(quote, today):
            _record(
                lead,
                LeadStatus.LOST,
                user=None,
                quote=quote,
                today=today,
                note=f"Quote {quote.number} expired: it was valid until "
                f"{quote.valid_until.isoformat()}.",
                lost_reason="quote expired",
            )
        expired.append(quote.number)
    return expired


# ----------------------------------------------------------------------- alerts


PREFERENCE_OF_KIND = {
    figures.LT20: "alert_lt20",
    figures.WATCH: "alert_20to30",
    figures.EXPIRING: "alert_expiring",
    figures.PROJECTED_END: "alert_projected_end",
    figures.ONBOARDING: "alert_onboarding",
}


def _snapshot_figures(row: dict) -> figures.Figures:
    return figures.Figures(
        as_of=row["as_of"],
        total=row["flex_total_tokens"],
        consumption=row["flex_tokens_consumption"],
        balance_rate=row["flex_balance_rate"],
        projected_end=row["flex_projected_end_date"],
        tokens_expiring_90d=row["tokens_expiring_90d"],
        start=row["flex_start_date"],
    )


def alert_message(kind: str, team_name: str, row: dict) -> str:
    rate = row["flex_balance_rate"]
    pct = "—" if rate is None else f"{rate * 100:.1f}%"
    balance = f"{row['flex_tokens_balance']:,} of {row['flex_total_tokens']:,} tokens left"
    if kind == figures.LT20:
        return f"{team_name} entered FLEX BALANCE < 20%: {pct} ({balance})."
    if kind == figures.WATCH:
        return f"{team_name} entered FLEX BALANCE 30-20%: {pct} ({balance})."
    if kind == figures.EXPIRING:
        return (
            f"{team_name}: {row['tokens_expiring_90d']:,} tokens expire within 90 days "
            "unless they are used."
        )
    if kind == figures.PROJECTED_END:
        end = row["flex_projected_end_date"]
        days = (end - row["as_of"]).days
        return f"{team_name} runs out of tokens in {days} days: projected end {end.isoformat()}."
    start = row["flex_start_date"]
    return (
        f"{team_name} has used none of its tokens 30 days after its purchase "
        f"(Flex start {start.isoformat()})."
    )


def raise_alerts(team_pks: Sequence[int], as_of: date, using: str = MAINT) -> list[int]:
    """In-app notifications (and e-mails) for the account managers of these teams.

    Compares each partner's snapshot at `as_of` with the team's latest earlier one (at
    most a week back: a missed night still counts as one step). The unique key
    (partner, user, kind, team, event date) makes a second alert for the same event
    impossible; a re-run of the same night therefore raises nothing new. E-mails leave
    after the recompute's transaction commits. Returns the new notifications' ids.
    """
    team_pks = list(team_pks)
    if not team_pks or not _is_current(as_of):
        return []
    rows = list(
        _snapshots_of(team_pks, using)
        .filter(as_of=as_of)
        .values(*SNAPSHOT_VALUES, "team__name", "team__account_id")
    )
    if not rows:
        return []
    partner_pks = {row["partner_id"] for row in rows}
    first_day = as_of - timedelta(days=PREVIOUS_WINDOW)
    previous = {
        (row["partner_id"], row["team_id"]): row
        for row in _snapshots_of(team_pks, using, partner_pks)
        .filter(as_of__gte=first_day, as_of__lt=as_of)
        .order_by("partner_id", "team_id", "-as_of")
        .distinct("partner_id", "team_id")
        .values(*SNAPSHOT_VALUES)
    }
    # A partner's very first figures: nothing to compare with, nobody to alert yet.
    # One probe of the (partner, as_of) index each, not a count over its whole week.
    compared = {
        partner_pk
        for partner_pk in partner_pks
        if FlexSnapshot.unscoped.using(using)
        .filter(partner_id=partner_pk, as_of__gte=first_day, as_of__lt=as_of)
        .exists()
    }
    preferences = _settings_of(partner_pks, using)
    managers = _account_managers(partner_pks, {row["team__account_id"] for row in rows}, using)
    recent = _recent_alerts(team_pks, as_of, using)

    candidates: list[Notification] = []
    for row in rows:
        partner_pk = row["partner_id"]
        user_pk = managers.get((partner_pk, row["team__account_id"]))
        if user_pk is None:
            continue
        before = previous.get((partner_pk, row["team_id"]))
        due = figures.due_alerts(
            _snapshot_figures(row),
            _snapshot_figures(before) if before else None,
            transitions=partner_pk in compared,
        )
        setting = preferences[partner_pk]
        for kind, event_date in due:
            if not getattr(setting, PREFERENCE_OF_KIND[kind]):
                continue
            if (
                kind in figures.TRANSITION_KINDS
                and (partner_pk, user_pk, row["team_id"], kind) in recent
            ):
                continue
            candidates.append(
                Notification(
                    partner_id=partner_pk,
                    user_id=user_pk,
                    kind=kind,
                    team_id=row["team_id"],
                    event_date=event_date,
                    message=alert_message(kind, row["team__name"], row),
                )
            )
    if not candidates:
        return []
    started = timezone.now()
    Notification.unscoped.using(using).bulk_create(candidates, ignore_conflicts=True)
    created = list(
        Notification.unscoped.using(using)
        .filter(
            team_id__in={n.team_id for n in candidates},
            partner_id__in=partner_pks,
            created_at__gte=started,
            emailed_at__isnull=True,
        )
        .values_list("pk", "partner_id", "user_id")
    )
    ids = [pk for pk, _, _ in created]
    to_email = [pk for pk, partner_pk, _ in created if preferences[partner_pk].email_alerts]
    recipients = {(partner_pk, user_pk) for _, partner_pk, user_pk in created}

    def after_commit() -> None:
        refresh_unread_counts(recipients, using)
        if to_email:
            email_notifications(to_email, using=using)

    transaction.on_commit(after_commit, using=using)
    return ids


def _account_managers(
    partner_pks: set[int], account_pks: set[int], using: str
) -> dict[tuple[int, int], int]:
    """{(partner, account): user} for managers who are active members of that partner."""
    members = set(
        Membership.unscoped.using(using)
        .filter(partner_id__in=partner_pks, user__is_active=True)
        .values_list("partner_id", "user_id")
    )
    assignments = (
        AccountAssignment.unscoped.using(using)
        .filter(
            partner_id__in=partner_pks,
            account_id__in=account_pks,
            account_manager__isnull=False,
        )
        .values_list("partner_id", "account_id", "account_manager_id")
    )
    return {
        (partner_pk, account_pk): user_pk
        for partner_pk, account_pk, user_pk in assignments
        if (partner_pk, user_pk) in members
    }


def _recent_alerts(team_pks: list[int], as_of: date, using: str) -> set[tuple]:
    since = as_of - timedelta(days=ALERT_COOLDOWN)
    return set(
        Notification.unscoped.using(using)
        .filter(team_id__in=team_pks, event_date__gte=since, event_date__lt=as_of)
        .values_list("partner_id", "user_id", "team_id", "kind")
    )


def email_notifications(ids: Sequence[int], using: str = MAINT) -> int:
    """E-mail these notifications, one message per recipient and partner; each
    notification is claimed (emailed_at set) before sending so it never goes twice."""
    from quotes import emails

    with transaction.atomic(using=using):
        claimed = list(
            Notification.unscoped.using(using)
            .select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=list(ids), emailed_at__isnull=True)
            .select_related("user", "partner", "team")
            .order_by("partner_id", "user_id", "kind", "pk")
        )
        Notification.unscoped.using(using).filter(pk__in=[n.pk for n in claimed]).update(
            emailed_at=timezone.now()
        )
    groups: dict[tuple[int, int], list[Notification]] = defaultdict(list)
    for notification in claimed:
        groups[(notification.partner_id, notification.user_id)].append(notification)
    sent = 0
    for items in groups.values():
        try:
            emails.send_alerts(items[0].user, items[0].partner, items)
            sent += 1
        except Exception:
            log.exception("alert e-mail to %s failed; it will be retried", items[0].user.email)
            Notification.unscoped.using(using).filter(pk__in=[n.pk for n in items]).update(
                emailed_at=None
            )
    return sent


# The navbar bell reads the unread count from the cache on every page. Writers keep it
# current (they set it, they do not just forget it) and sign-in warms it, so that a page
# costs no query for it; a missing entry (expired, cache flushed) costs one.
UNREAD_TTL = 60 * 60 * 24


def unread_cache_key(partner_pk: int, user_pk: int) -> str:
    return f"quotes:unread:{partner_pk}:{user_pk}"


def refresh_unread_counts(recipients: Iterable[tuple[int, int]], using: str = MAINT) -> None:
    """Store the current unread count of each (partner, user) in the cache (one query)."""
    recipients = set(recipients)
    if not recipients:
        return
    counts = dict.fromkeys(recipients, 0)
    rows = (
        Notification.unscoped.using(using)
        .filter(
            partner_id__in={p for p, _ in recipients},
            user_id__in={u for _, u in recipients},
            read_at__isnull=True,
        )
        .values_list("partner_id", "user_id")
        .annotate(unread=Count("pk"))
    )
    for partner_pk, user_pk, unread in rows:
        if (partner_pk, user_pk) in counts:
            counts[(partner_pk, user_pk)] = unread
    cache.set_many({unread_cache_key(p, u): count for (p, u), count in counts.items()}, UNREAD_TTL)


def warm_unread_counts(sender, request, user, **kwargs) -> None:
    """On sign-in (user_logged_in): the bell's count for each of the user's partners."""
    partners = (
        Membership.unscoped.using(MAINT)
        .filter(user_id=user.pk)
        .values_list("partner_id", flat=True)
    )
    try:
        refresh_unread_counts({(partner_pk, user.pk) for partner_pk in partners})
    except Exception:  # the cache or the database hiccups: the bell will ask later
        log.warning("could not warm the unread notification count", exc_info=True)


def mark_read(user: User, pks: Sequence[int] | None = None) -> int:
    """Mark the user's notifications (these, or all) as read, for the current partner."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if pks is not None:
        unread = unread.filter(pk__in=list(pks))
    count = unread.update(read_at=timezone.now())
    partner = current_partner()
    key = unread_cache_key(partner.pk, user.pk)
    remaining = Notification.objects.filter(user=user, read_at__isnull=True).count()
    transaction.on_commit(lambda: cache.set(key, remaining, UNREAD_TTL))
    return count
