"""Celery tasks of the quotes app. Thin: the work is in quotes.services and selectors."""

from __future__ import annotations

import logging

from celery import shared_task

from quotes import services
from spp.dates import business_date
from spp.models import Partner
from spp.tenancy import partner_scope

log = logging.getLogger(__name__)


@shared_task(name="quotes.tasks.expire_quotes")
def expire_quotes() -> dict[str, list[str]]:
    """Daily (beat): SENT quotes past their validity become EXPIRED, their leads LOST.

    Each partner in its own scope and transaction, under RLS, like a request.
    """
    today = business_date()
    expired: dict[str, list[str]] = {}
    for partner in Partner.objects.using("maint").order_by("pk"):
        with partner_scope(partner):
            numbers = services.expire_due_quotes(today)
        if numbers:
            expired[partner.csn] = numbers
            log.info("expired %s quotes of %s", len(numbers), partner.csn)
    return expired


@shared_task(name="quotes.tasks.weekly_digest")
def weekly_digest() -> int:
    """Monday morning (beat): each account manager's open leads by value, by e-mail."""
    from quotes.digest import send_weekly_digests

    return send_weekly_digests()


@shared_task(name="quotes.tasks.resync_partner_leads")
def resync_partner_leads(partner_id: int) -> None:
    """After new thresholds or prices: the partner's leads against its latest figures."""
    services.resync_partner_leads(partner_id)
