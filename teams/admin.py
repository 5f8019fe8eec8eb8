"""Operator admin of customer accounts and teams, through the maintenance alias.

Operators link more partners to a team here (TeamLink inline); a new link gives that
partner the team's Flex figures at the next recompute, which is queued at once.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, ForeignKeyRawIdWidget
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Prefetch
from django.forms.formsets import BaseFormSet
from django.forms.models import BaseInlineFormSet, InlineForeignKeyField
from django.utils.text import capfirst

from spp.admin import MAINT, MaintAdmin, MaintInline
from spp.tenancy import PartnerScopedManager
from teams.models import Account, AccountAssignment, Contact, Team, TeamLink

# ------------------------------------------------------------------ plumbing
# Django admin reaches a model through its default manager in three places: foreign-key
# choices, the hidden id of inline rows, and unique/constraint validation. Here the default
# manager of Account, Team, TeamLink, Contact and AccountAssignment is partner-scoped and
# refuses to run without a current partner, so these three go through `unscoped` on the
# maintenance alias instead. (Better done once in spp.admin / spp.tenancy for every admin.)


class UnscopedChoices:
    """Foreign keys to partner-scoped models take their choices from `unscoped`.

    ForeignKey.formfield() reads the default manager eagerly, even when given a queryset;
    its parent class builds the same field from the arguments given."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.remote_field.model
        if not isinstance(model._default_manager, PartnerScopedManager):
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault("widget", AutocompleteSelect(db_field, self.admin_site, using=MAINT))
        elif db_field.name in self.raw_id_fields:
            kwargs.setdefault(
                "widget", ForeignKeyRawIdWidget(db_field.remote_field, self.admin_site, using=MAINT)
            )
        kwargs.setdefault("queryset", model.unscoped.using(MAINT).all())
        return super(models.ForeignKey, db_field).formfield(
            form_class=forms.ModelChoiceField,
            to_field_name=db_field.remote_field.field_name,
            blank=db_field.blank,
            **kwargs,
        )


class MaintModelForm(forms.ModelForm):
    """Unique fields and unique constraints are checked through `unscoped`."""

    def _post_clean(self):
        self._validate_unique = False
        # Per instance only: Django's constraint check would use the default manager.
        self.instance.validate_constraints = lambda exclude=None: None
        try:
            super()._post_clean()
        finally:
            del self.instance.validate_constraints
        self._check_unique()

    def _check_unique(self) -> None:
        model = self._meta.model
        excluded = self._get_validation_exclusions()
        checks = [(f.name,) for f in model._meta.local_fields if f.unique and not f.primary_key]
        checks += [tuple(fields) for fields in model._meta.unique_together]
        checks += [tuple(c.fields) for c in model._meta.total_unique_constraints]
        errors: dict[str, list] = {}
        for fields in checks:
            if any(name in excluded for name in fields):
                continue
            lookup = {}
            for name in fields:
                value = getattr(self.instance, model._meta.get_field(name).attname)
                if value is None:
                    break
                lookup[model._meta.get_field(name).attname] = value
            else:
                same = model.unscoped.using(MAINT).filter(**lookup)
                if not self.instance._state.adding:
                    same = same.exclude(pk=self.instance.pk)
                if same.exists():
                    key = fields[0] if len(fields) == 1 else NON_FIELD_ERRORS
                    message = self.instance.unique_error_message(model, fields)
                    errors.setdefault(key, []).append(message)
        if errors:
            self._update_errors(ValidationError(errors))


class MaintInlineFormSet(BaseInlineFormSet):
    """The hidden id of each inline row is chosen from `unscoped`, not the default manager
    (BaseModelFormSet.add_fields; the rest is BaseFormSet's and the inline's own key)."""

    def add_fields(self, form, index):
        self._pk_field = pk = self.model._meta.pk
        if form.is_bound:
            pk_value = None if form.instance._state.adding else form.instance.pk
        else:
            try:
                pk_value = self.get_queryset()[index].pk if index is not None else None
            except IndexError:
                pk_value = None
        form.fields[pk.name] = forms.ModelChoiceField(
            self.model.unscoped.using(MAINT),
            initial=pk_value,
            required=False,
            widget=forms.HiddenInput,
        )
        BaseFormSet.add_fields(self, form, index)
        form.fields[self.fk.name] = InlineForeignKeyField(
            self.instance, label=capfirst(self.fk.verbose_name)
        )


class OperatorInline(UnscopedChoices, MaintInline):
    form = MaintModelForm
    formset = MaintInlineFormSet


class OperatorAdmin(UnscopedChoices, MaintAdmin):
    form = MaintModelForm


def _save_formset_on_maint(formset) -> None:
    """Inline rows are written through the maintenance alias too (new objects would
    otherwise go to the request alias, where RLS refuses them)."""
    instances = formset.save(commit=False)
    for obj in formset.deleted_objects:
        obj.delete(using=MAINT)
    for obj in instances:
        obj.save(using=MAINT)
    formset.save_m2m()


class TeamInline(OperatorInline):
    model = Team
    fields = ["team_id", "name", "country"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(OperatorAdmin):
    list_display = ["csn", "name", "country"]
    search_fields = ["csn", "name"]
    list_filter = ["country"]
    inlines = [TeamInline]


class TeamLinkInline(OperatorInline):
    model = TeamLink
    fields = ["partner", "source", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["partner"]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "source":
            kwargs["initial"] = TeamLink.Source.OPERATOR  # links made here are the operator's
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(Team)
class TeamAdmin(OperatorAdmin):
    list_display = ["team_id", "name", "account", "country", "linked_partners", "created_at"]
    search_fields = ["team_id", "name", "account__name", "account__csn"]
    list_filter = ["country"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    inlines = [TeamLinkInline]

    def get_queryset(self, request):
        # Related managers use the default (partner-scoped) manager: prefetch explicitly.
        links = TeamLink.unscoped.using(MAINT).select_related("partner")
        return super().get_queryset(request).prefetch_related(Prefetch("links", queryset=links))

    @admin.display(description="partners")
    def linked_partners(self, obj: Team) -> str:
        return ", ".join(link.partner.csn for link in obj.links.all()) or "—"

    def save_formset(self, request, form, formset, change):
        _save_formset_on_maint(formset)
        if formset.model is TeamLink and formset.has_changed():
            from flex.tasks import queue_recompute

            queue_recompute([form.instance.pk], using=MAINT)


@admin.register(Contact)
class ContactAdmin(OperatorAdmin):
    list_display = ["name", "partner", "account", "team", "email", "phone", "title"]
    list_filter = ["partner"]
    search_fields = ["name", "email", "account__name", "team__team_id"]
    list_select_related = ["partner", "account", "team"]
    autocomplete_fields = ["account", "team"]


@admin.register(AccountAssignment)
class AccountAssignmentAdmin(OperatorAdmin):
    list_display = ["account", "partner", "account_manager", "updated_at"]
    list_filter = ["partner"]
    search_fields = ["account__name", "account__csn", "account_manager__email"]
    list_select_related = ["account", "partner", "account_manager"]
    autocomplete_fields = ["account", "account_manager"]
