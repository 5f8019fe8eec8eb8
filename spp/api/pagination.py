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
