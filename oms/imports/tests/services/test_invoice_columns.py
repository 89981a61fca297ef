"""The optional invoice columns (发票类型, 发票抬头, 税号, 开票地址电话, 开户行及账号): the buyer's invoice
request, checked as finance checks an invoice before issue; a file without them imports as before."""

import pytest

from oms.imports.columns import BY_KEY, match_header
from oms.imports.exports import template_workbook
from oms.imports.services import legacy_orders_import
from oms.imports.tests.factories import row, table, write_csv
from oms.imports.tests.services.test_legacy_orders_import import ACTOR, errors_of, run
from orders.models import Order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]

VALID_ID = "91330100MA2B3C4D5N"
SPECIAL = {"invoice_type": "专票", "invoice_title": "杭州西湖科技有限公司", "tax_id": "91330100 MA2B3C4D5N",
           "invoice_address_phone": "杭州市西湖区文三路 1 号 0571-88881234",
           "invoice_bank_account": "工商银行杭州分行 1202020209000012345"}


@pytest.fixture
def catalog(stock_everything):
    from oms.imports.tests.factories import products

    return products("SKU-001", "SKU-002", "SKU-003")


def test_a_special_invoice_request_is_imported_onto_the_order(tmp_path):
    report = run(tmp_path, [row(**SPECIAL), row(sku="SKU-002")], kind="xlsx")  # order-level: first row only
    assert report.errors == [] and report.imported == 1
    assert Order.objects.get().invoice_request == {
        "type": "special", "title": "杭州西湖科技有限公司", "tax_id": VALID_ID,
        "address_phone": SPECIAL["invoice_address_phone"], "bank_account": SPECIAL["invoice_bank_account"]}


def test_a_title_alone_is_an_ordinary_invoice(tmp_path):
    report = run(tmp_path, [row(invoice_title="张三")])
    assert report.errors == []
    assert Order.objects.get().invoice_request["type"] == "normal"


def test_bad_invoice_details_are_row_errors_naming_the_column_and_the_order_is_not_imported(tmp_path):
    report = run(tmp_path, [row(order_number="A", invoice_type="专用", invoice_title="某公司", tax_id="1234"),
                            row(order_number="B", invoice_type="电子", invoice_title="某公司"),
                            row(order_number="C", tax_id=VALID_ID)])
    assert report.imported == 0 and report.rejected_orders == 3
    errors = {(number, column) for number, column, _value, _message in errors_of(report)}
    assert errors == {(2, "税号"), (2, "开票地址电话"), (2, "开户行及账号"), (3, "发票类型"), (4, "发票抬头")}
    assert "1234" in next(m for n, c, v, m in errors_of(report) if c == "税号")


def test_a_file_without_invoice_columns_imports_as_before(tmp_path):
    columns = [c for c in BY_KEY if not c.startswith("invoice") and c != "tax_id"]
    report = run(tmp_path, [row()], columns=columns)
    assert report.errors == [] and report.warnings == [] and report.imported == 1
    assert Order.objects.get().invoice_request == {}


def test_english_headers_are_recognised_and_the_columns_are_optional():
    header = match_header(["订单号", "invoice_title", "Tax ID", "发票类型", "开票地址电话", "开户行及账号"])
    assert set(header.positions) >= {"invoice_title", "tax_id", "invoice_type", "invoice_address_phone",
                                     "invoice_bank_account"}
    assert not any(c.key.startswith("invoice") or c.key == "tax_id" for c in header.missing)


def test_the_template_explains_the_invoice_columns_and_its_example_row_imports(tmp_path):
    import io

    import openpyxl
    from django.utils import translation

    with translation.override("zh-hans"):
        workbook = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    guide = [[cell.value for cell in r] for r in workbook.worksheets[1].iter_rows()]
    explained = {r[0]: r for r in guide if r and r[0]}
    for zh in ("发票类型", "发票抬头", "税号", "开票地址电话", "开户行及账号"):
        assert zh in explained and explained[zh][2] == "否"
    assert "专用" in explained["税号"][4]
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_workbook())
    report = legacy_orders_import(path=path, dry_run=True, actor=ACTOR)
    assert report.errors == [] and report.imported == 1


def test_unknown_columns_stay_a_warning(tmp_path):
    data = table([row(invoice_title="张三")])
    data[0] += ["颜色"]
    data[1] += ["红"]
    report = legacy_orders_import(path=write_csv(tmp_path / "x.csv", data), dry_run=False, actor=ACTOR)
    assert report.imported == 1 and len(report.warnings) == 1 and "颜色" in report.warnings[0].message

