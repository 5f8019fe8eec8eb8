"""The one FilterSet of the Token Balance list: the page and its export.

Parameters: status (active — the default —, open, quoted, won, lost, closed, all),
manager (user id or "unassigned"), end_from / end_to (the END DATE, i.e. the projected
end), q (team, team id, customer or lead number), ordering (column key of
quotes.tables, "-" for descending).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django_filters.constants import EMPTY_VALUES

from flex import selectors as flex_selectors
from quotes import selectors, tables
from quotes.models import ACTIVE_LEAD_STATUSES, Lead, LeadStatus
from spp.filters import RequestFilterSet
from spp.tenancy import NoPartnerError

ACTIVE = "active"
ALL = "all"
STATUS_CHOICES = [
    (ACTIVE, "Open and quoted"),
    *LeadStatus.choices,
    (ALL, "All leads"),
]


def people_choices() -> list[tuple[str, str]]:
    try:
        people = flex_selectors.manager_choices()
    except NoPartnerError:  # schema tools build the form without a partner
        people = []
    return [(flex_selectors.UNASSIGNED, "Unassigned"), *((str(pk), name) for pk, name in people)]


class LeadOrderingFilter(django_filters.OrderingFilter):
    """Sort by any column key; empty values last both ways; the lead number breaks ties."""

    def filter(self, qs: QuerySet, value) -> QuerySet:
        params = [p for p in (value or []) if p not in EMPTY_VALUES] or [tables.DEFAULT_ORDERING]
        expressions = []
        for param in params:
            descending = param.startswith("-")
            expression = F(self.param_map[param.lstrip("-")])
            expressions.append(
                expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
            )
        return qs.order_by(*expressions, F("number").desc())


class LeadFilterForm(forms.Form):
    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("end_from"), data.get("end_to")
        if start and end and start > end:
            self.add_error("end_to", "The end-date range ends before it starts.")
        return data


class LeadFilterSet(RequestFilterSet):
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label="Status", empty_label=None
    )
    manager = django_filters.ChoiceFilter(
        choices=[(flex_selectors.UNASSIGNED, "Unassigned")],
        method="filter_manager",
        label="Account manager",
    )
    end_from = django_filters.DateFilter(
        field_name="projected_end", lookup_expr="gte", label="End date from"
    )
    end_to = django_filters.DateFilter(
        field_name="projected_end", lookup_expr="lte", label="End date to"
    )
    q = django_filters.CharFilter(method="filter_q", label="Search")
    ordering = LeadOrderingFilter(
        fields=[(column.field, column.key) for column in tables.COLUMNS if column.sortable],
        field_labels={column.field: column.header for column in tables.COLUMNS},
        label="Sort by",
    )

    class Meta:
        model = Lead
        fields: list[str] = []
        form = LeadFilterForm

    def __init__(
        self,
        data=None,
        queryset: QuerySet | None = None,
        *,
        manager_choices: list[tuple[str, str]] | None = None,
        **kwargs,
    ) -> None:
        if queryset is None:
            queryset = selectors.lead_rows()
        super().__init__(data, queryset=queryset, **kwargs)
        self.manager_choices = manager_choices if manager_choices is not None else people_choices()
        self.filters["manager"].extra["choices"] = self.manager_choices

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        # No status parameter at all: the leads still to be worked.
        if not (self.data.get("status") if self.data else None):
            queryset = queryset.filter(status__in=ACTIVE_LEAD_STATUSES)
        return queryset

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == ALL:
            return queryset
        if value in ("", ACTIVE):
            return queryset.filter(status__in=ACTIVE_LEAD_STATUSES)
        return queryset.filter(status=value)

    def filter_manager(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return flex_selectors.filter_manager(queryset, value or None)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        match = (
            Q(team__name__icontains=value)
            | Q(team__team_id__icontains=value)
            | Q(customer__icontains=value)
        )
        if value.lstrip("#").isdigit():
            match |= Q(number=int(value.lstrip("#")))
        return queryset.filter(match)

    def error_messages(self) -> list[str]:
        """Each problem once, as a sentence naming the parameter."""
        messages = []
        for name, errors in self.form.errors.items():
            for error in errors:
                if name == "__all__":
                    messages.append(str(error))
                else:
                    label = self.form.fields[name].label or name
                    messages.append(f"{label} ({name}={self.data.get(name, '')!s}): {error}")
        return messages
