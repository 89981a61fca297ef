"""Every workbook format a clerk can save reads to the same orders; files that cannot be read are
refused with a message that says what to do (issue 23, contract import-template.md "File")."""

import struct
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import xlwt
from django.db import transaction

from core.errors import ValidationFailed
from oms.imports.readers import open_sheet
from oms.imports.services import legacy_orders_import
from oms.imports.tests.factories import (
    EN,
    format_orders,
    products,
    rename_parts,
    row,
    table,
    write_csv,
    write_ods,
    write_strict_xlsx,
    write_xls,
    write_xlsm,
    write_xlsx,
)
from orders.models import Order

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).with_name("fixtures")
WRITERS = {"xlsx": write_xlsx, "xlsm": write_xlsm, "xls": write_xls, "ods": write_ods, "strict.xlsx": write_strict_xlsx}


@pytest.fixture(autouse=True)
def catalog(stock_everything):
    return products("SKU-001", "SKU-002", "SKU-003")


def import_file(path, name=None, dry_run=False):
    return legacy_orders_import(path=path, file_name=name, dry_run=dry_run, actor=None)


def refused(path, name=None) -> str:
    with pytest.raises(ValidationFailed) as exc:
        import_file(path, name)
    assert Order.objects.count() == 0
    message = str(exc.value)
    assert "Error" not in message and "Traceback" not in message  # no exception class names
    return message


def orders_in_oms() -> list[tuple]:
    """Everything an imported order is: the header fields and every line."""
    snapshot = []
    for order in Order.objects.order_by("external_id").prefetch_related("lines"):
        snapshot.append((
            order.channel.code, order.external_id, order.status, order.ordered_at, order.recipient, order.phone,
            order.province, order.city, order.district, order.address_detail, order.subtotal,
            order.discount_total, order.shipping_fee, order.total, order.paid_amount, order.payment_method,
            order.note,
            sorted((line.sku, line.quantity, line.unit_price, line.discount) for line in order.lines.all()),
        ))
    return snapshot


class _Undo(Exception):
    pass


@pytest.fixture
def expected(tmp_path):
    """The orders the .xlsx imports to, imported in a savepoint rolled back, so that each format
    then starts from an OMS without them."""
    try:
        with transaction.atomic():
            report = import_file(write_xlsx(tmp_path / "reference.xlsx", format_orders()))
            assert (report.imported, report.errors) == (3, [])
            snapshot = orders_in_oms()
            raise _Undo
    except _Undo:
        pass
    assert Order.objects.count() == 0
    assert snapshot[0][10:14] == (Decimal("259.90"), Decimal("20.00"), Decimal("10.00"), Decimal("249.90"))
    return snapshot


@pytest.mark.parametrize("kind", ["xlsm", "xls", "ods", "strict.xlsx"])
def test_each_format_imports_to_exactly_the_same_orders_as_the_xlsx(tmp_path, expected, kind):
    path = WRITERS[kind](tmp_path / f"orders.{kind}", format_orders())
    report = import_file(path)
    assert (report.rows, report.orders, report.imported, report.errors) == (4, 3, 3, [])
    assert report.file_kind == {"strict.xlsx": "xlsx"}.get(kind, kind)
    assert orders_in_oms() == expected


def test_the_committed_xlsb_imports_to_the_same_orders(expected):
    report = import_file(FIXTURES / "orders.xlsb")
    assert (report.file_kind, report.imported, report.errors) == ("xlsb", 3, [])
    assert orders_in_oms() == expected


@pytest.mark.parametrize("how", [str.upper, lambda name: name.replace("/", "\\")],
                         ids=["upper-case-part-names", "backslash-part-names"])
def test_part_names_as_other_writers_spell_them(tmp_path, expected, how):
    source = write_xlsx(tmp_path / "plain.xlsx", format_orders())
    path = rename_parts(source, tmp_path / "odd.xlsx", lambda name: how(name) if name.startswith("xl/") else name)
    assert import_file(path).imported == 3
    assert orders_in_oms() == expected


# -- the format comes from the bytes, not the name ---------------------------------------------------------

@pytest.mark.parametrize(("written", "named"), [("xls", "orders.xlsx"), ("ods", "orders.xlsx"),
                                                ("xlsx", "orders.xls"), ("xlsx", "orders.csv")])
def test_a_renamed_file_is_read_as_what_it_is(tmp_path, written, named):
    path = WRITERS[written](tmp_path / f"source.{written}", format_orders())
    report = import_file(path, named)
    assert (report.file_kind, report.imported) == (written, 3)


def test_a_csv_named_xlsx_is_read_as_csv(tmp_path):
    path = write_csv(tmp_path / "orders.xlsx", table([row()]))
    report = import_file(path)
    assert (report.file_kind, report.imported) == ("csv", 1)


# -- refusals ------------------------------------------------------------------------------------------

def test_password_protected_xlsx_says_how_to_remove_the_password(tmp_path):
    message = refused(FIXTURES / "secret.xlsx", "订单.xlsx")
    assert "“订单.xlsx” is protected with a password" in message
    assert "File → Info → Protect Workbook" in message


def _xls_with_filepass(path: Path) -> Path:
    """An .xls whose workbook stream carries a FILEPASS record, as Excel writes a password-protected one."""
    from xlwt.CompoundDoc import XlsDoc

    workbook = xlwt.Workbook()
    workbook.add_sheet("订单").write(0, 0, "订单号")
    data = bytearray(workbook.get_biff_data())
    position = 0
    while position < len(data):
        kind, length = struct.unpack_from("<HH", data, position)
        if kind == 0x0019 and length == 2:  # WINDOWPROTECT → FILEPASS (XOR obfuscation, same length)
            struct.pack_into("<H", data, position, 0x002F)
            break
        position += 4 + length
    XlsDoc().save(str(path), bytes(data))
    return path


def test_password_protected_xls(tmp_path):
    message = refused(_xls_with_filepass(tmp_path / "secret.xls"))
    assert "protected with a password" in message


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_a_truncated_workbook_is_damaged_and_says_save_it_again(tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"orders.{kind}", format_orders())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    message = refused(path, f"订单.{kind}")
    assert f"“订单.{kind}” is damaged" in message and "Open it in Excel or WPS and save it again" in message


@pytest.mark.parametrize(("content", "name"), [(b"%PDF-1.4 ...", "orders.xlsx"),
                                               (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "orders.xls")])
def test_something_else_renamed_is_not_a_spreadsheet(tmp_path, content, name):
    path = tmp_path / "upload"
    path.write_bytes(content)
    message = refused(path, name)
    assert f"“{name}” is not a spreadsheet" in message and ".ods" in message


def test_a_word_document_is_not_a_spreadsheet(tmp_path):
    path = tmp_path / "orders.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    assert "is not a spreadsheet" in refused(path)


def test_a_web_page_saved_as_xls_says_to_save_it_as_a_workbook(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text("<html><table><tr><td>订单号</td></tr></table></html>", encoding="utf-8")
    message = refused(path)
    assert "is a web page or XML file" in message and "*.xlsx" in message


def test_an_empty_workbook_names_its_sheet(tmp_path):
    path = write_xlsx(tmp_path / "empty.xlsx", [])
    message = refused(path)
    assert "Sheet “Sheet” of “empty.xlsx” is empty" in message


def test_an_empty_first_sheet_is_skipped_with_a_note(tmp_path):
    path = write_ods(tmp_path / "two.ods", format_orders(), sheets={"封面": []})
    with open_sheet(path) as sheet:
        assert sheet.sheet_name == "订单"
        assert any("“封面” is empty and was skipped" in note for _row, note in sheet.notes)
    report = import_file(path)
    assert (report.imported, report.sheet) == (3, "订单")
    assert any("“封面” is empty and was skipped" in warning.message for warning in report.warnings)


# -- what reading a workbook may cost ------------------------------------------------------------------------

def _replace_sheet(source: Path, target: Path, sheet_xml: str) -> Path:
    from oms.imports.tests.factories import _rewrite_zip

    return _rewrite_zip(source, target, lambda name, data: (
        name, sheet_xml.encode() if name == "xl/worksheets/sheet1.xml" else data))


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def test_a_workbook_declaring_a_billion_cells_is_refused_before_it_is_read(tmp_path):
    path = _replace_sheet(write_xlsx(tmp_path / "plain.xlsx", [["订单号"]]), tmp_path / "bomb.xlsx", (
        f'<worksheet {NS}><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>订单号'
        '</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'))
    message = refused(path)
    assert "1,048,576 rows × 16,384 columns" in message and "split" in message


def test_cells_without_references_count_towards_the_grid(tmp_path, settings):
    settings.OMS_IMPORT_MAX_CELLS = 1_000_000
    unreferenced = "<c><v>1</v></c>" * 5000
    path = _replace_sheet(write_xlsx(tmp_path / "plain.xlsx", [["订单号"]]), tmp_path / "wide.xlsx", (
        f'<worksheet {NS}><sheetData><row r="1">{unreferenced}</row><row r="900"><c r="A900"><v>1</v></c></row>'
        "</sheetData></worksheet>"))
    assert "columns, more than the 1,000,000 cells" in refused(path)


def test_a_column_beyond_xfd_is_damage(tmp_path):
    path = _replace_sheet(write_xlsx(tmp_path / "plain.xlsx", [["订单号"]]), tmp_path / "far.xlsx", (
        f'<worksheet {NS}><sheetData><row r="1"><c r="AAAAAA1" t="inlineStr"><is><t>订单号</t></is></c></row>'
        "</sheetData></worksheet>"))
    assert "is damaged" in refused(path)


def test_an_ods_repeating_a_filled_row_a_million_times_is_refused(tmp_path, settings):
    path = write_ods(tmp_path / "repeat.ods", [["订单号"]])
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml").decode()
    empty_tail = '<table:table-cell table:number-columns-repeated="1024"/>'
    content = content.replace(
        f'<table:table-row table:number-rows-repeated="1048000">{empty_tail}',
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024" '
        'office:value-type="float" office:value="1"/>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    assert "more than the 12,000,000 cells" in refused(path)


def test_a_shared_string_bomb_is_refused_by_its_unpacked_size(tmp_path, settings):
    settings.OMS_IMPORT_MAX_SHARED_STRINGS_BYTES = 1024 * 1024
    source = write_xlsx(tmp_path / "plain.xlsx", [["订单号"]])
    path = tmp_path / "strings.xlsx"
    from oms.imports.tests.factories import _rewrite_zip

    _rewrite_zip(source, path, lambda name, data: (name, data))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", f"<sst {NS}><si><t>{'x' * (3 * 1024 * 1024)}</t></si></sst>")
    assert path.stat().st_size < 100_000
    assert "unpacks to" in refused(path)


def test_a_part_larger_than_it_declares_is_damaged(tmp_path):
    source = write_xlsx(tmp_path / "plain.xlsx", format_orders())
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        size = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    data = data.replace(struct.pack("<I", size), struct.pack("<I", 100))
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(data))
    assert "is damaged" in refused(path)


def test_merged_cells_of_an_ods_are_filled_like_any_other_format(tmp_path):
    data = format_orders()
    data[2][0] = data[2][1] = ""  # F-001's second line: 订单号 and 渠道 only in the merged cells above
    path = write_ods(tmp_path / "merged.ods", data, merges={(1, 0): (2, 1), (1, 1): (2, 1)})
    report = import_file(path, dry_run=True)
    assert (report.orders, report.imported, report.errors) == (3, 3, [])
    assert any("2 merged cell ranges were filled" in w.message for w in report.warnings)


def test_the_fast_and_the_exact_ods_scans_agree(tmp_path):
    from oms.imports import guards

    data = format_orders()
    path = write_ods(tmp_path / "scan.ods", data, sheets={"封面": [["说明"]]}, merges={(1, 0): (2, 1)})
    with zipfile.ZipFile(path) as archive:
        exact = guards._ods_grids(archive.open("content.xml"))
        fast = guards._ods_grids_fast(archive.open("content.xml"))
    assert fast == exact and exact["订单"][0] == (5, len(EN)) and exact["订单"][1] == [((1, 0), (2, 0))]


def test_a_dimension_that_lies_small_does_not_hide_a_far_cell(tmp_path):
    path = _replace_sheet(write_xlsx(tmp_path / "plain.xlsx", [["订单号"]]), tmp_path / "liar.xlsx", (
        f'<worksheet {NS}><dimension ref="A1:A1"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>订单号'
        '</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'))
    assert "1,048,576 rows × 16,384 columns" in refused(path)


def test_the_grid_bound_of_an_ordinary_sheet_is_its_columns_times_the_row_floor(tmp_path):
    from oms.imports import guards

    path = write_xlsx(tmp_path / "orders.xlsx", format_orders())
    limits = guards.check_workbook(path, "orders.xlsx", "xlsx")
    limits.check_sheet("Sheet")
    assert limits.grids["Sheet"] == (99_999, len(EN))  # the last template column (Y: 25), not a floor of 26
