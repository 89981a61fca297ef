"""A warehouse clerk in Chromium: the stock overview in Chinese, then a stocktake from dry run to applied."""

import os

import pytest

from catalog.tests.factories import ProductFactory
from core.enums import Role
from inventory.models import Stock
from inventory.services import order_stock_reserve, stock_settings_update
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory, stock_up
from orders.tests.factories import create_order

# serialized_rollback: the live server needs committed data, and the data the migrations seed
# (channels, role groups) must survive other transactional tests' flushes.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-artifacts")


@pytest.fixture
def stocked_warehouses():
    sh = WarehouseFactory(code="SH01", name="上海青浦仓")
    gz = WarehouseFactory(code="GZ01", name="广州白云仓（菜鸟）", province="广东省", kind="external_wms")
    tee = stock_up(ProductFactory(sku="SKU-001", name="纯棉圆领T恤 白色 L"), 1200, sh)
    stock_up(tee, 40, gz)
    cup = stock_up(ProductFactory(sku="SKU-009", name="不锈钢保温杯 500ml"), 3, gz)
    stock_settings_update(stock=Stock.objects.get(product=cup), safety_stock=1, low_stock_threshold=5,
                          actor=TEST_ACTOR)
    order_stock_reserve(order=create_order(lines=[(tee, 2)], province="上海市"), actor=TEST_ACTOR)


def test_clerk_sees_stock_and_applies_a_stocktake(browser_page, login, make_user, stocked_warehouses, tmp_path):
    make_user("clerk", Role.WAREHOUSE, is_staff=True)
    login("clerk")
    page = browser_page
    page.goto("/inventory/")
    assert page.locator("h1").inner_text() == "库存总览"
    assert page.locator("nav.mainnav >> text=库存").count() == 1
    row = page.locator("tr", has_text="SKU-001").filter(has_text="SH01")
    assert row.locator("td.num").nth(0).inner_text() == "1,200"   # on hand, with thousands separator
    assert row.locator("td.num").nth(3).inner_text() == "1,198"   # available after a reservation of 2
    assert page.locator("tr.low", has_text="SKU-009").locator(".badge-warn").inner_text() == "低库存"
    page.screenshot(path=os.path.join(ARTIFACTS, "inventory-stock-overview.png"), full_page=True)

    sheet = tmp_path / "盘点.csv"
    sheet.write_text("商品编码,盘点数量\nSKU-001,1195\nSKU-404,3\n", encoding="utf-8-sig")
    page.goto("/inventory/stocktakes/import/")
    page.select_option("#id_warehouse", "SH01")
    page.set_input_files("#id_file", str(sheet))
    page.click("main button.btn-primary")
    page.wait_for_load_state("networkidle")
    assert "未知 SKU" in page.locator("tr.error").inner_text()  # the dry run shows the bad row
    page.screenshot(path=os.path.join(ARTIFACTS, "inventory-stocktake-dry-run-errors.png"), full_page=True)
    assert Stock.objects.get(product__sku="SKU-001", warehouse__code="SH01").on_hand == 1200

    sheet.write_text("商品编码,盘点数量\nSKU-001,1195\n", encoding="utf-8-sig")
    page.goto("/inventory/stocktakes/import/")
    page.select_option("#id_warehouse", "SH01")
    page.set_input_files("#id_file", str(sheet))
    page.click("main button.btn-primary")
    page.wait_for_load_state("networkidle")
    assert page.locator("td.num .diff-down").inner_text() == "-5"
    page.screenshot(path=os.path.join(ARTIFACTS, "inventory-stocktake-dry-run.png"), full_page=True)
    page.click("text=执行盘点")
    page.wait_for_load_state("networkidle")
    assert "已执行" in page.locator(".msg-success").inner_text()
    assert Stock.objects.get(product__sku="SKU-001", warehouse__code="SH01").on_hand == 1195


def test_clerk_books_a_receipt(browser_page, login, make_user, stocked_warehouses):
    make_user("clerk", Role.WAREHOUSE, is_staff=True)
    login("clerk")
    page = browser_page
    page.goto("/inventory/receipts/new/")
    page.select_option("#id_warehouse", "GZ01")
    page.fill("#id_reference", "PO-20261124-01")
    page.fill("#id_lines-0-sku", "SKU-009")
    page.fill("#id_lines-0-quantity", "24")
    page.fill("#id_lines-0-batch_number", "B202611-009")
    page.fill("#id_lines-1-sku", "SKU-404")
    page.fill("#id_lines-1-quantity", "1")
    page.click("main button.btn-primary")
    page.wait_for_load_state("networkidle")
    assert page.locator("tr", has=page.locator("#id_lines-1-sku")).locator(".errorlist").inner_text() \
        == "未知 SKU“SKU-404”。"
    assert Stock.objects.get(product__sku="SKU-009", warehouse__code="GZ01").on_hand == 3  # nothing booked
    page.screenshot(path=os.path.join(ARTIFACTS, "inventory-receipt-error.png"), full_page=True)
    page.fill("#id_lines-1-sku", "")
    page.fill("#id_lines-1-quantity", "")
    page.click("main button.btn-primary")
    page.wait_for_load_state("networkidle")
    assert "已入账" in page.locator(".msg-success").inner_text()
    assert Stock.objects.get(product__sku="SKU-009", warehouse__code="GZ01").on_hand == 27
