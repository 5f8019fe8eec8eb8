"""Query parameters of the Flex endpoints.

The Flex list's parameters come from flex.filtersets.FlexSnapshotFilterSet, the one
FilterSet of the page, the export and the API; `flex_filter_parameters()` describes
them for OpenAPI from that FilterSet itself, so the docs cannot drift from it.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from flex import tables
from flex.filtersets import FlexSnapshotFilterSet
from flex.models import Pack
from flex.selectors import BUCKETS

_DESCRIPTIONS = {
    "bucket": "SPEC §5 bucket: "
    + "; ".join(f"`{b.key}` {b.label.lower()}" for b in BUCKETS)
    + ". Without it: every team that has ever had a pack.",
    "manager": 'Account manager: a user id (see `account_manager_id`), or "unassigned".',
    "balance_min": "FLEX BALANCE % from (0-100, inclusive).",
    "balance_max": "FLEX BALANCE % to (0-100, inclusive).",
    "end_from": "Projected end from (YYYY-MM-DD, inclusive).",
    "end_to": "Projected end to (YYYY-MM-DD, inclusive).",
    "q": "Search in team name, team id and customer.",
    "as_of": "Figures as of this business date (YYYY-MM-DD); default: the latest.",
    "ordering": "Sort key, `-` for descending: "
    + ", ".join(f"`{key}`" for key in tables.sortable_keys())
    + ". Default: flex_balance_rate (lowest first); ties by team name and id.",
}


def _parameter(name: str, flt: django_filters.Filter) -> OpenApiParameter:
    enum = None
    if isinstance(flt, django_filters.OrderingFilter):
        keys = tables.sortable_keys()
        enum = [*keys, *(f"-{key}" for key in keys)]
        kind = OpenApiTypes.STR
    elif name == "bucket":
        enum = [bucket.key for bucket in BUCKETS]
        kind = OpenApiTypes.STR
    elif isinstance(flt, django_filters.NumberFilter):
        kind = OpenApiTypes.NUMBER
    elif isinstance(flt, django_filters.DateFilter):
        kind = OpenApiTypes.DATE
    else:
        # manager: its choices are the partner's people, known only per request.
        kind = OpenApiTypes.STR
    return OpenApiParameter(name, kind, enum=enum, description=_DESCRIPTIONS.get(name, ""))


def flex_filter_parameters(only: tuple[str, ...] | None = None) -> list[OpenApiParameter]:
    """OpenAPI parameters of FlexSnapshotFilterSet (all, or `only` these names)."""
    return [
        _parameter(name, flt)
        for name, flt in FlexSnapshotFilterSet.base_filters.items()
        if only is None or name in only
    ]


class PackFilterSet(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__team_id", label="Autodesk team id")
    active_on = django_filters.DateFilter(
        method="filter_active_on", label="Active on this date (start ≤ date ≤ end)"
    )
    start_from = django_filters.DateFilter(field_name="start_date", lookup_expr="gte")
    start_to = django_filters.DateFilter(field_name="start_date", lookup_expr="lte")
    end_from = django_filters.DateFilter(field_name="end_date", lookup_expr="gte")
    end_to = django_filters.DateFilter(field_name="end_date", lookup_expr="lte")
    source = django_filters.ChoiceFilter(choices=Pack.Source.choices)

    class Meta:
        model = Pack
        fields: list[str] = []

    def filter_active_on(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(start_date__lte=value, end_date__gte=value)
