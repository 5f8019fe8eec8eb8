"""Operator admin of the quotes tables, through the maintenance alias (spp.admin)."""

from __future__ import annotations

from django.contrib import admin

from quotes.models import (
    Lead,
    LeadEvent,
    Notification,
    PartnerSettings,
    PriceList,
    Quote,
    QuoteLine,
)
from spp.admin import MaintAdmin, MaintInline


@admin.register(PartnerSettings)
class PartnerSettingsAdmin(MaintAdmin):
    list_display = ["partner", "lead_balance_pct", "lead_days", "email_alerts", "weekly_digest"]


@admin.register(PriceList)
class PriceListAdmin(MaintAdmin):
    list_display = ["partner", "currency", "unit_price", "valid_from", "valid_to"]
    list_filter = ["currency"]


class LeadEventInline(MaintInline):
    model = LeadEvent
    readonly_fields = ["at", "on", "from_status", "to_status", "note", "user", "quote"]
    can_delete = False


@admin.register(Lead)
class LeadAdmin(MaintAdmin):
    list_display = [
        "number",
        "partner",
        "team",
        "status",
        "projected_end",
        "annual_quantity",
        "value",
    ]
    list_filter = ["status"]
    search_fields = ["team__name", "team__team_id"]
    raw_id_fields = ["team"]
    inlines = [LeadEventInline]


class QuoteLineInline(MaintInline):
    model = QuoteLine


@admin.register(Quote)
class QuoteAdmin(MaintAdmin):
    list_display = ["number", "partner", "team", "status", "total_tokens", "total_net", "currency"]
    list_filter = ["status"]
    search_fields = ["number", "team__name", "team__team_id"]
    raw_id_fields = ["team", "lead", "pack"]
    inlines = [QuoteLineInline]


@admin.register(Notification)
class NotificationAdmin(MaintAdmin):
    list_display = ["user", "partner", "kind", "team", "event_date", "read_at", "emailed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["team"]
