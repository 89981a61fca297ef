"""Every chart and table as a spreadsheet (xlsx) or CSV: the same rows the page shows."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.styles import Font

from oms.reports.queries import DIMENSIONS, Result


def result_table(result: Result) -> tuple[list[str], list[list]]:
    q = result.query
    header = [str(DIMENSIONS.get(q.dimension) or _("Total"))]
    if q.columns:
        header.append(str(DIMENSIONS[q.columns]))
    header.append(str(result.measure.label))
    rows = []
    for r in result.rows:
        row = [r.label]
        if q.columns:
            row.append(str(result.column_labels.get(r.column, "")))
        row.append(r.value)
        rows.append(row)
    return header, rows


def write_sheet(sheet, title: str, header: list[str], rows: list[list], *, money: bool = False) -> None:
    sheet.title = title[:31] or "Sheet"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        last = sheet[sheet.max_row][-1]
        if isinstance(last.value, Decimal) or money:
            last.number_format = "#,##0.00"
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column) + 4
        sheet.column_dimensions[column[0].column_letter].width = min(max(width, 10), 60)


def xlsx_bytes(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    used = set()
    for title, header, rows in sheets:
        name = _sheet_name(title, used)
        write_sheet(workbook.create_sheet(name), name, header, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str, used: set) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "Sheet"
    name, n = clean, 2
    while name in used:
        name, n = f"{clean[:25]}({n})", n + 1
    used.add(name)
    return name


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([f"{v:.2f}" if isinstance(v, Decimal) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens Chinese CSV correctly


def csv_zip_bytes(tables: list[tuple[str, list[str], list[list]]]) -> bytes:
    """Several tables as CSV: a zip holding one file per table (`01-<title>.csv`, in page order), each
    the same UTF-8-with-BOM CSV as a single-table export, so each opens in Excel as it is."""
    buffer = io.BytesIO()
    used: set = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, (title, header, rows) in enumerate(tables, start=1):
            name = _sheet_name(f"{index:02d}-{title}", used)
            archive.writestr(f"{name}.csv", csv_bytes([str(h) for h in header], rows))
    return buffer.getvalue()


def tables_export(tables: list[tuple[str, list[str], list[list]]], fmt: str) -> tuple[bytes, str]:
    """A report's tables as (content, file extension): one sheet per table in xlsx, a zip of CSVs for csv."""
    tables = [(str(title), [str(h) for h in header], rows) for title, header, rows in tables]
    if fmt == "xlsx":
        return xlsx_bytes(tables), "xlsx"
    return csv_zip_bytes(tables), "zip"


def dashboard_workbook(dashboard) -> bytes:
    """A dashboard as one workbook, a sheet per widget (the download and the e-mail subscription)."""
    from oms.reports.widgets import render_widget

    sheets = []
    for widget in dashboard.widgets.all():
        context = render_widget(widget)
        header, rows = result_table(context["result"])
        sheets.append((context["title"], header, rows))
    if not sheets:
        sheets.append((dashboard.name, [_("No widgets yet.")], []))
    return xlsx_bytes(sheets)
