"""The plumbing of the filtered, sorted, paginated list pages (the Flex list, Token
Balance, quotes, notifications): rows per page, paging, the links that keep a list's
filters, sortable column headers and status tabs.

A list page describes itself once with a `ListLinks`::

    FLEX_LINKS = ListLinks("flex_list", ("bucket", "manager", ..., "ordering", "as_of"),
                           kept=("bucket", "ordering", "as_of"), export_url_name="flex_export")

and builds the common part of its context with `FLEX_LINKS.table_context(...)`; the
template extends `spp/list_page.html`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import QueryDict
from django.urls import reverse

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_size(value: str | None) -> tuple[int, str]:
    """The rows per page asked for (`page_size`), and a problem when it cannot be used."""
    if value in (None, ""):
        return DEFAULT_PAGE_SIZE, ""
    try:
        size = int(value)
    except ValueError:
        return DEFAULT_PAGE_SIZE, f"Rows per page (page_size={value}): enter a whole number."
    if not 1 <= size <= MAX_PAGE_SIZE:
        return (
            DEFAULT_PAGE_SIZE,
            f"Rows per page (page_size={value}): choose between 1 and {MAX_PAGE_SIZE}.",
        )
    return size, ""


def paginate(queryset, data: QueryDict, size: int, problems: list[str]) -> tuple[Paginator, Page]:
    """The page `data` asks for (`page`); a bad number shows the first or the last page
    and adds a problem."""
    paginator = Paginator(queryset, size)
    number = data.get("page") or 1
    try:
        page = paginator.page(number)
    except PageNotAnInteger:
        problems.append(f"Page (page={number}): enter a whole number.")
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
        if str(number) != "1":
            problems.append(
                f"Page {number} does not exist; this is the last page, {paginator.num_pages}."
            )
    return paginator, page


def page_context(paginator: Paginator, page: Page, query: dict[str, Any]) -> dict:
    """What `spp/_pagination.html` needs; `query` is what every page link keeps."""
    return {
        "page": page,
        "paginator": paginator,
        "page_query": urlencode(query),
        "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2)),
    }


def sort_header(key: str, current: str, *, first_descending: bool = False) -> tuple[dict, str]:
    """How a sortable column's header shows under the current sort (`key` or `-key`):
    sorted, descending and its aria-sort; and the sort a click on it asks for. A click on
    the sorted column flips it; on another column it sorts that one ascending, or
    descending with `first_descending` (numbers largest first)."""
    is_current = current.lstrip("-") == key
    descending = current.startswith("-")
    if is_current:
        target = key if descending else "-" + key
    else:
        target = ("-" if first_descending else "") + key
    state = {
        "sorted": is_current,
        "descending": is_current and descending,
        "aria_sort": ("descending" if descending else "ascending") if is_current else "none",
    }
    return state, target


@dataclass(frozen=True)
class ListLinks:
    """Where a list page lives and which query parameters make up its state.

    `params`: the filter and sort parameters, in the order links spell them (paging
    left out). `kept`: those the filter form carries as hidden fields (the tab, the
    sort). `export_url_name`: the export of exactly the filtered rows, if any.
    """

    url_name: str
    params: tuple[str, ...]
    kept: tuple[str, ...] = ()
    export_url_name: str = ""

    def url(self, **params) -> str:
        """The list filtered by `params` (empty values left out)."""
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return reverse(self.url_name) + (f"?{query}" if query else "")

    def filter_params(self, data: QueryDict) -> dict[str, str]:
        """The filter and sort parameters of a request, without paging."""
        return {name: data.get(name) for name in self.params if data.get(name) not in (None, "")}

    def export_url(self, params: dict[str, str], fmt: str) -> str:
        return reverse(self.export_url_name) + "?" + urlencode({**params, "format": fmt})

    def header(self, column, ordering: str, params: dict[str, str]) -> dict:
        """A sortable column header (see sort_header)."""
        state, target = sort_header(column.key, ordering)
        return {"column": column, **state, "url": self.url(**{**params, "ordering": target})}

    def tabs(
        self,
        params: dict[str, str],
        name: str,
        choices: Iterable[tuple[str, str] | tuple[str, str, str]],
        counts: dict[str, int | None],
        current: str,
        default: str = "",
    ) -> list[dict]:
        """One tab per (key, label[, description]) of the parameter `name`, each keeping
        the other filters; the `default` key's link leaves the parameter out."""
        others = {k: v for k, v in params.items() if k != name}
        tabs = []
        for key, label, *description in choices:
            tabs.append(
                {
                    "key": key,
                    "label": label,
                    "description": description[0] if description else "",
                    "count": counts.get(key),
                    "url": self.url(**others, **{name: key if key != default else ""}),
                    "active": current == key,
                }
            )
        return tabs

    def table_context(
        self,
        data: QueryDict,
        rows,
        problems: list[str],
        columns: Sequence,
        default_ordering: str,
    ) -> dict:
        """The context of a list page's table: the page of `rows` (a queryset) and its
        paging, sortable headers, the filters to keep, the reset and export links.

        Problems with the paging parameters are added to `problems`.
        """
        size, size_problem = page_size(data.get("page_size"))
        if size_problem:
            problems.append(size_problem)
        paginator, page = paginate(rows, data, size, problems)
        params = self.filter_params(data)
        ordering = data.get("ordering") or default_ordering
        context = {
            **page_context(paginator, page, {**params, "page_size": size}),
            "problems": problems,
            "rows": list(page.object_list),
            "columns": columns,
            "headers": [self.header(column, ordering, params) for column in columns],
            "params": params,
            "kept": [(name, params[name]) for name in self.kept if name in params],
            "page_size": size,
            "page_sizes": PAGE_SIZES,
            "has_filters": any(name != "ordering" for name in params),
            "reset_url": self.url(),
        }
        if self.export_url_name:
            context["export_xlsx"] = self.export_url(params, "xlsx")
            context["export_csv"] = self.export_url(params, "csv")
        return context
