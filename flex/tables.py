"""The one definition of the Flex list's columns, shared by the page, the export and the API.

A column is read from a row of `flex.selectors.snapshot_rows().values(*VALUE_FIELDS)`:
`field` is the ORM path (or annotation) holding its value, also used to sort. `key` is
the public name (SPEC §4 field names; the export header, the `ordering` parameter and
the API field), `header` what the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["int", "float", "rate", "date", "text"]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    field: str
    type: ColumnType
    sortable: bool = True
    decimals: int = 0  # for float and rate columns: how many the export keeps
    help: str = ""

    @property
    def numeric(self) -> bool:
        return self.type in ("int", "float", "rate")


COLUMNS: tuple[Column, ...] = (
    Column("team_id", "Team ID", "team__team_id", "text"),
    Column("team_name", "Team", "team__name", "text"),
    Column(
        "customer",
        "Customer",
        "customer",
        "text",
        help="The account name when your accepted quote has a pack in the pool, else n/a.",
    ),
    Column("account_manager", "Manager", "account_manager", "text"),
    Column("flex_total_tokens", "Total tokens", "flex_total_tokens", "int"),
    Column("flex_tokens_balance", "Flex balance", "flex_tokens_balance", "int"),
    Column("flex_tokens_consumption", "Flex consumption", "flex_tokens_consumption", "int"),
    Column("flex_purchased_tokens", "Purchased tokens", "flex_purchased_tokens", "int"),
    Column("flex_additional_tokens", "Additional tokens", "flex_additional_tokens", "int"),
    Column("flex_start_date", "Flex start", "flex_start_date", "date"),
    Column("flex_latest_end_date", "Latest end", "flex_latest_end_date", "date"),
    Column("flex_balance_rate", "Balance %", "flex_balance_rate", "rate", decimals=3),
    Column(
        "flex_consumption_rate_30", "Rate 30 days", "flex_consumption_rate_30", "float", decimals=2
    ),
    Column(
        "flex_consumption_rate_180",
        "Rate 180 days",
        "flex_consumption_rate_180",
        "float",
        decimals=2,
    ),
    Column("flex_projected_end_date", "Projected end", "flex_projected_end_date", "date"),
)

BY_KEY: dict[str, Column] = {column.key: column for column in COLUMNS}

# SPEC §6: identifying columns, then the eleven flex_* fields of §4, in this order.
EXPORT_KEYS: tuple[str, ...] = tuple(column.key for column in COLUMNS)

# SPEC §6 "Columns on screen", in this order; the others can be switched on.
SCREEN_DEFAULT_KEYS: tuple[str, ...] = (
    "account_manager",
    "team_name",
    "customer",
    "flex_tokens_balance",
    "flex_balance_rate",
    "flex_start_date",
    "flex_tokens_consumption",
    "flex_purchased_tokens",
    "flex_additional_tokens",
    "flex_total_tokens",
    "flex_projected_end_date",
)
SCREEN_OPTIONAL_KEYS: tuple[str, ...] = (
    "team_id",
    "flex_latest_end_date",
    "flex_consumption_rate_30",
    "flex_consumption_rate_180",
)
SCREEN_KEYS: tuple[str, ...] = SCREEN_DEFAULT_KEYS + SCREEN_OPTIONAL_KEYS

# What the page needs besides its visible columns (the team link).
VALUE_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys([*(column.field for column in COLUMNS), "team__team_id"])
)

DEFAULT_ORDERING = "flex_balance_rate"


def export_columns() -> list[Column]:
    return [BY_KEY[key] for key in EXPORT_KEYS]


def screen_columns(chosen: list[str] | tuple[str, ...] | None = None) -> list[Column]:
    """The visible columns, in screen order; unknown keys are ignored, none means the default."""
    wanted = set(chosen or SCREEN_DEFAULT_KEYS)
    columns = [BY_KEY[key] for key in SCREEN_KEYS if key in wanted]
    return columns or [BY_KEY[key] for key in SCREEN_DEFAULT_KEYS]


def sortable_keys() -> list[str]:
    return [column.key for column in COLUMNS if column.sortable]
