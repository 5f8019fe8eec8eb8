"""The bases of the list pages' FilterSets (the Flex list, Token Balance)."""

from __future__ import annotations

from collections.abc import Iterable

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django_filters.constants import EMPTY_VALUES

from flex import selectors as flex_selectors
from spp.tenancy import NoPartnerError


class RequestFilterSet(django_filters.FilterSet):
    """Builds its form fields per instance, never from a cache on the class.

    A django-filter Filter caches its form field (`_field`) on first use, and instances
    deep-copy the class's filters with that cache. Schema generation (drf-spectacular)
    reads the class's filters with no partner and so caches empty choices: after
    /api/docs/ had been served once, every manager id on the list pages was refused.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():
            filter_.__dict__.pop("_field", None)


def people_choices() -> list[tuple[str, str]]:
    """The account-manager filter's choices: "Unassigned", then the partner's people."""
    try:
        people = flex_selectors.manager_choices()
    except NoPartnerError:
        # Schema generation builds the form without a partner: list nobody.
        people = []
    return [(flex_selectors.UNASSIGNED, "Unassigned"), *((str(pk), name) for pk, name in people)]


def manager_filter() -> django_filters.ChoiceFilter:
    """The account-manager filter (user id or "unassigned"); its choices are the
    partner's people, filled in per instance by ListFilterSet."""
    return django_filters.ChoiceFilter(
        choices=[(flex_selectors.UNASSIGNED, "Unassigned")],
        method="filter_manager",
        label="Account manager",
    )


class ColumnOrderingFilter(django_filters.OrderingFilter):
    """Sort by any sortable column's key ("-" for descending); empty values last in both
    directions; `default` without a value; `tie_breakers` (ORM paths, "-" for
    descending) keep pages stable, so a page never shows a row twice or skips one."""

    def __init__(self, *, columns: Iterable, default: str, tie_breakers: tuple[str, ...], **kw):
        columns = tuple(columns)
        self.default = default
        self.tie_breakers = tie_breakers
        super().__init__(
            fields=[(column.field, column.key) for column in columns if column.sortable],
            field_labels={column.field: column.header for column in columns},
            label="Sort by",
            **kw,
        )

    def filter(self, qs: QuerySet, value) -> QuerySet:
        params = [p for p in (value or []) if p not in EMPTY_VALUES] or [self.default]
        expressions = []
        for param in params:
            expression = F(self.param_map[param.lstrip("-")])
            expressions.append(
                expression.desc(nulls_last=True)
                if param.startswith("-")
                else expression.asc(nulls_last=True)
            )
        for path in self.tie_breakers:
            expressions.append(F(path[1:]).desc() if path.startswith("-") else F(path).asc())
        return qs.order_by(*expressions)


class RangeFilterForm(forms.Form):
    """Checks that need two parameters at once: each (low, high, message) of `ranges`
    is in order, else the message goes on the high parameter."""

    ranges: tuple[tuple[str, str, str], ...] = ()

    def clean(self) -> dict:
        data = super().clean()
        for low_name, high_name, message in self.ranges:
            low, high = data.get(low_name), data.get(high_name)
            if low is not None and high is not None and low > high:
                self.add_error(high_name, message)
        return data


class ListFilterSet(RequestFilterSet):
    """A list page's FilterSet: its rows by default, the account-manager filter with the
    partner's people as choices (pass `manager_choices` to reuse one instance's), a
    search over team, team id and customer, and messages naming the parameter."""

    def __init__(
        self,
        data=None,
        queryset: QuerySet | None = None,
        *,
        manager_choices: list[tuple[str, str]] | None = None,
        **kwargs,
    ) -> None:
        if queryset is None:
            queryset = self.default_queryset()
        super().__init__(data, queryset=queryset, **kwargs)
        self.manager_choices = manager_choices if manager_choices is not None else people_choices()
        self.filters["manager"].extra["choices"] = self.manager_choices

    def default_queryset(self) -> QuerySet:
        raise NotImplementedError

    def filter_manager(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return flex_selectors.filter_manager(queryset, value or None)

    def search(self, value: str) -> Q:
        """What `q` matches (already stripped, never empty)."""
        return (
            Q(team__name__icontains=value)
            | Q(team__team_id__icontains=value)
            | Q(customer__icontains=value)
        )

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(self.search(value)) if value else queryset

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
