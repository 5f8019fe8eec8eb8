"""The e-mails of the quotes app: alerts and the weekly digest, through Django's e-mail
backend (the console in development, SMTP when SPP_SMTP_HOST is set)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from quotes.models import Notification
from spp.models import Partner, User


def absolute(path: str) -> str:
    """A link for an e-mail: SPP_BASE_URL (the portal's public address) + path."""
    base = os.environ.get("SPP_BASE_URL", "http://localhost:8000").rstrip("/")
    return base + path


def _send(user: User, subject: str, template: str, context: dict) -> None:
    context = {**context, "user": user, "settings_url": absolute(reverse("partner_settings"))}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"quotes/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string(f"quotes/email/{template}.html", context), "text/html"
    )
    message.send()


def send_alerts(user: User, partner: Partner, items: Sequence[Notification]) -> None:
    if len(items) == 1:
        subject = f"[SPP] {items[0].message}"
    else:
        subject = f"[SPP] {len(items)} new alerts for your teams at {partner.name}"
    rows = [
        {
            "notification": n,
            "url": absolute(reverse("team_detail", args=[n.team.team_id])),
        }
        for n in items
    ]
    _send(
        user,
        subject[:200],
        "alerts",
        {
            "partner": partner,
            "rows": rows,
            "notifications_url": absolute(reverse("notification_list")),
        },
    )


def send_digest(user: User, partner: Partner, leads: list[dict], totals: list[dict]) -> None:
    rows = [
        {**lead, "url": absolute(reverse("lead_detail", args=[lead["number"]]))} for lead in leads
    ]
    _send(
        user,
        f"[SPP] Your open refill leads at {partner.name}: {len(leads)}",
        "digest",
        {
            "partner": partner,
            "rows": rows,
            "totals": totals,
            "leads_url": absolute(reverse("lead_list") + f"?manager={user.pk}"),
        },
    )
