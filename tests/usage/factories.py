"""Feed files written by the tests into tmp_path, and read-backs through the maint alias."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from django.db import connections

MAINT = "maint"

TABLES = (
    "spp_partner",
    "teams_account",
    "teams_team",
    "teams_teamlink",
    "flex_pack",
    "flex_tokenevent",
    "usage_product",
    "usage_productrate",
    "usage_usagerow",
    "usage_usagedaily",
    "usage_usagedailyproduct",
    "usage_importbatch",
)


def write_csv(
    folder: Path, name: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Path:
    path = Path(folder) / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_text(folder: Path, name: str, text: str | bytes) -> Path:
    path = Path(folder) / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_xlsx(
    folder: Path,
    name: str,
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    first_row: int = 1,
    other_sheets: int = 0,
) -> Path:
    """A workbook whose first sheet holds the table from `first_row` on; cells keep their
    Python types (dates become real Excel date cells)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Export"
    for column, value in enumerate(header, start=1):
        sheet.cell(row=first_row, column=column, value=value)
    for offset, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=first_row + offset, column=column, value=value)
    for index in range(other_sheets):
        workbook.create_sheet(f"Other {index}").append(["ignored", "sheet"])
    path = Path(folder) / name
    workbook.save(path)
    return path


def run(kind: str, path: Path, **options):
    """import_file without the Flex recompute unless a test asks for it."""
    from usage.imports import import_file

    options.setdefault("recompute", "none")
    return import_file(kind, path, **options)


def counts() -> dict[str, int]:
    """Rows in every table a feed writes (read as the maintenance role: no RLS)."""
    with connections[MAINT].cursor() as cursor:
        result = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 — fixed names
            result[table] = cursor.fetchone()[0]
    return result


def rows(sql: str, params: Sequence[object] = ()) -> list[tuple]:
    with connections[MAINT].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def dump(table: str) -> list[tuple]:
    """Every row of a table, ids included, in id order (to prove nothing was rewritten)."""
    return rows(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 — fixed names
