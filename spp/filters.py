"""The base of every FilterSet whose choices depend on the request (its partner)."""

from __future__ import annotations

import django_filters


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
