"""A quote as an .xlsx document: the header block, the lines, the totals.

Amounts are real numbers with currency formats; every text goes through the Flex
export's formula-injection guard (flex.export.is_dangerous), written as text with the
quote prefix, never as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from flex.export import HEADER_BORDER, HEADER_FILL, HEADER_FONT, is_dangerous
from quotes.figures import Totals
from quotes.models import Quote
from spp.models import Partner

LINE_HEADERS = ("Description", "Tokens", "Unit price", "Discount %", "Gross", "Net")
WIDTHS = (52, 12, 14, 12, 16, 16)


def _text(cell, value: Any) -> None:
    """Text that no spreadsheet evaluates (a name like "=cmd|…" stays a name)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    cell.value = text
    cell.data_type = "s"
    if is_dangerous(text):
        cell.quotePrefix = True


def quote_xlsx(quote: Quote, partner: Partner, lines: Sequence[dict], totals: Totals) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = quote.number[:31]
    money = f'#,##0.00 "{quote.currency}"'
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[chr(64 + index)].width = width

    sheet["A1"] = f"Quote {quote.number}"
    sheet["A1"].font = Font(bold=True, size=14)
    details = [
        ("From", f"{partner.name} (CSN {partner.csn})"),
        ("Customer", quote.team.account.name),
        ("Team", f"{quote.team.name} ({quote.team.team_id})"),
        ("Status", quote.get_status_display()),
        ("Date", quote.created_on),
        ("Valid until", quote.valid_until),
        ("Currency", quote.currency),
    ]
    if quote.order_date:
        details.append(("Order date", quote.order_date))
    row = 3
    for label, value in details:
        sheet.cell(row=row, column=1, value=label).font = Font(bold=True)
        cell = sheet.cell(row=row, column=2)
        if hasattr(value, "isoformat"):
            cell.value = value
            cell.number_format = "yyyy-mm-dd"
            cell.alignment = Alignment(horizontal="left")
        else:
            _text(cell, value)
        row += 1

    row += 1
    header_row = row
    for column, title in enumerate(LINE_HEADERS, start=1):
        cell = sheet.cell(row=row, column=column, value=title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(horizontal="left" if column == 1 else "right")
    for item in lines:
        row += 1
        line = item["line"]
        _text(sheet.cell(row=row, column=1), line.description)
        values = (
            (line.tokens, "#,##0"),
            (float(line.unit_price), "#,##0.00##"),
            (float(line.discount_pct), "0.00"),
            (float(item["gross"]), money),
            (float(item["net"]), money),
        )
        for column, (value, fmt) in enumerate(values, start=2):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.number_format = fmt
    row += 2
    summary = [
        ("Total tokens", totals.tokens, "#,##0"),
        ("Gross", float(totals.gross), money),
        ("Discount", float(totals.discount), money),
        ("Total", float(totals.net), money),
    ]
    for label, value, fmt in summary:
        sheet.cell(row=row, column=5, value=label).font = Font(bold=label == "Total")
        cell = sheet.cell(row=row, column=6, value=value)
        cell.number_format = fmt
        cell.font = Font(bold=label == "Total")
        row += 1
    if quote.notes:
        row += 1
        sheet.cell(row=row, column=1, value="Notes").font = Font(bold=True)
        cell = sheet.cell(row=row + 1, column=1)
        _text(cell, quote.notes)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = None
    sheet.print_title_rows = f"{header_row}:{header_row}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
