"""The Flex list export (SPEC §6): .xlsx and .csv of exactly the filtered, sorted rows.

Writers take plain rows (tuples in `tables.export_columns()` order, or in the order of
the `columns` they are given: other lists, like Token Balance, share them) so that they
are fast and testable without a database. The .xlsx is an openpyxl write-only workbook:
real numbers and dates with number formats, a bold filled header, frozen and
filterable, widths fitted to the content.

Formula injection: a text cell starting with = + - @ tab or CR must not be evaluated.
- .xlsx: the cell is written as a string (never a formula) with the `quotePrefix`
  style — what Excel itself stores when a person types a leading apostrophe. Excel and
  LibreOffice show the text unchanged and keep it text when the cell is edited
  (tests/flex/test_export.py opens both files with LibreOffice when it is installed).
- .csv: the text gets a leading `'` (OWASP), as a CSV has no types.

Large exports run as a Celery job (`start_job`); its progress lives in the cache under
a per-job key and the file under MEDIA_ROOT/exports/<job id>/.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from flex.tables import Column, export_columns
from spp import jobs

log = logging.getLogger(__name__)

ASYNC_THRESHOLD = 5_000  # more rows than this: a Celery job, fewer: an immediate download
PROGRESS_EVERY = 1_000
JOB_TTL = jobs.TTL  # seconds a job's status (and its file) is kept
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

NUMBER_FORMATS = {"int": "#,##0", "date": "yyyy-mm-dd"}
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0F3B57")
HEADER_BORDER = Border(bottom=Side(style="thin", color="0F3B57"))

Progress = Callable[[int, int], None]


class ExportError(ValueError):
    """A request for an export that cannot be made (bad parameters, unknown format)."""


# ---------------------------------------------------------------------- values


def is_dangerous(text: str) -> bool:
    return text.startswith(DANGEROUS_PREFIXES)


def neutralise_csv(text: str) -> str:
    """A CSV field no spreadsheet evaluates: dangerous text gets a leading apostrophe."""
    return "'" + text if is_dangerous(text) else text


def number_format(column: Column) -> str:
    if column.type in NUMBER_FORMATS:
        return NUMBER_FORMATS[column.type]
    if column.type in ("float", "rate"):
        return "0." + "0" * column.decimals
    return "General"


def clean_value(column: Column, value: Any) -> Any:
    """The value as the export holds it: rates rounded (SPEC §6), text without control chars."""
    if value is None:
        return None
    if column.type in ("float", "rate"):
        return round(float(value), column.decimals)
    if column.type == "int":
        return int(value)
    if column.type == "date":
        return value.date() if isinstance(value, datetime) else value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def rows_from(queryset: QuerySet, columns: Sequence[Column] | None = None) -> list[tuple]:
    """The export rows of a (filtered, sorted) snapshot queryset, as tuples."""
    columns = columns or export_columns()
    fields = [column.field for column in columns]
    raw = queryset.values_list(*fields)
    return [tuple(clean_value(c, v) for c, v in zip(columns, row, strict=True)) for row in raw]


def column_widths(rows: Sequence[Sequence], columns: Sequence[Column]) -> list[float]:
    """Widths (in characters) that fit the header and the widest value of each column."""
    widths = []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows if row[index] is not None]
        width = len(column.key)
        if values:
            if column.type == "int":
                width = max(width, len(f"{max(abs(v) for v in values):,}") + 1)
            elif column.type in ("float", "rate"):
                biggest = max(abs(v) for v in values)
                width = max(width, len(f"{biggest:.{column.decimals}f}") + 1)
            elif column.type == "date":
                width = max(width, 10)
            else:
                width = max(width, max(len(v) for v in values))
        widths.append(min(width + 2, 60))
    return widths


# ---------------------------------------------------------------------- writers


def write_xlsx(
    rows: Sequence[Sequence],
    out: IO[bytes] | str | Path,
    columns: Sequence[Column] | None = None,
    *,
    title: str = "Flex list",
    progress: Progress | None = None,
) -> None:
    """Write `rows` to an .xlsx workbook at `out` (a path or a binary file)."""
    columns = list(columns or export_columns())
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index, width in enumerate(column_widths(rows, columns), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"

    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.key)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(horizontal="right" if column.numeric else "left")
        header.append(cell)
    sheet.append(header)
    _append_cells_as_they_are(sheet)

    # One styled cell per column, reused row after row: the write-only sheet serialises
    # a row as soon as it is appended, and styling each of 300,000 new cells would
    # double the time of the export.
    plain = []
    quoted = []
    for column in columns:
        cell = WriteOnlyCell(sheet)
        cell.number_format = number_format(column)
        plain.append(cell)
        guarded = WriteOnlyCell(sheet)
        guarded.quotePrefix = True
        quoted.append(guarded)
    text_columns = {i for i, column in enumerate(columns) if column.type == "text"}

    total = len(rows)
    for done, row in enumerate(rows, start=1):
        cells: list[Any] = []
        for index, value in enumerate(row):
            if value is None:
                cells.append(None)
                continue
            if index in text_columns:
                cell = quoted[index] if is_dangerous(value) else plain[index]
                cell.value = value
                # openpyxl turns text starting with "=" into a formula: never here.
                cell.data_type = "s"
            else:
                cell = plain[index]
                cell.value = value
            cells.append(cell)
        sheet.append(cells)
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, total)
    workbook.save(out)
    if progress:
        progress(total, total)


def _append_cells_as_they_are(sheet) -> None:
    """Let the write-only sheet take our prepared cells without re-binding each one.

    openpyxl's row conversion first tries `cell.value = <our cell>`, which fails and
    formats an error message for every cell before using it: a third of the export's
    time. Rows here hold only prepared cells or None, so they need just a position.
    (openpyxl is pinned below 3.2; the export tests read the files back.)
    """
    if not hasattr(sheet, "_values_to_row"):
        return

    def values_to_row(values, row_idx):
        for col_idx, cell in enumerate(values, 1):
            if cell is None:
                continue
            cell.column = col_idx
            cell.row = row_idx
            yield cell

    sheet._values_to_row = values_to_row


def write_csv(
    rows: Iterable[Sequence],
    out: IO[str],
    columns: Sequence[Column] | None = None,
    *,
    progress: Progress | None = None,
    total: int = 0,
) -> None:
    """Write `rows` as CSV (header = column keys, ISO dates, plain numbers)."""
    columns = list(columns or export_columns())
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.key for column in columns])
    formats = []
    for column in columns:
        if column.type in ("float", "rate"):
            formats.append(lambda v, d=column.decimals: f"{v:.{d}f}")
        elif column.type == "date":
            formats.append(date.isoformat)
        elif column.type == "int":
            formats.append(str)
        else:
            formats.append(neutralise_csv)
    done = 0
    for row in rows:
        writer.writerow(["" if v is None else f(v) for f, v in zip(formats, row, strict=True)])
        done += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, total)
    if progress:
        progress(done, total or done)


def render(
    rows: Sequence[Sequence],
    fmt: str,
    progress: Progress | None = None,
    columns: Sequence[Column] | None = None,
    *,
    title: str = "Flex list",
) -> bytes:
    """The whole file in memory (small exports, answered at once).

    `columns` (default: the Flex list's) lets other lists share these writers, e.g. the
    Token Balance export (quotes.tables).
    """
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(rows, buffer, columns, title=title, progress=progress)
        return buffer.getvalue()
    if fmt == "csv":
        text = io.StringIO()
        write_csv(rows, text, columns, progress=progress, total=len(rows))
        # A BOM: Excel then reads the file as UTF-8 (names with accents); LibreOffice too.
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    raise ExportError(f"Unknown export format {fmt!r}: use xlsx or csv.")


def write_file(
    rows: Sequence[Sequence],
    fmt: str,
    path: Path,
    progress: Progress | None = None,
    columns: Sequence[Column] | None = None,
    *,
    title: str = "Flex list",
):
    if fmt == "xlsx":
        write_xlsx(rows, path, columns, title=title, progress=progress)
    elif fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            write_csv(rows, handle, columns, progress=progress, total=len(rows))
    else:
        raise ExportError(f"Unknown export format {fmt!r}: use xlsx or csv.")


def filename(partner_csn: str, as_of: date | None, fmt: str, bucket: str | None = None) -> str:
    parts = ["flex", partner_csn, as_of.isoformat() if as_of else "no-figures"]
    if bucket:
        parts.append(bucket)
    return "-".join(parts) + "." + fmt


# ---------------------------------------------------------------------- jobs


JOB_KIND = "flex-export"


def job_key(job_id: str) -> str:
    return jobs.key(JOB_KIND, job_id)


def job_status(job_id: str) -> dict | None:
    return jobs.status(JOB_KIND, job_id)


def _save_job(job_id: str, **changes) -> dict:
    return jobs.save(JOB_KIND, job_id, **changes)


def exports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "exports"


def start_job(
    *, partner_id: int, user_id: int, params: dict[str, str], fmt: str, total: int, name: str
) -> str:
    """Record a queued export and queue its task once the request's transaction commits."""
    from flex.tasks import export_flex_list

    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}: use xlsx or csv.")
    job_id = jobs.new_id()
    _save_job(
        job_id,
        partner_id=partner_id,
        user_id=user_id,
        format=fmt,
        filename=name,
        state="queued",
        done=0,
        total=total,
        path="",
        error="",
        created=time.time(),
    )
    export_flex_list.delay_on_commit(job_id, partner_id, user_id, params, fmt)
    return job_id


def run_job(job_id: str, partner_id: int, user_id: int, params: dict[str, str], fmt: str) -> str:
    """Build the export file of a job, as the partner, on the request alias (RLS)."""
    from flex.filtersets import FlexSnapshotFilterSet
    from spp.selectors import partner_by_id
    from spp.tenancy import partner_scope

    jobs.remove_old_folders(exports_root())
    job = _save_job(job_id, state="running")
    try:
        partner = partner_by_id(partner_id)
        with partner_scope(partner, user_id=user_id):
            filterset = FlexSnapshotFilterSet(params)
            if not filterset.is_valid():
                raise ExportError("; ".join(filterset.error_messages()))
            rows = rows_from(filterset.qs)
            total = len(rows)
            _save_job(job_id, total=total)

            def progress(done: int, of: int) -> None:
                _save_job(job_id, done=done, total=of)

            folder = exports_root() / job_id
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / job.get("filename", f"flex.{fmt}")
            write_file(rows, fmt, path, progress=progress)
    except Exception as exc:
        log.exception("Flex export job %s failed", job_id)
        _save_job(job_id, state="failed", error=str(exc) or exc.__class__.__name__)
        raise
    _save_job(job_id, state="done", done=total, total=total, path=str(path))
    return str(path)
