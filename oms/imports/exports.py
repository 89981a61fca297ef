"""Sheets that OMS writes: the error report, the import template, and the formula escaping every
exported sheet (reports, order/product/customer exports) goes through.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) is a formula to Excel,
WPS and LibreOffice — `=HYPERLINK(…)` in a customer's note would run on a clerk's machine (CSV
injection). `escape_formula` prefixes such text with an apostrophe, which spreadsheets show as
text; plain numbers such as `-5.00` stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

from oms.imports.columns import COLUMNS
from oms.imports.models import ImportBatch, ImportIssue
from oms.imports.readers import FORMATS
from oms.imports.values import SHANGHAI

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def escape_formula(value):
    """Text a spreadsheet would run as a formula, made inert; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _xlsx_value(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        return value.astimezone(SHANGHAI).replace(tzinfo=None)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", escape_formula(value))
    return value


def write_xlsx(headers: list[str], rows: Iterable[list], *, title: str = "Sheet1") -> bytes:
    """A one-sheet workbook, streamed (write-only), every text cell escaped."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([_xlsx_value(h) for h in headers])
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_csv(headers: list[str], rows: Iterable[list]) -> bytes:
    """UTF-8 with BOM (so Excel on Chinese Windows reads it), every text cell escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([escape_formula(h) for h in headers])
    for row in rows:
        writer.writerow(["" if v is None else escape_formula(v if isinstance(v, str) else str(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_table(batch: ImportBatch) -> tuple[list[str], Iterable[list]]:
    """The error report: one line per problem, as the import centre shows it."""
    headers = [_("Row"), _("Column"), _("Value"), _("Message"), _("Order number"), _("Type")]
    kinds = dict(ImportIssue.Kind.choices)

    def rows():
        issues = batch.issues.order_by("kind", "row", "id").values_list(
            "row", "column", "value", "message", "order_number", "kind")
        for row, column, value, message, order_number, kind in issues.iterator(chunk_size=2000):
            yield [row, column, value, message, order_number, str(kinds.get(kind, kind))]

    return headers, rows()


def report_filename(batch: ImportBatch, extension: str) -> str:
    return f"import-{batch.pk}-report.{extension}"


def template_workbook() -> bytes:
    """The downloadable template: an order sheet with an example row, and both header languages explained."""
    workbook = Workbook()
    orders = workbook.active
    orders.title = _("Orders")
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF1DB")
    orders.append([c.zh for c in COLUMNS])
    example = []
    for column in COLUMNS:
        value = str(column.example)
        if column.key == "ordered_at":
            example.append(datetime(2024, 3, 1, 10, 0))
        elif column.key == "quantity":
            example.append(int(value))
        else:
            example.append(value)
    orders.append(example)
    for index, column in enumerate(COLUMNS, start=1):
        cell = orders.cell(row=1, column=index)
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        orders.column_dimensions[cell.column_letter].width = max(12, len(str(column.example)) + 4)
    orders.cell(row=2, column=3).number_format = "yyyy-mm-dd hh:mm"
    orders.freeze_panes = "A2"

    guide = workbook.create_sheet(_("Instructions"))
    guide.append([_("Chinese header"), _("English header"), _("Required"), _("Level"), _("Accepted values")])
    for cell in guide[1]:
        cell.font = bold
    levels = {"order": _("order (give it on the order's first row, or repeat it)"), "line": _("line (every row)")}
    for column in COLUMNS:
        guide.append([column.zh, column.key, _("yes") if column.required else _("no"), levels[column.level],
                      str(column.accepts)])
    guide.append([])
    notes = [
        _("One row per order line. Rows with the same 渠道 and 订单号 form one order; they need not be adjacent."),
        _("The headers are in one row — the first, or below up to nine title rows — in Chinese or in English, in "
          "any order. Unknown columns are ignored."),
        _("Replace the example row (row 2) of the Orders sheet with your orders. The headers may also be "
          "written in English (second column above); columns shaded in orange are required."),
        _("An order with any error is not imported; the other orders are. Orders already in OMS (same channel "
          "and order number) are skipped, so a file can be imported twice safely."),
        _("Run a dry run first: it checks everything, writes nothing and shows the same report."),
        _("Accepted files: %(formats)s.") % {"formats": FORMATS},
    ]
    for note in notes:
        guide.append([note])
    for letter, width in zip("ABCDE", (14, 18, 8, 34, 90), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
