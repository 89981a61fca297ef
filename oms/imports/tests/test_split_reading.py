"""A large .xlsx is read in two halves at once (`XlsxSheet.split_offset`, `parallel.TailReader`)."""

import re
import zipfile

import pytest

from core.errors import ValidationFailed
from oms.imports import parallel
from oms.imports.readers import open_sheet
from oms.imports.services import legacy_orders_import
from oms.imports.tests.factories import products, row, table, write_minimal_xlsx, write_xlsx
from orders.models import Order

pytestmark = pytest.mark.django_db
SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture(autouse=True)
def catalog():
    return products("SKU-001", "SKU-002")


def many_rows(count: int, **overrides) -> list[dict]:
    return [row(order_number=f"S{i:04d}", phone=f"138{i:08d}", **overrides) for i in range(count)]


def halves(path):
    with open_sheet(path) as sheet:
        split = sheet.split_offset(min_bytes=1)
        return split, list(sheet.rows()), list(sheet.rows(stop=split)), list(sheet.rows(start=split))


def rewrite_sheet(path, change) -> None:
    """Replace the worksheet XML of the workbook at `path` with `change(xml)`."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts[SHEET] = change(parts[SHEET].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_the_two_halves_of_a_worksheet_are_its_rows(tmp_path):
    path = write_xlsx(tmp_path / "orders.xlsx", table(many_rows(300)))
    split, whole, first, second = halves(path)
    assert split is not None and first and second
    assert first + second == whole
    assert second[0][0] == first[-1][0] + 1  # Excel's row numbers carry on in the second half


def test_a_worksheet_written_with_a_namespace_prefix_splits_too(tmp_path):
    path = write_xlsx(tmp_path / "prefixed.xlsx", table(many_rows(200)))

    def prefixed(xml):
        xml = xml.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                          'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
        return re.sub(r"<(/?)(worksheet|sheetPr|dimension|sheetViews|sheetView|selection|sheetFormatPr|sheetData|"
                      r"row|c|v|pageMargins)\b", r"<\1x:\2", xml)

    rewrite_sheet(path, prefixed)
    split, whole, first, second = halves(path)
    assert split is not None and len(whole) == 201
    assert first + second == whole


def test_no_split_without_row_numbers_or_below_the_size_that_pays(tmp_path):
    unnumbered = write_minimal_xlsx(tmp_path / "plain.xlsx", table(many_rows(200)))
    with open_sheet(unnumbered) as sheet:
        assert sheet.split_offset(min_bytes=1) is None  # rows without `r` could not tell their numbers
    small = write_xlsx(tmp_path / "small.xlsx", table(many_rows(20)))
    with open_sheet(small) as sheet:
        assert sheet.split_offset(min_bytes=parallel.SPLIT_READING_FROM) is None


@pytest.fixture
def split_everything(settings, monkeypatch):
    """Every .xlsx read in two processes; records the split offsets the importer used."""
    settings.OMS_IMPORT_WORKERS = 2
    monkeypatch.setattr(parallel, "SPLIT_READING_FROM", 1)
    used = []
    real = parallel.reading_split

    def recording(sheet):
        used.append(real(sheet))
        return used[-1]

    monkeypatch.setattr(parallel, "reading_split", recording)
    return used


def report_of(path, dry_run=True):
    report = legacy_orders_import(path=path, dry_run=dry_run, actor=None)
    return (report.rows, report.orders, report.imported, report.rejected_orders,
            [(p.row, p.column, p.message) for p in report.errors])


def test_an_import_read_in_two_halves_reports_and_writes_what_one_reader_does(tmp_path, settings, split_everything):
    rows = many_rows(300)
    rows[5]["quantity"] = "two"  # an error in the first half
    rows[290]["unit_price"] = "abc"  # and one in the second
    # S0003's second line, in the other half of the file
    rows.append(row(order_number="S0003", phone="", customer_name="", ordered_at="", sku="SKU-002"))
    path = write_xlsx(tmp_path / "orders.xlsx", table(rows))
    split_read = report_of(path)
    assert split_everything and split_everything[0] is not None
    settings.OMS_IMPORT_WORKERS = 1
    one_reader = report_of(path)
    assert split_read == one_reader
    assert split_read[:4] == (301, 300, 298, 2) and [e[0] for e in split_read[4]] == [7, 292]

    settings.OMS_IMPORT_WORKERS = 2
    assert report_of(path, dry_run=False)[2] == 298
    straddling = Order.objects.get(external_id="S0003")
    assert sorted(straddling.lines.values_list("sku", flat=True)) == ["SKU-001", "SKU-002"]


def test_a_damaged_second_half_is_the_clerks_message(tmp_path, split_everything):
    path = write_xlsx(tmp_path / "damaged.xlsx", table(many_rows(300)))
    rewrite_sheet(path, lambda xml: xml.replace('<row r="280"', '<row r="280"><broken', 1))
    with pytest.raises(ValidationFailed) as refused:
        report_of(path)
    assert "is damaged near row" in str(refused.value)
    assert split_everything[0] is not None and not Order.objects.exists()


def test_the_row_limit_counts_both_halves(tmp_path, settings, split_everything):
    settings.OMS_IMPORT_MAX_ROWS = 250  # each half is below it, the file is not
    path = write_xlsx(tmp_path / "long.xlsx", table(many_rows(300)))
    with pytest.raises(ValidationFailed) as refused:
        report_of(path)
    assert "more than 250 rows" in str(refused.value)


def test_shared_strings_read_as_openpyxl_reads_them(tmp_path):
    """Rich text runs, phonetic guides (left out), entities, spaces, empty strings, Excel's _x005F_ escape."""
    from openpyxl.reader.excel import ExcelReader

    items = ['<si><t xml:space="preserve"> 张三 </t></si>', "<si><t/></si>", "<si><t>A&amp;B &lt;1&gt;</t></si>",
             '<si><r><rPr><b/></rPr><t>欧阳</t></r><r><t xml:space="preserve">娜娜</t></r></si>',
             '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>',
             "<si><t>_x005F_x000D_ kept</t></si>"]
    path = write_minimal_xlsx(tmp_path / "strings.xlsx", [["x"]])
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts["xl/sharedStrings.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="6" '
                                     f'uniqueCount="6">{"".join(items)}</sst>').encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>'))
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", (
        b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
    cells = "".join(f'<c t="s"><v>{i}</v></c>' for i in range(len(items)))
    parts[SHEET] = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData><row>{cells}</row>'
                    "</sheetData></worksheet>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    reference = ExcelReader(str(path), read_only=True)
    reference.read()
    expected = [" 张三 ", "", "A&B <1>", "欧阳娜娜", "東京", "_x000D_ kept"]
    assert reference.shared_strings == expected
    with open_sheet(path) as sheet:
        assert sheet.sheet._shared_strings == expected
        assert list(sheet.rows()) == [(1, expected)]
