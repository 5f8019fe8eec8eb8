"""What every table of SPP is made of, defined once: a column, a table of row objects, the
columns of a list read from a queryset, and the columns several tables share.

A column's `key` is its public name (the export header, the `sort`/`ordering` parameter
and the API field), `header` what the page shows, `field` where its value is: the
attribute of a row object (usage, the advisor) or the ORM path of a `.values()` row
(the Flex list, Token Balance). Sorting, page display and export cleaning live with the
code that reads the rows (usage.tables, flex.export).
"""

from __future__ import annotations

import dataclasses
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

    def replace(self, **changes) -> Column:
        """The same column with some attributes changed (another field, no sorting…)."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Table:
    """A table of row objects: its name in `?export=`, title (sheet name), columns, default sort."""

    name: str
    title: str
    columns: tuple[Column, ...]
    default_sort: str = ""

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def without(self, *keys: str, **changes: str) -> Table:
        """The table less the columns `keys`; `changes` gives it another name or title."""
        columns = tuple(c for c in self.columns if c.key not in keys)
        return dataclasses.replace(self, columns=columns, **changes)

    def only(self, *keys: str, whole: tuple[str, ...] = ()) -> Table:
        """A page's shorter version of the table: the columns `keys`, in the table's order;
        those in `whole` shown as integers (money in whole units; the export keeps cents)."""
        columns = tuple(
            c.replace(type="int", decimals=0) if c.key in whole else c
            for c in self.columns
            if c.key in keys
        )
        return dataclasses.replace(self, columns=columns)


@dataclass(frozen=True)
class ColumnSet:
    """The columns of a list read with `queryset.values(*value_fields)`: one definition for
    its page, export, API and `ordering` (the Flex list, Token Balance). Every column is
    exported, in definition order; the page shows `screen_keys` in that order, the
    `default_keys` among them when the person has chosen none."""

    columns: tuple[Column, ...]
    screen_keys: tuple[str, ...]
    default_keys: tuple[str, ...] = ()  # empty: every screen key
    extra_fields: tuple[str, ...] = ()  # what the page reads besides its columns

    @property
    def by_key(self) -> dict[str, Column]:
        return {column.key: column for column in self.columns}

    @property
    def export_keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)

    @property
    def value_fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*(c.field for c in self.columns), *self.extra_fields]))

    def export_columns(self) -> list[Column]:
        return list(self.columns)

    def screen_columns(self, chosen: list[str] | tuple[str, ...] | None = None) -> list[Column]:
        """The visible columns, in screen order; unknown keys are ignored, none chosen (or
        none known) means the default ones."""
        default = self.default_keys or self.screen_keys
        by_key = self.by_key
        wanted = set(chosen or default)
        columns = [by_key[key] for key in self.screen_keys if key in wanted]
        return columns or [by_key[key] for key in default]

    def sortable_keys(self) -> list[str]:
        return [column.key for column in self.columns if column.sortable]


# ------------------------------------------------------------------ shared columns

# Rows of plain objects (usage reporting, the advisor).
DAY = Column("day", "Day", "day", "date")
DAY_UTC = Column("day", "Day (UTC)", "day", "date")
USER = Column("user", "User", "user", "text")
USER_LABEL = USER.replace(field="label")  # rows that keep the user's key beside the label
PRODUCT = Column("product", "Product", "product", "text")
USER_COUNT = Column("users", "Users", "users", "int")
TOKENS = Column("tokens", "Tokens", "tokens", "int")
DAYS_USED = Column("days_used", "Days used", "days", "int")
SHARE = Column("share", "Share", "share", "rate", decimals=3)
CURRENCY = Column("currency", "Currency", "currency", "text")
BALANCE = Column("flex_tokens_balance", "Balance", "balance", "int")
# A team's identity at the head of a partner-wide table (portfolio, advisor portfolio).
TEAM_ID = Column("team_id", "Team ID", "team_id", "text")
TEAM_NAME = Column("team_name", "Team", "name", "text")
CUSTOMER = Column("customer", "Customer", "customer", "text")
TEAM_COLUMNS = (TEAM_ID, TEAM_NAME, CUSTOMER)

# Querysets with a `team` foreign key (the Flex list, Token Balance).
TEAM_ID_REF = TEAM_ID.replace(field="team__team_id")
TEAM_NAME_REF = TEAM_NAME.replace(field="team__name")
LINKED_CUSTOMER = CUSTOMER.replace(
    help="The account name when your accepted quote has a pack in the pool, else n/a."
)
