"""Reading a feed file (.csv or the first sheet of an .xlsx) into a table of text cells.

Every cell is read as text ("" when blank), headers are normalised (case, spaces,
underscores and dashes do not matter) and every row keeps the file's own line number
(header = line 1 of a CSV; the sheet row number in a workbook), so that reports point at
the line the operator sees in an editor or in Excel. Problems with the file as a whole
raise FileError; the kinds validate the cells.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from usage.imports.report import RowError

SUFFIXES = (".csv", ".xlsx")
DELIMITERS = (",", ";", "\t", "|")
_SEPARATORS = re.compile(r"[\s_\-]+")
_SKIPPED_LINE = re.compile(r"Skipping line (\d+): (.*)")


class FileError(Exception):
    """The file as a whole cannot be imported (its message says why)."""


def normalise_header(name: str) -> str:
    """`Day used`, `day_used`, `dayUsed`, `day-used` -> `dayused`."""
    return _SEPARATORS.sub("", str(name).replace("\ufeff", "")).lower()


@dataclass(frozen=True)
class Column:
    """A column a kind reads: its key, the normalised headers that name it (in order of
    preference), and whether a file without it is refused."""

    key: str
    aliases: tuple[str, ...] = ()
    required: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return (normalise_header(self.key), *(normalise_header(a) for a in self.aliases))


@dataclass
class Row:
    """One data row of a small feed as plain data: key -> stripped text ("" when blank)."""

    line: int
    values: dict[str, str]
    labels: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")

    def label(self, key: str) -> str:
        return self.labels.get(key, key)


@dataclass
class Table:
    file_name: str
    headers: dict[str, str]  # normalised header -> header as written
    frame: pd.DataFrame  # one text column per normalised header; "" for blank cells
    lines: np.ndarray  # the line number of each frame row
    row_errors: list[RowError] = field(default_factory=list)  # rows that could not be split
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.frame) + len(self.row_errors)

    def resolve(self, columns: Sequence[Column]) -> dict[str, str]:
        """key -> the file's normalised header for it; FileError names missing columns."""
        found: dict[str, str] = {}
        missing = []
        for column in columns:
            name = next((n for n in column.names if n in self.headers), None)
            if name is not None:
                found[column.key] = name
            elif column.required:
                spelled = ", ".join(dict.fromkeys((column.key, *column.aliases)))
                missing.append(column.key if spelled == column.key else f"{column.key} ({spelled})")
        if missing:
            raise FileError("missing required column(s): " + "; ".join(missing))
        return found

    def labels(self, resolved: Mapping[str, str]) -> dict[str, str]:
        """key -> the header as the operator wrote it, for messages."""
        return {key: self.headers[name] for key, name in resolved.items()}

    def records(self, resolved: Mapping[str, str]) -> Iterator[Row]:
        """The rows as plain data (for the small feeds; usage works on the frame)."""
        labels = self.labels(resolved)
        keys = list(resolved)
        columns = [self.frame[resolved[key]].tolist() for key in keys]
        for i, line in enumerate(self.lines.tolist()):
            values = {
                key: str(column[i]).strip() for key, column in zip(keys, columns, strict=True)
            }
            yield Row(line=line, values=values, labels=labels)


def read_table(content: bytes, file_name: str) -> Table:
    suffix = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix not in SUFFIXES:
        raise FileError(
            f"wrong file type {suffix or '(no suffix)'}: expected a .csv file or an .xlsx workbook"
        )
    if not content.strip():
        raise FileError("empty file")
    if suffix == ".csv":
        header, frame, lines, row_errors, notes = _read_csv(content)
    else:
        header, frame, lines, row_errors, notes = _read_xlsx(content)
    table = _table(file_name, header, frame, lines, row_errors)
    table.notes.extend(notes)
    if table.rows == 0:
        raise FileError("empty file: no data rows under the header")
    return table


def _table(
    file_name: str,
    header: list[str],
    frame: pd.DataFrame,
    lines: np.ndarray,
    row_errors: list[RowError],
) -> Table:
    headers: dict[str, str] = {}
    keep: list[int] = []
    for position, raw in enumerate(header):
        written = str(raw).replace("\ufeff", "").strip()
        name = normalise_header(written)
        if not name:
            continue  # an unnamed column (a trailing separator) is not data
        if name in headers:
            raise FileError(f"duplicate column: {headers[name]!r} and {written!r} are the same")
        headers[name] = written
        keep.append(position)
    frame = frame.iloc[:, keep]
    frame.columns = list(headers)
    blank = _blank_rows(frame)
    if blank.any():
        frame = frame.loc[~blank]
        lines = lines[~blank]
    frame = frame.reset_index(drop=True)
    return Table(file_name, headers, frame, lines, row_errors)


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or spaces: blank lines are not rows (a trailing empty
    line must not fail a file). Narrowed column by column, as blank rows are rare."""
    blank = np.zeros(len(frame), dtype=bool)
    if not len(frame.columns):
        return ~blank
    candidates = np.arange(len(frame))
    for name in frame.columns:
        cells = frame[name].to_numpy(dtype=object)[candidates]
        empty = cells == ""
        if not empty.all():  # spaces only: rare, so checked one by one
            empty |= np.fromiter((not str(c).strip() for c in cells), bool, len(cells))
        candidates = candidates[empty]
        if not len(candidates):
            return blank
    blank[candidates] = True
    return blank


# --------------------------------------------------------------------------- CSV


def _decode(content: bytes) -> tuple[str, list[str]]:
    if content.startswith(b"PK\x03\x04"):
        raise FileError("unreadable content: this is an Excel workbook; give it the .xlsx suffix")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16"), []  # Excel's "Unicode text"
    if b"\x00" in content[:65536]:
        raise FileError("unreadable content: binary data, not a CSV text file")
    try:
        return content.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), ["read as Windows-1252 text (not UTF-8)"]
    except UnicodeDecodeError:
        return content.decode("latin-1"), ["read as Latin-1 text (not UTF-8)"]


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(content: bytes) -> tuple[list[str], pd.DataFrame, np.ndarray, list, list]:
    text, notes = _decode(content)
    delimiter = _delimiter(text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            raw = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                header=None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                on_bad_lines="warn",
                engine="c",
            )
        except pd.errors.EmptyDataError:
            raise FileError("empty file") from None
        except (pd.errors.ParserError, ValueError) as exc:
            raise FileError(f"unreadable CSV: {str(exc).strip()}") from None
    # pandas reports records it could not split (more fields than the header) by record
    # number; map them, and every kept record, to the physical line it starts on.
    skipped: dict[int, str] = {}
    for warning in caught:
        for number, why in _SKIPPED_LINE.findall(str(warning.message)):
            skipped[int(number)] = why.strip()
    header = [str(v) for v in raw.iloc[0].tolist()] if len(raw) else []
    frame = raw.iloc[1:]
    records = len(raw) + len(skipped)
    starts = _record_lines(text, delimiter, records)
    kept = np.ones(records, dtype=bool)  # record n is index n - 1
    kept[[n - 1 for n in skipped]] = False
    lines = starts[kept][1:]
    row_errors = [
        RowError(int(starts[n - 1]), f"cannot split the row into the header's columns: {why}")
        for n, why in sorted(skipped.items())
    ]
    return header, frame, lines, row_errors, notes


def _record_lines(text: str, delimiter: str, records: int) -> np.ndarray:
    """The physical line on which each record (1-based index - 1) starts."""
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical == records:
        return np.arange(1, records + 1, dtype=np.int64)
    # Quoted fields span lines: only a real CSV parse knows where records start.
    starts = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    for _ in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    starts.extend(range(previous_end + 1, previous_end + 1 + records - len(starts)))
    return np.array(starts[:records], dtype=np.int64)


# -------------------------------------------------------------------------- XLSX


def cell_text(value: object) -> str:
    """A workbook cell as the text a CSV would hold (dates as ISO, whole floats as ints)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # ids and quantities typed as numbers
    return str(value)


def _read_xlsx(content: bytes) -> tuple[list[str], pd.DataFrame, np.ndarray, list, list]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileError(f"unreadable content: not an .xlsx workbook ({exc})") from None
    try:
        if not workbook.worksheets:
            raise FileError("empty file: the workbook has no sheet")
        sheet = workbook.worksheets[0]
        # Files written by other tools may declare wrong dimensions; read what is there.
        sheet.reset_dimensions()
        header: list[str] | None = None
        rows: list[list[str]] = []
        lines: list[int] = []
        for cells in sheet.iter_rows():
            values = [cell_text(cell.value) for cell in cells]
            if not any(v.strip() for v in values):
                continue
            line = next(cell.row for cell in cells if getattr(cell, "row", None))
            if header is None:
                header = values
                continue
            rows.append(values)
            lines.append(line)
    finally:
        workbook.close()
    if header is None:
        raise FileError("empty file")
    width = len(header)
    rows = [(r + [""] * width)[:width] for r in rows]
    frame = pd.DataFrame(rows, columns=range(width), dtype=str) if rows else _empty(width)
    return header, frame, np.array(lines, dtype=np.int64), [], []


def _empty(width: int) -> pd.DataFrame:
    return pd.DataFrame({i: pd.Series([], dtype=str) for i in range(width)})
