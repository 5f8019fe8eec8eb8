"""The one FilterSet of the Flex list: the page, the export, the command and the REST API.

Parameters: bucket, manager (user id or "unassigned"), balance_min / balance_max
(percent), end_from / end_to (projected end), q, ordering (column key, "-" for
descending), as_of (default: the partner's latest figures).

A DRF view uses it as is::

    class FlexTeamViewSet(PartnerScopedAPIMixin, ReadOnlyModelViewSet):
        filterset_class = FlexSnapshotFilterSet

        def get_queryset(self):
            return flex.selectors.snapshot_rows()

Invalid values make `is_valid()` false with a message per parameter; DRF's
DjangoFilterBackend turns that into a 400.
"""

from __future__ import annotations

from datetime import date

import django_filters
from django.db.models import QuerySet

from flex import selectors, tables
from flex.models import FlexSnapshot
from spp.filters import ColumnOrderingFilter, ListFilterSet, RangeFilterForm, manager_filter


class FlexFilterForm(RangeFilterForm):
    ranges = (
        ("balance_min", "balance_max", "The balance maximum is below the minimum."),
        ("end_from", "end_to", "The projected-end range ends before it starts."),
    )


class FlexSnapshotFilterSet(ListFilterSet):
    bucket = django_filters.ChoiceFilter(
        choices=selectors.BUCKET_CHOICES, method="filter_bucket", label="Bucket"
    )
    manager = manager_filter()
    balance_min = django_filters.NumberFilter(
        method="filter_balance_min", min_value=0, max_value=100, label="Balance % from"
    )
    balance_max = django_filters.NumberFilter(
        method="filter_balance_max", min_value=0, max_value=100, label="Balance % to"
    )
    end_from = django_filters.DateFilter(
        field_name="flex_projected_end_date", lookup_expr="gte", label="Projected end from"
    )
    end_to = django_filters.DateFilter(
        field_name="flex_projected_end_date", lookup_expr="lte", label="Projected end to"
    )
    q = django_filters.CharFilter(method="filter_q", label="Search")
    as_of = django_filters.DateFilter(method="filter_as_of", label="Figures as of")
    # Without a value: lowest balance first (the teams that need a refill).
    ordering = ColumnOrderingFilter(
        columns=tables.COLUMNS,
        default=tables.DEFAULT_ORDERING,
        tie_breakers=("team__name", "team__team_id"),
    )

    class Meta:
        model = FlexSnapshot
        fields: list[str] = []
        form = FlexFilterForm

    _as_of: date | None = None
    _as_of_resolved = False

    def default_queryset(self) -> QuerySet:
        return selectors.snapshot_rows()

    # ------------------------------------------------------------------ as_of

    def resolved_as_of(self) -> date | None:
        """The date the rows are for: as_of when given (and valid), else the latest."""
        if not self._as_of_resolved:
            given = None
            if self.is_bound:
                self.form.is_valid()  # fills cleaned_data with the valid parameters
                given = self.form.cleaned_data.get("as_of")
            self._as_of = given or selectors.latest_as_of()
            self._as_of_resolved = True
        return self._as_of

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = selectors.with_account_manager(queryset)
        as_of = self.resolved_as_of()
        queryset = queryset.filter(as_of=as_of) if as_of else queryset.none()
        return super().filter_queryset(queryset)

    def filter_as_of(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # applied in filter_queryset, which also picks the default

    # ------------------------------------------------- filters (manager and q: ListFilterSet)

    def filter_bucket(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(selectors.BUCKET_BY_KEY[value].q()) if value else queryset

    def filter_balance_min(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(flex_balance_rate__gte=float(value) / 100)

    def filter_balance_max(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(flex_balance_rate__lte=float(value) / 100)
