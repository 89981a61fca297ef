"""Files as Excel, WPS and LibreOffice write them, and files the importer must refuse."""

from datetime import datetime

import openpyxl
import pytest

from core.errors import ValidationFailed
from oms.imports.readers import open_sheet
from oms.imports.services import legacy_orders_import
from oms.imports.tests.factories import (
    EN,
    encrypted_workbook_bytes,
    products,
    row,
    table,
    write_csv,
    write_minimal_xlsx,
    write_xls,
    write_xlsx,
)
from orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalog():
    return products("SKU-001", "SKU-002")


def rows_of(path, name=None):
    with open_sheet(path, name) as sheet:
        return sheet, list(sheet.rows())


def import_file(path, name=None, dry_run=False):
    return legacy_orders_import(path=path, file_name=name, dry_run=dry_run, actor=None)


CHINESE = [row(order_number="中文-1", customer_name="欧阳娜娜", address="北京市朝阳区建国路 88 号 SOHO 现代城")]


@pytest.mark.parametrize(("encoding", "bom", "expected"), [
    ("utf-8", False, "utf-8"), ("utf-8", True, "utf-8-sig"), ("gbk", False, "gb18030"), ("gb18030", False, "gb18030"),
    ("utf-16", False, "utf-16"),
])
def test_csv_encodings_are_detected(tmp_path, encoding, bom, expected):
    path = write_csv(tmp_path / "o.csv", table(CHINESE), encoding=encoding, bom=bom)
    sheet, rows = rows_of(path)
    assert sheet.encoding == expected
    assert rows[0][1][0] == "订单号" and rows[1][1][3] == "欧阳娜娜"
    report = import_file(path)
    assert report.imported == 1
    assert Order.objects.get().address_detail == "北京市朝阳区建国路 88 号 SOHO 现代城"


def test_gbk_file_with_many_rows_of_chinese_imports(tmp_path):
    rows = [row(order_number=f"GBK-{i}", customer_name="诸葛亮", province="四川省", city="成都市", note="备注：老客户")
            for i in range(200)]
    path = write_csv(tmp_path / "gbk.csv", table(rows), encoding="gbk")
    report = import_file(path)
    assert (report.rows, report.imported) == (200, 200)
    assert set(Order.objects.values_list("note", flat=True)) == {"备注：老客户"}


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiters_are_detected(tmp_path, delimiter):
    rows = [row(unit_price="1,299.00", note="逗号, 分号; 都在")]
    path = write_csv(tmp_path / "d.csv", table(rows), delimiter=delimiter)
    sheet, _rows = rows_of(path)
    assert sheet.delimiter == delimiter
    report = import_file(path)
    assert report.errors == [] and Order.objects.get().note == "逗号, 分号; 都在"


def test_csv_quoted_multiline_cell_keeps_the_row_numbering_of_excel(tmp_path):
    path = write_csv(tmp_path / "m.csv", table([row(order_number="M1", note="第一行\n第二行"),
                                                row(order_number="M2", sku="NOPE")]))
    report = import_file(path, dry_run=True)
    assert [e.row for e in report.errors] == [3]


def test_xlsx_with_typed_cells_as_excel_writes_them(tmp_path):
    data = table([row()])
    data[1][EN.index("ordered_at")] = datetime(2024, 3, 1, 10, 0)
    data[1][EN.index("quantity")] = 2
    data[1][EN.index("unit_price")] = 1299.5
    data[1][EN.index("phone")] = 13812341234
    data[1][EN.index("order_number")] = 20240301001
    path = write_xlsx(tmp_path / "typed.xlsx", data)
    report = import_file(path)
    assert report.errors == []
    order = Order.objects.get()
    assert (order.external_id, order.phone, str(order.subtotal)) == ("20240301001", "13812341234", "2599.00")
    assert order.ordered_at.hour == 2  # 10:00 Beijing time is 02:00 UTC


def test_xlsx_date_serial_number_in_a_plain_number_cell(tmp_path):
    data = table([row()])
    data[1][EN.index("ordered_at")] = 45352.416666666664
    path = write_xlsx(tmp_path / "serial.xlsx", data)
    import_file(path)
    assert Order.objects.get().ordered_at.isoformat() == "2024-03-01T02:00:00+00:00"


def test_xlsx_first_sheet_only(tmp_path):
    path = write_xlsx(tmp_path / "two.xlsx", table([row(order_number="FIRST")]))
    workbook = openpyxl.load_workbook(path)
    second = workbook.create_sheet("其他")
    for values in table([row(order_number="SECOND")]):
        second.append(values)
    workbook.save(path)
    import_file(path)
    assert list(Order.objects.values_list("external_id", flat=True)) == ["FIRST"]


def test_xlsx_with_inline_strings_and_no_cell_references(tmp_path):
    data = table([row(order_number="INL", quantity=3)])
    path = write_minimal_xlsx(tmp_path / "inline.xlsx", data)
    report = import_file(path)
    assert report.errors == [] and Order.objects.get().lines.get().quantity == 3


def test_xlsx_1904_date_system(tmp_path):
    """Excel for Mac's 1904 epoch: a date cell must not come out four years early."""
    workbook = openpyxl.Workbook()
    workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    sheet = workbook.active
    for values in table([row()]):
        sheet.append(values)
    sheet.cell(row=2, column=EN.index("ordered_at") + 1).value = datetime(2024, 3, 1, 10, 0)
    sheet.cell(row=2, column=EN.index("ordered_at") + 1).number_format = "yyyy-mm-dd hh:mm"
    path = tmp_path / "mac.xlsx"
    workbook.save(path)
    import_file(path)
    assert Order.objects.get().ordered_at.isoformat() == "2024-03-01T02:00:00+00:00"


def test_legacy_xls(tmp_path):
    data = table([row(order_number="XLS-1"), row(order_number="XLS-1", sku="SKU-002", customer_name="")])
    data[1][EN.index("ordered_at")] = datetime(2024, 3, 1, 10, 0)
    data[1][EN.index("quantity")] = 2
    path = write_xls(tmp_path / "old.xls", data)
    sheet, rows = rows_of(path)
    assert sheet.kind == "xls" and rows[1][1][EN.index("ordered_at")] == datetime(2024, 3, 1, 10, 0)
    report = import_file(path)
    assert report.imported == 1 and Order.objects.get().lines.count() == 2


def test_header_below_leading_blank_rows_and_row_numbers_stay_physical(tmp_path):
    data = [[""] * len(EN)] + table([row(order_number="H1"), row(order_number="H2", sku="NOPE")])
    path = write_csv(tmp_path / "h.csv", data)
    report = import_file(path, dry_run=True)
    assert [e.row for e in report.errors] == [4]


# -- refused files: a clear message, nothing written ----------------------------------------------------

def refused(path, name=None):
    with pytest.raises(ValidationFailed) as exc:
        import_file(path, name)
    assert Order.objects.count() == 0
    return str(exc.value)


def test_missing_file(tmp_path):
    assert "does not exist" in refused(tmp_path / "nope.csv")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "empty" in refused(path)


def test_file_with_only_blank_lines(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\n,,,\n\n", encoding="utf-8")
    assert "no rows" in refused(path)


def test_wrong_content(tmp_path):
    path = tmp_path / "orders.pdf"
    path.write_bytes(b"%PDF-1.4")
    assert "“orders.pdf” is not a spreadsheet" in refused(path)


def test_xlsx_name_with_text_content_is_read_as_csv(tmp_path):
    path = write_csv(tmp_path / "fake.xlsx", table([row()]))
    report = import_file(path)
    assert (report.file_kind, report.imported) == ("csv", 1)


def test_xlsx_name_with_broken_zip(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"garbage" * 20)
    assert "“broken.xlsx” is damaged and cannot be read. Open it in Excel or WPS and save it again." in refused(path)


def test_xls_name_with_html_content(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text("<html><table><tr><td>订单号</td></tr></table></html>", encoding="utf-8")
    assert "is a web page or XML file, not a workbook" in refused(path)


def test_csv_name_with_workbook_content_is_read_as_the_workbook(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", table([row()]))
    target = tmp_path / "book.csv"
    target.write_bytes(path.read_bytes())
    report = import_file(target)
    assert (report.file_kind, report.imported) == ("xlsx", 1)


@pytest.mark.parametrize("name", ["secret.xlsx", "secret.xls"])
def test_password_protected_workbook(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(encrypted_workbook_bytes())
    assert "protected with a password" in refused(path)


def test_missing_required_column_rejects_the_file_before_any_row(tmp_path):
    columns = [k for k in EN if k not in ("sku", "phone")]
    path = write_csv(tmp_path / "cols.csv", table([row()], columns=columns))
    message = refused(path)
    assert "Required columns are missing" in message and "SKU" in message and "手机 (phone)" in message


def test_duplicated_column_rejects_the_file(tmp_path):
    data = table([row()])
    data[0].append("sku")
    data[1].append("SKU-002")
    path = write_csv(tmp_path / "dup.csv", data)
    assert "more than once" in refused(path)


def test_too_large_file(tmp_path, settings):
    settings.OMS_IMPORT_MAX_BYTES = 100
    path = write_csv(tmp_path / "big.csv", table([row()] * 5))
    assert "files of at most" in refused(path)


def test_too_many_rows(tmp_path, settings):
    settings.OMS_IMPORT_MAX_ROWS = 3
    path = write_csv(tmp_path / "long.csv", table([row(order_number=f"L{i}") for i in range(5)]))
    assert "more than 3 rows" in refused(path)


def test_binary_garbage_named_csv(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 20)
    message = refused(path)
    assert "not a text file" in message or "encoding" in message or "Required columns" in message
