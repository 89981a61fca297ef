import io

import pytest
import tablib
from openpyxl import Workbook

from catalog.tests.factories import ProductFactory
from core.errors import PermissionDenied, ValidationFailed
from inventory.models import MovementKind, Stock, StockMovement, Stocktake
from inventory.selectors import stock_drift
from inventory.services import order_stock_reserve, stocktake_import
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory, stock_up
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def sheet(*rows, headers=("sku", "counted")):
    return tablib.Dataset(*rows, headers=list(headers))


@pytest.fixture
def stocked():
    wh = WarehouseFactory(code="SH01")
    a = stock_up(ProductFactory(sku="SKU-A"), 10, wh)
    b = stock_up(ProductFactory(sku="SKU-B"), 5, wh)
    return wh, a, b


def test_dry_run_previews_differences_and_changes_nothing(stocked, warehouse_clerk):
    wh, a, b = stocked
    before = StockMovement.objects.count()
    result = stocktake_import(warehouse="SH01", dataset=sheet(("SKU-A", 8), ("sku-b", "7")), actor=warehouse_clerk,
                              dry_run=True)
    assert not result.has_errors
    assert [(r.sku, r.counted, r.system, r.difference) for r in result.rows] == [
        ("SKU-A", 8, 10, -2), ("sku-b", 7, 5, 2)]
    assert StockMovement.objects.count() == before
    assert Stocktake.objects.count() == 0
    assert Stock.objects.get(product=a).on_hand == 10


def test_import_sets_stock_to_the_counts(stocked, warehouse_clerk):
    wh, a, b = stocked
    result = stocktake_import(warehouse="SH01", dataset=sheet(("SKU-A", 8), ("SKU-B", 7)), actor=warehouse_clerk,
                              dry_run=False, note="月末盘点")
    stocktake = result.stocktake
    assert stocktake.number.startswith("ST") and stocktake.applied_by == warehouse_clerk
    assert Stock.objects.get(product=a).on_hand == 8
    assert Stock.objects.get(product=b).on_hand == 7
    assert {(line.product.sku, line.system_quantity, line.counted) for line in stocktake.lines.all()} == {
        ("SKU-A", 10, 8), ("SKU-B", 5, 7)}
    rows = StockMovement.objects.filter(kind=MovementKind.STOCKTAKE, reference=stocktake.number)
    assert sorted(r.on_hand_delta for r in rows) == [-2, 2]
    assert stock_drift() == []


def test_chinese_headers_and_excel_files_are_understood(stocked, warehouse_clerk):
    wh, a, b = stocked
    book = Workbook()
    ws = book.active
    ws.append(["商品编码", "盘点数量", "备注"])
    ws.append(["SKU-A", 9, "货架A"])
    buffer = io.BytesIO()
    book.save(buffer)
    dataset = tablib.Dataset().load(buffer.getvalue(), format="xlsx")
    stocktake_import(warehouse="SH01", dataset=dataset, actor=warehouse_clerk, dry_run=False)
    assert Stock.objects.get(product=a).on_hand == 9


def test_row_errors_are_listed_per_row_and_nothing_is_applied(stocked, warehouse_clerk):
    wh, a, b = stocked
    order_stock_reserve(order=create_order(lines=[(b, 4)]), actor=TEST_ACTOR)
    data = sheet(("SKU-A", 8), ("NOPE", 1), ("SKU-A", 3), ("SKU-B", 2), ("SKU-A", "2.5"), ("SKU-A", -1),
                 ("SKU-A", "abc"), ("", 1))
    preview = stocktake_import(warehouse="SH01", dataset=data, actor=warehouse_clerk, dry_run=True)
    errors = {row.number: " ".join(row.errors) for row in preview.rows if row.errors}
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9}
    assert "NOPE" in errors[3]
    assert "2" in errors[5] and "4" in errors[5]  # counted 2 but 4 are reserved
    with pytest.raises(ValidationFailed) as exc:
        stocktake_import(warehouse="SH01", dataset=data, actor=warehouse_clerk, dry_run=False)
    assert "rows.3" in exc.value.errors
    assert Stock.objects.get(product=a).on_hand == 10
    assert Stocktake.objects.count() == 0


def test_missing_columns_or_warehouse_are_refused(stocked, warehouse_clerk):
    with pytest.raises(ValidationFailed) as exc:
        stocktake_import(warehouse="SH01", dataset=sheet(("SKU-A",), headers=("sku",)), actor=warehouse_clerk,
                         dry_run=True)
    assert "file" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        stocktake_import(warehouse="NOWHERE", dataset=sheet(("SKU-A", 1)), actor=warehouse_clerk, dry_run=True)
    assert "warehouse" in exc.value.errors


def test_counting_a_sku_new_to_the_warehouse_creates_its_stock(warehouse_clerk):
    WarehouseFactory(code="SH01")
    product = ProductFactory(sku="SKU-NEW")
    stocktake_import(warehouse="SH01", dataset=sheet(("SKU-NEW", 4)), actor=warehouse_clerk, dry_run=False)
    assert Stock.objects.get(product=product).on_hand == 4
    assert stock_drift() == []


def test_only_clerks_with_the_count_permission(stocked, reviewer):
    with pytest.raises(PermissionDenied):
        stocktake_import(warehouse="SH01", dataset=sheet(("SKU-A", 1)), actor=reviewer, dry_run=True)
