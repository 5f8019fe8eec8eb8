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
from django import forms
from django.db.models import F, Q, QuerySet
from django_filters.constants import EMPTY_VALUES

from flex import selectors, tables
from flex.models import FlexSnapshot
from spp.filters import RequestFilterSet
from spp.tenancy import NoPartnerError


def _manager_choices() -> list[tuple[str, str]]:
    try:
        people = selectors.manager_choices()
    except NoPartnerError:
        # Schema generation builds the form without a partner: list nobody.
        people = []
    return [(selectors.UNASSIGNED, "Unassigned"), *((str(pk), name) for pk, name in people)]


class FlexOrderingFilter(django_filters.OrderingFilter):
    """Sort by any column key; empty values last in both directions; stable pages.

    Without a value the list is sorted by DEFAULT_ORDERING (lowest balance first: the
    teams that need a refill). The team name and id break ties, so a page never shows
    a row twice or skips one.
    """

    def filter(self, qs: QuerySet, value) -> QuerySet:
        params = [p for p in (value or []) if p not in EMPTY_VALUES] or [tables.DEFAULT_ORDERING]
        expressions = []
        for param in params:
            descending = param.startswith("-")
            field = self.param_map[param.lstrip("-")]
            expression = F(field)
            expressions.append(
                expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
            )
        expressions += [F("team__name").asc(), F("team__team_id").asc()]
        return qs.order_by(*expressions)


class FlexFilterForm(forms.Form):
    """Checks that need two parameters at once."""

    def clean(self) -> dict:
        data = super().clean()
        low, high = data.get("balance_min"), data.get("balance_max")
        if low is not None and high is not None and low > high:
            self.add_error("balance_max", "The balance maximum is below the minimum.")
        start, end = data.get("end_from"), data.get("end_to")
        if start and end and start > end:
            self.add_error("end_to", "The projected-end range ends before it starts.")
        return data


class FlexSnapshotFilterSet(RequestFilterSet):
    bucket = django_filters.ChoiceFilter(
        choices=selectors.BUCKET_CHOICES, method="filter_bucket", label="Bucket"
    )
    # Choices are the partner's people, filled in per instance (see __init__).
    manager = django_filters.ChoiceFilter(
        choices=[(selectors.UNASSIGNED, "Unassigned")],
        method="filter_manager",
        label="Account manager",
    )
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
    ordering = FlexOrderingFilter(
        fields=[(column.field, column.key) for column in tables.COLUMNS if column.sortable],
        field_labels={column.field: column.header for column in tables.COLUMNS},
        label="Sort by",
    )

    class Meta:
        model = FlexSnapshot
        fields: list[str] = []
        form = FlexFilterForm

    def __init__(
        self,
        data=None,
        queryset: QuerySet | None = None,
        *,
        manager_choices: list[tuple[str, str]] | None = None,
        **kwargs,
    ) -> None:
        if queryset is None:
            queryset = selectors.snapshot_rows()
        super().__init__(data, queryset=queryset, **kwargs)
        self.manager_choices = (
            manager_choices if manager_choices is not None else _manager_choices()
        )
        self.filters["manager"].extra["choices"] = self.manager_choices
        self._as_of: date | None = None
        self._as_of_resolved = False

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

    # ---------------------------------------------------------------- filters

    def filter_bucket(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(selectors.BUCKET_BY_KEY[value].q()) if value else queryset

    def filter_manager(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.filter_manager(queryset, value or None)

    def filter_balance_min(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(flex_balance_rate__gte=float(value) / 100)

    def filter_balance_max(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(flex_balance_rate__lte=float(value) / 100)

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(team__name__icontains=value)
            | Q(team__team_id__icontains=value)
            | Q(customer__icontains=value)
        )

    # ---------------------------------------------------------------- helpers

    def error_messages(self) -> list[str]:
        """Each problem once, as a sentence naming the parameter."""
        messages = []
        for name, errors in self.form.errors.items():
            for error in errors:
                if name == "__all__":
                    messages.append(str(error))
                else:
                    label = self.form.fields[name].label or name
                    value = self.data.get(name, "")
                    messages.append(f"{label} ({name}={value!s}): {error}")
        return messages
