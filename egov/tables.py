"""Tables as files: a streamed CSV and an Excel workbook, both safe to open.

Shared by the dossier logbook (``onecounter.logbook``) and the statistics'
exports (``stats.export_views``):

- ``csv_response(headers, rows, filename)`` streams UTF-8 with a byte-order
  mark (so that Excel reads the accents), dates as ``dd/mm/yyyy`` (and
  ``dd/mm/yyyy hh:mm``), ``None`` as an empty field, and any text a
  spreadsheet would run as a formula prefixed with an apostrophe (OWASP's
  advice against CSV injection).
- ``xlsx_bytes(...)`` writes a write-only workbook: numbers stay numbers,
  dates dates, every text cell is typed as a string (``data_type = "s"``), so
  that ``=HYPERLINK(...)`` typed by an applicant is shown, never run; a column
  may carry a number format (dates, percentages). ``xlsx_response`` wraps it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PERCENT = "0.0%"
DATE = "DD/MM/YYYY"
DATETIME = "DD/MM/YYYY HH:MM"


def neutralised(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (an applicant's name typed as
    ``=HYPERLINK(...)``) gets a leading apostrophe, as OWASP advises for CSV."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_value(value: Any) -> Any:
    """One CSV field: dates the Vietnamese way, ``None`` empty, text neutralised."""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else neutralised(value)


class _Echo:
    """A file-like object whose ``write`` returns the line (for streaming)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text, line by line, the first one with a byte-order mark."""
    writer = csv.writer(_Echo())
    # A byte-order mark, so that Excel reads the file as UTF-8.
    yield "\ufeff" + writer.writerow([csv_value(h) for h in headers])
    for row in rows:
        yield writer.writerow([csv_value(value) for value in row])


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"


def csv_response(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], filename: str
) -> StreamingHttpResponse:
    """A streamed CSV download (rows are read as the response is sent)."""
    response = StreamingHttpResponse(csv_lines(headers, rows), content_type=CSV_CONTENT_TYPE)
    _attachment(response, filename)
    return response


@dataclass(frozen=True)
class Title:
    """A line above the table of a sheet (its title, the agency, the date)."""

    text: str
    bold: bool = False
    size: float | None = None

    def font(self) -> Font | None:
        if not self.bold and self.size is None:
            return None
        return Font(bold=self.bold, size=self.size)


def text_cell(
    sheet: WriteOnlyWorksheet,
    value: Any,
    number_format: str | None = None,
    font: Font | None = None,
) -> WriteOnlyCell:
    """A cell whose text is never a formula, whatever it starts with."""
    item = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        item.data_type = "s"  # never a formula, whatever the text starts with
    if number_format:
        item.number_format = number_format
    if font:
        item.font = font
    return item


def xlsx_bytes(
    *,
    sheet_title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    titles: Sequence[Title] = (),
    formats: Mapping[int, str] | None = None,
    widths: Sequence[float] = (),
) -> bytes:
    """A one-sheet workbook: ``titles`` (one line each), a blank-free header
    row in bold, frozen, then ``rows``. ``formats`` maps a column index (from
    0) to its number format; ``widths`` are the columns' widths."""
    workbook = Workbook(write_only=True)
    # Excel refuses sheet names longer than 31 characters or with []:*?/\.
    name = "".join(ch for ch in sheet_title if ch not in "[]:*?/\\")[:31] or "Sheet"
    sheet = workbook.create_sheet(name)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{len(titles) + 2}"
    bold = Font(bold=True)
    for title in titles:
        sheet.append([text_cell(sheet, title.text, font=title.font())])
    sheet.append([text_cell(sheet, header, font=bold) for header in headers])
    formats = formats or {}
    for row in rows:
        sheet.append([text_cell(sheet, value, formats.get(i)) for i, value in enumerate(row)])
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    _attachment(response, filename)
    return response
