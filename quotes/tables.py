"""The one definition of the Token Balance columns (SPEC §7): the page and the export.

Columns are spp.tables.Column, so that the Flex export writer (flex.export) writes
this list too. `field` is the ORM path or annotation in quotes.selectors.lead_rows().
"""

from __future__ import annotations

from spp.tables import LINKED_CUSTOMER, TEAM_ID_REF, TEAM_NAME_REF, Column, ColumnSet

COLUMNS: tuple[Column, ...] = (
    Column("lead_number", "Lead #", "number", "int"),
    Column("status", "Status", "status_label", "text"),
    TEAM_ID_REF,
    TEAM_NAME_REF,
    Column(
        "end_date",
        "End date",
        "projected_end",
        "date",
        help="The projected end, with its distance in days from today.",
    ),
    Column("end_date_days", "Days to end", "end_days", "int"),
    Column("balance_rate", "Balance %", "balance_rate", "rate", decimals=3),
    Column("rate_30", "Rate 30 days", "rate_30", "float", decimals=2),
    Column("rate_180", "Rate 180 days", "rate_180", "float", decimals=2),
    Column(
        "annual_quantity",
        "Annual quantity",
        "annual_quantity",
        "int",
        help="max(rate 30, rate 180) × 365, rounded up to a multiple of 100.",
    ),
    Column(
        "value",
        "Value",
        "value",
        "float",
        decimals=2,
        help="Annual quantity × your token unit price (price list, valid today).",
    ),
    Column("currency", "Currency", "currency", "text", sortable=False),
    Column("account_manager", "Account manager", "account_manager", "text"),
    LINKED_CUSTOMER,
    Column("opened_on", "Opened", "opened_on", "date"),
    Column("closed_on", "Closed", "closed_on", "date"),
    Column("lost_reason", "Lost reason", "lost_reason", "text", sortable=False),
    Column("figures_as_of", "Figures as of", "figures_as_of", "date"),
)

# SPEC §7's columns, in its order (the team added: a lead is about a team).
SCREEN_KEYS: tuple[str, ...] = (
    "lead_number",
    "status",
    "team_name",
    "end_date",
    "balance_rate",
    "rate_30",
    "rate_180",
    "annual_quantity",
    "value",
    "account_manager",
    "customer",
)

DEFAULT_ORDERING = "end_date"

# What the page needs besides its visible columns.
LEADS = ColumnSet(COLUMNS, SCREEN_KEYS, extra_fields=("status", "team__team_id"))

BY_KEY: dict[str, Column] = LEADS.by_key
EXPORT_KEYS: tuple[str, ...] = LEADS.export_keys
VALUE_FIELDS: tuple[str, ...] = LEADS.value_fields

export_columns = LEADS.export_columns
screen_columns = LEADS.screen_columns
sortable_keys = LEADS.sortable_keys
