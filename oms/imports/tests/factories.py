"""Small legacy order files built in the tests (no binary fixtures in the repository)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import xlwt

from catalog.tests.factories import ProductFactory
from oms.imports.columns import COLUMNS

ZH = [c.zh for c in COLUMNS]
EN = [c.key for c in COLUMNS]


def products(*skus, price="10.00"):
    return [ProductFactory(sku=sku, price=price) for sku in skus or ("SKU-001", "SKU-002", "SKU-003")]


def row(**values) -> dict:
    """One valid line of a fresh order (keys are the English headers); override any value."""
    base = {
        "order_number": "L0001", "channel": "天猫", "ordered_at": "2024-03-01 10:00", "customer_name": "张三",
        "phone": "13812341234", "province": "浙江省", "city": "杭州市", "district": "西湖区",
        "address": "文三路 1 号", "sku": "SKU-001", "quantity": "2", "unit_price": "100.00", "discount": "",
        "shipping_fee": "10", "status": "", "payment_method": "", "paid_amount": "", "carrier": "",
        "tracking_number": "", "note": "",
    }
    unknown = set(values) - set(base)
    if unknown:
        raise KeyError(sorted(unknown))
    base.update(values)
    return base


def table(rows: list[dict], *, headers: list[str] | None = None, columns: list[str] | None = None):
    """Header row + value rows; `columns` (English keys) picks and orders the columns."""
    keys = columns or EN
    by_key = dict(zip(EN, ZH, strict=True))
    header = headers or [by_key[k] for k in keys]
    return [header] + [[r.get(k, "") for k in keys] for r in rows]


def write_csv(path: Path, rows: list[list], *, encoding="utf-8", delimiter=",", bom=False) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for r in rows:
        writer.writerow(["" if v is None else v for v in r])
    data = buffer.getvalue().encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def write_xlsx(path: Path, rows: list[list], *, date_format: str | None = "yyyy-mm-dd hh:mm") -> Path:
    """openpyxl's normal mode: typed numbers and date cells, text as inline strings (Excel, WPS and
    LibreOffice share strings instead: `test_split_reading` reads such a table)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r in rows:
        sheet.append(["" if v is None else v for v in r])
        if date_format:
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, datetime):
                    cell.number_format = date_format
    workbook.save(path)
    return path


def write_xls(path: Path, rows: list[list]) -> Path:
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("订单")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    for r_index, r in enumerate(rows):
        for c_index, value in enumerate(r):
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                sheet.write(r_index, c_index, value, date_style)
            else:
                sheet.write(r_index, c_index, value)
    workbook.save(str(path))
    return path


def write_minimal_xlsx(path: Path, rows: list[list], *, date1904=False, inline=True) -> Path:
    """A hand-made workbook as small generators write it: inline strings, cells without `r`
    references, no styles part, optionally the 1904 date system."""
    def cell(value):
        if value is None or value == "":
            return "<c/>"
        if isinstance(value, int | float):
            return f"<c><v>{value}</v></c>"
        text = str(value).replace("&", "&amp;").replace("<", "&lt;")
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>' if inline else f'<c t="str"><v>{text}</v></c>'

    sheet_rows = "".join(f"<row>{''.join(cell(v) for v in r)}</row>" for r in rows)
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    pr = f'<workbookPr date1904="{"1" if date1904 else "0"}"/>'
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/'
            'xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxml'
            'formats-officedocument.spreadsheetml.worksheet+xml"/></Types>'))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {rel_ns}>{pr}<sheets><sheet name="Sheet1" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>'))
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'))
        z.writestr("xl/worksheets/sheet1.xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{sheet_rows}</sheetData>'
                   "</worksheet>")
    return path


def encrypted_workbook_bytes() -> bytes:
    """What Excel writes for a password-protected .xlsx: an OLE2 container holding an
    `EncryptionInfo` and an `EncryptedPackage` stream (only the markers matter to the reader)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le")
    return header + directory + b"\x00" * 1024
