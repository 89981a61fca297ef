"""A warehouse clerk packs an order at the bench with a barcode scanner (keyboard input) and prints the label."""

import os
import subprocess

import pytest

from conftest import ARTIFACTS
from core.enums import Role
from logistics.models import Shipment, ShipmentStatus
from logistics.tests.factories import product, released_order, shipments_of

# serialized_rollback: the flush after the test must not re-run post_migrate (it would recreate the role
# groups under new ids, and the next serialized test could not restore the seeded channels and groups).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def scan(page, code):
    """What a USB scanner does: type the code into the focused field, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_clerk_scans_order_and_items_and_prints_the_label(browser_page, login, make_user):
    page = browser_page
    make_user("packer", Role.WAREHOUSE, is_staff=True)  # the admin login form wants staff
    tee = product("SKU-001", barcode="6901234567892", name="纯棉圆领T恤 白色 L")
    cup = product("SKU-010", barcode="6901234567106", name="陶瓷马克杯 两只装")
    stranger = product("SKU-099", barcode="6909999999994", name="蓝牙降噪耳机")
    order = released_order([(tee, 2, "79.00"), (cup, 1, "89.00")], recipient="李娜", note="请用纸箱包装")
    [shipment] = shipments_of(order)

    login("packer")
    page.goto("/logistics/packing/")
    page.wait_for_selector("#scan:focus")
    scan(page, order.number)
    page.wait_for_url(f"**/logistics/packing/{shipment.number}/")
    page.wait_for_selector("#scan:focus")
    page.screenshot(path=os.path.join(ARTIFACTS, "packing-1-opened.png"), full_page=True)

    scan(page, stranger.barcode)  # wrong item: refused loudly
    banner = page.locator("#banner.bad")
    banner.wait_for()
    assert "商品错误" in banner.inner_text() and stranger.barcode in banner.inner_text()
    page.screenshot(path=os.path.join(ARTIFACTS, "packing-2-wrong-item.png"), full_page=True)

    scan(page, tee.barcode)
    page.wait_for_selector("#banner.ok")
    scan(page, cup.barcode)
    page.wait_for_function("document.querySelector('#line-%d .packed').textContent === '1'"
                           % shipment.lines.get(order_line__sku=cup.sku).pk)
    scan(page, cup.barcode)  # one too many
    page.locator("#banner.bad").wait_for()
    assert "数量超出" in page.locator("#banner").inner_text()
    scan(page, tee.sku)  # the SKU works when a barcode will not scan
    page.wait_for_selector("#weight:focus")  # everything scanned: the bench asks for the weight
    assert "全部商品已扫描" in page.locator("#banner").inner_text()
    page.screenshot(path=os.path.join(ARTIFACTS, "packing-3-complete.png"), full_page=True)

    page.keyboard.type("1.35")
    page.get_by_role("button", name="打包并打印面单").click()
    page.locator("#labelbox:not([hidden]) iframe").wait_for()
    shipment = Shipment.objects.get(pk=shipment.pk)
    assert shipment.status == ShipmentStatus.PACKED and str(shipment.weight_kg) == "1.350"
    assert shipment.tracking_number in page.locator("#banner").inner_text()
    page.screenshot(path=os.path.join(ARTIFACTS, "packing-4-packed.png"), full_page=True)

    href = page.locator("#labellink").get_attribute("href")
    label = page.request.get(href)
    assert label.ok and label.headers["content-type"] == "application/pdf"
    path = os.path.join(ARTIFACTS, "packing-label.pdf")
    with open(path, "wb") as out:
        out.write(label.body())
    subprocess.run(["pdftoppm", "-png", "-r", "110", path, path[:-4]], check=True)
    assert os.path.exists(path[:-4] + "-1.png")
