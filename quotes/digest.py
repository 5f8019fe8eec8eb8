"""The weekly digest: every account manager's open leads by value (SPEC §7)."""

from __future__ import annotations

import logging

from quotes import emails, selectors, services
from spp.models import Membership, Partner
from spp.tenancy import partner_scope
from teams.models import AccountAssignment

log = logging.getLogger(__name__)


def send_weekly_digests() -> int:
    """One e-mail per account manager and partner with open leads; returns how many."""
    sent = 0
    for partner in Partner.objects.using("maint").order_by("pk"):
        if not services.settings_for(partner.pk, using="maint").weekly_digest:
            continue
        with partner_scope(partner):
            managers = set(
                AccountAssignment.objects.filter(account_manager__isnull=False).values_list(
                    "account_manager_id", flat=True
                )
            )
            members = (
                Membership.objects.filter(user_id__in=managers, user__is_active=True)
                .select_related("user")
                .order_by("user__email")
            )
            for membership in members:
                leads, totals = selectors.digest_leads(membership.user_id)
                if not leads:
                    continue
                try:
                    emails.send_digest(membership.user, partner, leads, totals)
                    sent += 1
                except Exception:
                    log.exception("weekly digest to %s failed", membership.user.email)
    return sent
