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
        "tracking_number": "", "note": "", "invoice_type": "", "invoice_title": "", "tax_id": "",
        "invoice_address_phone": "", "invoice_bank_account": "",
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


def _rewrite_zip(source: Path, target: Path, change) -> Path:
    """Copy the ZIP at `source` to `target`, each part through `change(name, data) -> (name, data)`."""
    with zipfile.ZipFile(source) as archive:
        parts = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts:
            out.writestr(*change(name, data))
    return target


def write_xlsm(path: Path, rows: list[list]) -> Path:
    """A macro-enabled workbook as Excel saves it: the .xlsx parts, the macro-enabled content type and
    a (here empty) VBA project part."""
    plain = write_xlsx(path.with_suffix(".tmp.xlsx"), rows)
    macro = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

    def change(name, data):
        if name == "[Content_Types].xml":
            data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                macro.encode())
        return name, data

    _rewrite_zip(plain, path, change)
    plain.unlink()
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    return path


def write_strict_xlsx(path: Path, rows: list[list]) -> Path:
    """Excel's "Strict Open XML Spreadsheet": the same parts in the ISO/IEC 29500 strict namespaces."""
    plain = write_xlsx(path.with_suffix(".tmp.xlsx"), rows)
    swaps = [(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
              b"http://purl.oclc.org/ooxml/spreadsheetml/main"),
             (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
              b"http://purl.oclc.org/ooxml/officeDocument/relationships")]

    def change(name, data):
        for old, new in swaps:
            data = data.replace(old, new)
        return name, data

    _rewrite_zip(plain, path, change)
    plain.unlink()
    return path


def rename_parts(source: Path, target: Path, how) -> Path:
    """The workbook with its part names changed by `how` (upper case, backslashes…)."""
    return _rewrite_zip(source, target, lambda name, data: (how(name), data))


def _ods_cell(value, span: tuple[int, int] | None = None) -> str:
    from xml.sax.saxutils import escape, quoteattr

    spans = ""
    if span:
        spans = f' table:number-rows-spanned="{span[0]}" table:number-columns-spanned="{span[1]}"'
    if value is None or value == "":
        return f"<table:table-cell{spans}/>"
    if isinstance(value, bool):
        return (f'<table:table-cell{spans} office:value-type="boolean" office:boolean-value='
                f'"{"true" if value else "false"}"><text:p>{value}</text:p></table:table-cell>')
    if isinstance(value, int | float):
        return (f'<table:table-cell{spans} office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    if isinstance(value, datetime):
        return (f'<table:table-cell{spans} office:value-type="date" office:date-value="{value.isoformat()}">'
                f"<text:p>{value:%Y-%m-%d %H:%M}</text:p></table:table-cell>")
    return (f'<table:table-cell{spans} office:value-type="string" office:string-value={quoteattr(str(value))}>'
            f"<text:p>{escape(str(value))}</text:p></table:table-cell>")


def write_ods(path: Path, rows: list[list], *, sheets: dict[str, list[list]] | None = None,
              merges: dict[tuple[int, int], tuple[int, int]] | None = None) -> Path:
    """An OpenDocument spreadsheet as LibreOffice writes it (mimetype first and stored, manifest,
    content.xml with typed cells, trailing repeated empty rows). `sheets`: more sheets before this
    one (name → rows); `merges`: (row, column) → (rows spanned, columns spanned), 0-based."""
    merges = merges or {}

    def table_xml(name, table_rows):
        body = []
        for r_index, r in enumerate(table_rows):
            cells = []
            for c_index, value in enumerate(r):
                if (r_index, c_index) in merges:
                    cells.append(_ods_cell(value, merges[(r_index, c_index)]))
                elif any(r0 <= r_index < r0 + rs and c0 <= c_index < c0 + cs and (r0, c0) != (r_index, c_index)
                         for (r0, c0), (rs, cs) in merges.items()):
                    cells.append("<table:covered-table-cell/>")
                else:
                    cells.append(_ods_cell(value))
            cells.append('<table:table-cell table:number-columns-repeated="1000"/>')
            body.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
        body.append('<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                    'table:number-columns-repeated="1024"/></table:table-row>')
        return f'<table:table table:name="{name}">{"".join(body)}</table:table>'

    tables = "".join(table_xml(name, table_rows) for name, table_rows in (sheets or {}).items())
    tables += table_xml("订单", rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
        'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


def format_orders() -> list[list]:
    """One valid order file (header and rows, typed cells), saved in every format by
    `test_formats`; `fixtures/orders.xlsb` holds the same table (see fixtures/README.md)."""
    when = datetime(2024, 3, 1, 10, 0)
    return table([
        row(order_number="F-001", ordered_at=when, sku="SKU-001", quantity=2, unit_price=100, discount=20,
            shipping_fee=10, status="已完成", payment_method="支付宝", paid_amount=190, carrier="顺丰",
            tracking_number="SF1234567890"),
        row(order_number="F-001", ordered_at=None, customer_name=None, phone=None, province=None, city=None,
            district=None, address=None, sku="SKU-002", quantity=1, unit_price=59.9, shipping_fee=None),
        row(order_number="F-002", channel="京东", ordered_at=datetime(2024, 3, 2, 8, 30, 15), customer_name="李四",
            phone="021-62345678", province="上海市", city="上海市", district="浦东新区", address="世纪大道 100 号",
            sku="SKU-002", quantity=3, unit_price=1299, shipping_fee=0, status="待发货", note="加急 & 易碎"),
        row(order_number="F-003", channel="官网", ordered_at=datetime(2024, 3, 3), sku="SKU-003", quantity=1,
            unit_price=0.5, shipping_fee=12.5, payment_method="微信", paid_amount=13),
    ])
