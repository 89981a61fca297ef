"""Spreadsheets as clerks really leave them (issue 16, contract "Spreadsheet artefacts"): merged
cells, identifiers stored as numbers, +86 phones, formulas, title rows, hidden rows — in workbooks
written by openpyxl (.xlsx) and xlwt (.xls) alike."""

import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest
import xlwt

from oms.imports.services import legacy_orders_import
from oms.imports.tests.factories import EN, products, row, table, write_csv, write_xls, write_xlsx
from orders.models import Order

pytestmark = pytest.mark.django_db
LOST_DIGITS = "stored as a number and the spreadsheet has already lost digits"


@pytest.fixture(autouse=True)
def catalog(stock_everything):
    return products("SKU-001", "SKU-002", "SKU-003")


def import_file(path, dry_run=False):
    return legacy_orders_import(path=path, dry_run=dry_run, actor=None)


def errors_of(report):
    return [(e.row, e.column, e.message) for e in report.errors]


def col(key: str) -> int:
    return EN.index(key)


# -- merged cells ------------------------------------------------------------------------------------------

def merged_order_rows():
    """One order of three lines whose order-level cells a clerk merged down over its lines."""
    first = row(order_number="M-1", sku="SKU-001", quantity="1", unit_price="888", shipping_fee="0",
                paid_amount="888.02")
    blank_order_level = {key: "" for key in EN if key not in ("sku", "quantity", "unit_price")}
    return table([first, row(**{**blank_order_level, "sku": "SKU-002", "quantity": "1", "unit_price": "0.01"}),
                  row(**{**blank_order_level, "sku": "SKU-003", "quantity": "1", "unit_price": "0.01"})])


def test_merged_order_cells_in_xlsx_make_one_whole_order(tmp_path):
    path = write_xlsx(tmp_path / "merged.xlsx", merged_order_rows())
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    for key in ("order_number", "channel", "paid_amount"):
        letter = openpyxl.utils.get_column_letter(col(key) + 1)
        sheet.merge_cells(f"{letter}2:{letter}4")
    workbook.save(path)
    dry = import_file(path, dry_run=True)
    assert (dry.orders, dry.imported, dry.errors) == (1, 1, [])
    assert any("3 merged cell ranges were filled" in w.message for w in dry.warnings)
    import_file(path)
    order = Order.objects.get()
    assert (order.total, order.lines.count()) == (Decimal("888.02"), 3)


def test_merged_order_cells_in_xls_make_one_whole_order(tmp_path):
    data = merged_order_rows()
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("订单")
    for r_index, values in enumerate(data):
        for c_index, value in enumerate(values):
            if value != "" and not (r_index >= 1 and c_index in (col("order_number"), col("channel"))):
                sheet.write(r_index, c_index, value)
    for key in ("order_number", "channel"):
        sheet.write_merge(1, 3, col(key), col(key), data[1][col(key)])
    path = tmp_path / "merged.xls"
    workbook.save(str(path))
    report = import_file(path)
    assert (report.orders, report.imported, report.errors) == (1, 1, [])
    assert Order.objects.get().lines.count() == 3


# -- identifiers stored as numbers --------------------------------------------------------------------------

@pytest.mark.parametrize("write", [write_xlsx, write_xls], ids=["openpyxl", "xlwt"])
@pytest.mark.parametrize(("number", "ok"), [(387123456789012, True), (3871234567890123, False),
                                            (3871234567890123456, False)], ids=["15", "16", "19"])
def test_numeric_order_numbers(tmp_path, write, number, ok):
    data = table([row()])
    data[1][col("order_number")] = number
    report = import_file(write(tmp_path / f"n.{'xlsx' if write is write_xlsx else 'xls'}", data))
    if ok:
        assert report.errors == [] and Order.objects.get().external_id == str(number)
    else:
        assert [(r, c) for r, c, _m in errors_of(report)] == [(2, "订单号")]
        assert LOST_DIGITS in report.errors[0].message and "Format the column as text" in report.errors[0].message
        assert Order.objects.count() == 0


def test_two_19_digit_orders_that_collapse_to_one_float_are_both_refused(tmp_path):
    data = table([row(), row(customer_name="李四")])
    data[1][col("order_number")] = 3871234567890123456
    data[2][col("order_number")] = 3871234567890123457
    report = import_file(write_xlsx(tmp_path / "floats.xlsx", data))
    lost = [r for r, c, m in errors_of(report) if c == "订单号" and LOST_DIGITS in m]
    assert lost == [2, 3] and Order.objects.count() == 0


def test_scientific_notation_text_in_a_csv_is_refused_in_identifier_columns(tmp_path):
    report = import_file(write_csv(tmp_path / "sci.csv", table([row(order_number="3.87123E+18"),
                                                                 row(order_number="B1", phone="1.85E+10")])))
    assert [(r, c) for r, c, _m in errors_of(report)] == [(2, "订单号"), (3, "手机")]
    assert all(LOST_DIGITS in m for _r, _c, m in errors_of(report))


@pytest.mark.parametrize("write", [write_xlsx, write_xls], ids=["openpyxl", "xlwt"])
def test_numeric_sku_and_tracking_number_are_their_digits(tmp_path, write):
    products("100200300")
    data = table([row(sku="x", status="已发货", carrier="顺丰", tracking_number="x")])
    data[1][col("sku")] = 100200300
    data[1][col("tracking_number")] = 773012345678901
    report = import_file(write(tmp_path / f"ids.{'xlsx' if write is write_xlsx else 'xls'}", data))
    assert report.errors == []
    order = Order.objects.get()
    assert order.lines.get().sku == "100200300"
    assert order.import_record.legacy_tracking_number == "773012345678901"


# -- phones ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("write", [write_xlsx, write_xls], ids=["openpyxl", "xlwt"])
@pytest.mark.parametrize("phone", [8615939255171, "008615939255171", "+86 159 3925 5171", "86-159-3925-5171"])
def test_a_mobile_with_86_or_0086_is_that_mobile(tmp_path, write, phone):
    data = table([row()])
    data[1][col("phone")] = phone
    report = import_file(write(tmp_path / f"p.{'xlsx' if write is write_xlsx else 'xls'}", data))
    assert report.errors == []
    assert Order.objects.get().phone == "15939255171"


def test_a_landline_that_lost_its_leading_zero_is_explained(tmp_path):
    data = table([row()])
    data[1][col("phone")] = 57188881234
    report = import_file(write_xlsx(tmp_path / "landline.xlsx", data))
    assert [(r, c) for r, c, _m in errors_of(report)] == [(2, "手机")]
    assert "lost its leading 0" in report.errors[0].message and "0571-88881234" in report.errors[0].message


def test_a_phone_number_in_scientific_notation_says_format_as_text(tmp_path):
    data = table([row()])
    data[1][col("phone")] = 1.85e10
    report = import_file(write_xlsx(tmp_path / "sci.xlsx", data))
    # 18500000000 is a whole number of 11 digits: exact, so a (valid) mobile; 1.85E+10 typed as text is not.
    assert report.errors == [] and Order.objects.get().phone == "18500000000"


# -- formulas -------------------------------------------------------------------------------------------------

def _with_cached_formula(path, ref: str, formula: str, cached: str) -> None:
    """Give cell `ref` a formula and the text value Excel saved for it (openpyxl writes no values)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml, count = re.subn(rf'<c r="{ref}"[^>]*>.*?</c>',
                         f'<c r="{ref}" t="str"><f>{formula}</f><v>{cached}</v></c>', xml, count=1)
    assert count == 1
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_formula_with_a_saved_value_is_used_and_listed(tmp_path):
    path = write_xlsx(tmp_path / "formula.xlsx", table([row(), row(sku="SKU-002")]))
    letter = openpyxl.utils.get_column_letter(col("sku") + 1)
    _with_cached_formula(path, f"{letter}2", 'HYPERLINK("https://example.com","SKU-001")', "SKU-001")
    _with_cached_formula(path, f"{letter}3", 'HYPERLINK("https://example.com","SKU-002")', "SKU-002")
    report = import_file(path, dry_run=True)
    assert (report.imported, report.errors) == (1, [])
    [warning] = [w for w in report.warnings if w.message.startswith("Formula cells")]
    assert (warning.row, warning.column) == (2, "SKU") and "rows 2–3" in warning.message


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_a_formula_without_a_saved_value_is_refused(tmp_path, kind):
    data = table([row()])
    if kind == "xlsx":
        data[1][col("note")] = '=CONCATENATE("老","系统")'  # openpyxl saves formulas without values
        path = write_xlsx(tmp_path / "f.xlsx", data)
    else:
        data[1][col("note")] = xlwt.Formula('"老"&"系统"')  # xlwt saves no result either
        path = write_xls(tmp_path / "f.xls", data)
    report = import_file(path)
    assert [(r, c) for r, c, _m in errors_of(report)] == [(2, "备注")]
    assert "formula without a usable saved value" in report.errors[0].message


# -- where the data starts, what is hidden --------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_title_rows_above_the_header_are_skipped_and_reported(tmp_path, kind):
    data = [["2024 年订单导出"], ["导出时间：2024-03-05 10:00", "", "操作员：王五"], []] + table(
        [row(order_number="T1"), row(order_number="T2", sku="NOPE")])
    path = (write_xlsx if kind == "xlsx" else write_xls)(tmp_path / f"title.{kind}", data)
    report = import_file(path)
    assert report.imported == 1
    assert [(r, c) for r, c, _m in errors_of(report)] == [(6, "SKU")]  # rows as Excel shows them
    [note] = [w for w in report.warnings if "header is in row 4" in w.message]
    assert "rows 1–2" in note.message and "2024 年订单导出" in note.message


def test_no_header_in_the_first_rows_names_the_closest_row(tmp_path):
    data = [["订单导出"]] + table([row()], columns=[k for k in EN if k != "sku"])
    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        import_file(write_xlsx(tmp_path / "nosku.xlsx", data))
    assert "row 2 of sheet “Sheet”" in str(exc.value) and "SKU" in str(exc.value)


def test_an_empty_first_sheet_is_skipped_with_a_note_in_the_report(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    orders = workbook.create_sheet("订单")
    for values in table([row()]):
        orders.append(values)
    path = tmp_path / "tabs.xlsx"
    workbook.save(path)
    report = import_file(path)
    assert (report.imported, report.sheet) == (1, "订单")
    assert any("“说明” is empty and was skipped" in w.message for w in report.warnings)


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_hidden_rows_are_imported_with_a_warning(tmp_path, kind):
    data = table([row(order_number="V1"), row(order_number="H1"), row(order_number="V2")])
    if kind == "xlsx":
        path = write_xlsx(tmp_path / "hidden.xlsx", data)
        workbook = openpyxl.load_workbook(path)
        workbook.active.row_dimensions[3].hidden = True
        workbook.save(path)
    else:
        workbook = xlwt.Workbook(encoding="utf-8")
        sheet = workbook.add_sheet("订单")
        for r_index, values in enumerate(data):
            for c_index, value in enumerate(values):
                sheet.write(r_index, c_index, value)
        sheet.row(2).hidden = True
        path = tmp_path / "hidden.xls"
        workbook.save(str(path))
    report = import_file(path, dry_run=True)
    assert report.imported == 3
    [warning] = [w for w in report.warnings if w.message.startswith("Rows hidden")]
    assert warning.row == 3 and "rows 3." in warning.message


# -- encodings -------------------------------------------------------------------------------------------------

def test_a_gbk_csv_whose_yen_became_a_question_mark_names_the_encoding(tmp_path):
    path = write_csv(tmp_path / "gbk.csv", table([row(unit_price="?1,299.00")]), encoding="gbk")
    report = import_file(path)
    assert [(r, c) for r, c, _m in errors_of(report)] == [(2, "单价")]
    assert "GBK" in report.errors[0].message and "CSV UTF-8" in report.errors[0].message


# -- a re-import repairs nothing silently -------------------------------------------------------------------

def test_importing_the_corrected_file_after_a_bad_one_reports_the_conflicts(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", table([row(order_number="C1", sku="SKU-001", unit_price="0.02"),
                                                 row(order_number="C2")]))
    assert import_file(bad).imported == 2
    corrected = write_csv(tmp_path / "fixed.csv", table([
        row(order_number="C1", sku="SKU-001", unit_price="888"),
        row(order_number="C1", sku="SKU-002", unit_price="0.02"),
        row(order_number="C2"),
    ]))
    report = import_file(corrected, dry_run=True)
    assert (report.imported, report.duplicates, report.rejected_orders) == (0, 1, 1)
    [conflict] = report.errors
    assert (conflict.row, conflict.column, conflict.value) == (2, "订单号", "C1")
    assert conflict.message.startswith("Conflict: this order is already in OMS as SO")
    assert "SKU-001×2 @0.02" in conflict.message and "SKU-002×2 @0.02" in conflict.message
    assert "total in OMS ¥10.04, in the file ¥1,786.04" in conflict.message
    # OMS keeps what it had; the same corrected file again is still a conflict, never a silent repair.
    report = import_file(corrected)
    assert report.rejected_orders == 1
    assert Order.objects.get(external_id="C1").total == Decimal("10.04")


def test_an_identical_re_import_is_a_duplicate(tmp_path):
    path = write_xlsx(tmp_path / "same.xlsx", table([row(), row(sku="SKU-002")]))
    import_file(path)
    report = import_file(path)
    assert (report.duplicates, report.rejected_orders, report.errors) == (1, 0, [])
