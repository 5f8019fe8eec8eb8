"""Page-number pagination: `{"count", "next", "previous", "results"}` (ARCHITECTURE.md).

Every list view orders by its sort keys and then a unique column, so a row never
appears on two pages nor falls between them.
"""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    page_query_description = "Page number, from 1."
    page_size_query_description = "Rows per page (1 to 500, default 50)."


class FilterSetBackend:
    """django-filter's backend without its schema introspection.

    drf-spectacular documents a DjangoFilterBackend by touching each filter's form field,
    which builds and caches it on the FilterSet *class*: a ChoiceFilter whose choices are
    set per request (the partner's people, `manager`) would then keep the schema-time
    choices for every later request of the process. Views using this backend document
    their parameters explicitly instead.
    """

    def filter_queryset(self, request, queryset, view):
        from rest_framework.exceptions import ValidationError

        filterset = view.filterset_class(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset.qs

    def get_schema_operation_parameters(self, view) -> list:
        return []
