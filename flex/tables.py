"""The one definition of the Flex list's columns, shared by the page, the export and the API.

A column (spp.tables.Column) is read from a row of `flex.selectors.snapshot_rows().values(*VALUE_FIELDS)`:
`field` is the ORM path (or annotation) holding its value, also used to sort. `key` is
the public name (SPEC §4 field names; the export header, the `ordering` parameter and
the API field), `header` what the page shows.
"""

from __future__ import annotations

# Column is spp.tables.Column; flex.export and the views import it from here too.
from spp.tables import LINKED_CUSTOMER, TEAM_ID_REF, TEAM_NAME_REF, Column, ColumnSet

COLUMNS: tuple[Column, ...] = (
    TEAM_ID_REF,
    TEAM_NAME_REF,
    LINKED_CUSTOMER,
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

# What the page needs besides its visible columns: the team link.
FLEX_LIST = ColumnSet(COLUMNS, SCREEN_KEYS, SCREEN_DEFAULT_KEYS, extra_fields=("team__team_id",))

BY_KEY: dict[str, Column] = FLEX_LIST.by_key
# SPEC §6: identifying columns, then the eleven flex_* fields of §4, in this order.
EXPORT_KEYS: tuple[str, ...] = FLEX_LIST.export_keys
VALUE_FIELDS: tuple[str, ...] = FLEX_LIST.value_fields

DEFAULT_ORDERING = "flex_balance_rate"

export_columns = FLEX_LIST.export_columns
screen_columns = FLEX_LIST.screen_columns
sortable_keys = FLEX_LIST.sortable_keys
