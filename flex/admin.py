"""Operator admin of packs, token events and snapshots: read mostly.

Packs and events come from the feeds (`spp_import purchases|token_events`) and accepted
quotes; here operators look them up, and may delete one that should never have been
imported (the affected teams' recompute is queued). Snapshots are the recompute's output.
"""

from __future__ import annotations

from django.contrib import admin

from flex.models import FlexSnapshot, Pack, TokenEvent
from spp.admin import MAINT, MaintAdmin


def _queue(team_pks) -> None:
    from flex.tasks import queue_recompute

    queue_recompute([pk for pk in team_pks if pk], using=MAINT)


class ReadMostlyAdmin(MaintAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Pack)
class PackAdmin(ReadMostlyAdmin):
    list_display = [
        "order_number",
        "team",
        "seller_csn",
        "seller_partner",
        "quantity",
        "start_date",
        "end_date",
        "source",
    ]
    list_filter = ["source", "seller_partner"]
    search_fields = ["order_number", "team__team_id", "team__name", "seller_csn"]
    list_select_related = ["team", "seller_partner"]
    date_hierarchy = "start_date"

    def delete_model(self, request, obj):
        teams = _event_teams(obj)
        super().delete_model(request, obj)
        _queue(teams)

    def delete_queryset(self, request, queryset):
        teams = set()
        for pack in queryset.using(MAINT):
            teams |= _event_teams(pack)
        super().delete_queryset(request, queryset)
        _queue(teams)


def _event_teams(pack: Pack) -> set[int]:
    teams = {pack.team_id}
    for event in TokenEvent.unscoped.using(MAINT).filter(pack=pack):
        teams |= {event.from_team_id, event.to_team_id}
    return teams


@admin.register(TokenEvent)
class TokenEventAdmin(ReadMostlyAdmin):
    list_display = ["date", "kind", "pack", "from_team", "to_team", "quantity", "reason"]
    list_filter = ["kind"]
    search_fields = ["pack__order_number", "from_team__team_id", "to_team__team_id", "reason"]
    list_select_related = ["pack", "from_team", "to_team"]
    date_hierarchy = "date"

    def delete_model(self, request, obj):
        teams = {obj.from_team_id, obj.to_team_id, obj.pack.team_id if obj.pack else None}
        super().delete_model(request, obj)
        _queue(teams)

    def delete_queryset(self, request, queryset):
        teams = set()
        for event in queryset.using(MAINT).select_related("pack"):
            teams |= {event.from_team_id, event.to_team_id}
            teams.add(event.pack.team_id if event.pack else None)
        super().delete_queryset(request, queryset)
        _queue(teams)


@admin.register(FlexSnapshot)
class FlexSnapshotAdmin(MaintAdmin):
    list_display = [
        "as_of",
        "partner",
        "team",
        "flex_total_tokens",
        "flex_tokens_balance",
        "flex_balance_rate",
        "flex_projected_end_date",
        "computed_at",
    ]
    list_filter = ["as_of", "partner"]
    search_fields = ["team__team_id", "team__name"]
    list_select_related = ["partner", "team"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
