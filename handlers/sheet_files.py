"""The export as the files people open: CSV (RFC 4180, UTF-8) and an Excel workbook."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from scoring.sheet import Cell, Kind, Table

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NUMBER_FORMATS = {Kind.TEXT: "@", Kind.WHOLE: "#,##0", Kind.MONEY: "#,##0.00"}
_MIN_WIDTH, _MAX_WIDTH = 8, 40


def csv_bytes(table: Table) -> bytes:
    """CRLF line ends and quotes only where needed, as RFC 4180 has it; cents always shown."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows([_csv_cell(cell) for cell in row] for row in table.rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    """One worksheet per table: bold frozen header, autofilter, number formats, fitted widths.

    openpyxl is imported here, on first use: it costs every process start 0.2 s otherwise."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(table.title)
        sheet.append(list(table.headers))
        for row in table.rows:
            sheet.append([_xlsx_cell(cell) for cell in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = _NUMBER_FORMATS[column.kind]
            widest = max((len(_shown(row[index - 1])) for row in table.rows), default=0)
            width = max(len(column.header), widest) + 2
            sheet.column_dimensions[letter].width = min(_MAX_WIDTH, max(_MIN_WIDTH, width))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv_cell(cell: Cell) -> str | int:
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return f"{cell:.2f}"
    return cell


def _xlsx_cell(cell: Cell) -> Cell:
    """Characters no worksheet can hold (C0 controls, as a hostile display name may carry)
    are dropped rather than failing the whole export."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell


def _shown(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return f"{cell:,.2f}"
    if isinstance(cell, int):
        return f"{cell:,}"
    return cell
