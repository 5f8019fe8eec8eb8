"""Operator admin of customer accounts and teams, through the maintenance alias.

Operators link more partners to a team here (TeamLink inline); a new link gives that
partner the team's Flex figures at the next recompute, which is queued at once.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Prefetch

from spp.admin import MAINT, MaintAdmin, MaintInline
from teams.models import Account, AccountAssignment, Contact, Team, TeamLink


class TeamInline(MaintInline):
    model = Team
    fields = ["team_id", "name", "country"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(MaintAdmin):
    list_display = ["csn", "name", "country"]
    search_fields = ["csn", "name"]
    list_filter = ["country"]
    inlines = [TeamInline]


class TeamLinkInline(MaintInline):
    model = TeamLink
    fields = ["partner", "source", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["partner"]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "source":
            kwargs["initial"] = TeamLink.Source.OPERATOR  # links made here are the operator's
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(Team)
class TeamAdmin(MaintAdmin):
    list_display = ["team_id", "name", "account", "country", "linked_partners", "created_at"]
    search_fields = ["team_id", "name", "account__name", "account__csn"]
    list_filter = ["country"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    inlines = [TeamLinkInline]

    def get_queryset(self, request):
        links = TeamLink.unscoped.using(MAINT).select_related("partner")
        return super().get_queryset(request).prefetch_related(Prefetch("links", queryset=links))

    @admin.display(description="partners")
    def linked_partners(self, obj: Team) -> str:
        return ", ".join(link.partner.csn for link in obj.links.all()) or "—"

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is TeamLink and formset.has_changed():
            from flex.tasks import queue_recompute

            queue_recompute([form.instance.pk], using=MAINT)


@admin.register(Contact)
class ContactAdmin(MaintAdmin):
    list_display = ["name", "partner", "account", "team", "email", "phone", "title"]
    list_filter = ["partner"]
    search_fields = ["name", "email", "account__name", "team__team_id"]
    list_select_related = ["partner", "account", "team"]
    autocomplete_fields = ["account", "team"]


@admin.register(AccountAssignment)
class AccountAssignmentAdmin(MaintAdmin):
    list_display = ["account", "partner", "account_manager", "updated_at"]
    list_filter = ["partner"]
    search_fields = ["account__name", "account__csn", "account_manager__email"]
    list_select_related = ["account", "partner", "account_manager"]
    autocomplete_fields = ["account", "account_manager"]
