"""The one FilterSet of the Token Balance list: the page and its export.

Parameters: status (active — the default —, open, quoted, won, lost, closed, all),
manager (user id or "unassigned"), end_from / end_to (the END DATE, i.e. the projected
end), q (team, team id, customer or lead number), ordering (column key of
quotes.tables, "-" for descending).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from quotes import selectors, tables
from quotes.models import ACTIVE_LEAD_STATUSES, Lead, LeadStatus
from spp.filters import ColumnOrderingFilter, ListFilterSet, RangeFilterForm, manager_filter

ACTIVE = "active"
ALL = "all"
STATUS_CHOICES = [
    (ACTIVE, "Open and quoted"),
    *LeadStatus.choices,
    (ALL, "All leads"),
]


class LeadFilterForm(RangeFilterForm):
    ranges = (("end_from", "end_to", "The end-date range ends before it starts."),)


class LeadFilterSet(ListFilterSet):
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label="Status", empty_label=None
    )
    manager = manager_filter()
    end_from = django_filters.DateFilter(
        field_name="projected_end", lookup_expr="gte", label="End date from"
    )
    end_to = django_filters.DateFilter(
        field_name="projected_end", lookup_expr="lte", label="End date to"
    )
    q = django_filters.CharFilter(method="filter_q", label="Search")
    # Empty values last both ways; the lead number breaks ties.
    ordering = ColumnOrderingFilter(
        columns=tables.COLUMNS, default=tables.DEFAULT_ORDERING, tie_breakers=("-number",)
    )

    class Meta:
        model = Lead
        fields: list[str] = []
        form = LeadFilterForm

    def default_queryset(self) -> QuerySet:
        return selectors.lead_rows()

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

    def search(self, value: str) -> Q:
        """Team, team id, customer, or the lead number (with or without "#")."""
        match = super().search(value)
        if value.lstrip("#").isdigit():
            match |= Q(number=int(value.lstrip("#")))
        return match
