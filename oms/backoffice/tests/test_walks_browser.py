"""Each role from login to its daily job in Chromium, through the navigation only (no typed URLs
after the login page): the warehouse on a 412 px handheld, the office roles at 1366 px.

Screenshots go to test-artifacts/walk-*.png so people can look at them after a run.
"""

import os
import re

import pytest

from aftersales.tests.factories import delivered_order, request_for
from core.enums import Role
from logistics.models import Shipment, ShipmentStatus
from logistics.tests.factories import product, released_order
from oms.workflow.tests.factories import held_for_address
from orders.models import OrderStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "test-artifacts")


def shot(page, name):
    path = os.path.abspath(os.path.join(ARTIFACTS, f"walk-{name}.png"))
    page.screenshot(path=path, full_page=True)
    return path


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_warehouse_clerk_on_a_handheld_waves_packs_and_prints(browser_page, login, make_user):
    page = browser_page
    page.set_viewport_size({"width": 412, "height": 915})
    make_user("picker", Role.WAREHOUSE, is_staff=True)
    tee = product("SKU-TEE", barcode="6901234567892", name="纯棉T恤")
    order = released_order([(tee, 2, "79.00")])

    login("picker")
    assert page.url.endswith("/")
    assert page_width(page) <= 412
    shot(page, "warehouse-1-home")
    page.locator('[data-queue="to-pick"]').click()  # 待建波次
    page.get_by_role("button", name="显示发货单").click()
    page.wait_for_load_state("networkidle")
    assert order.number in page.content()
    shot(page, "warehouse-2-waves")
    page.get_by_role("button", name=re.compile("开始波次")).click()
    page.wait_for_url(re.compile(r"/logistics/waves/W"))
    shipment = Shipment.objects.get(order=order)
    page.get_by_role("link", name=shipment.number).click()
    page.wait_for_selector("#scan:focus")
    assert page_width(page) <= 412
    for _ in range(2):
        page.keyboard.type(tee.barcode)
        page.keyboard.press("Enter")
        page.wait_for_selector("#banner.ok")
    page.wait_for_selector("#weight:focus")
    shot(page, "warehouse-3-scanned")
    page.keyboard.type("0.8")
    button = page.get_by_role("button", name="打包并打印面单")
    assert button.bounding_box()["height"] >= 36 and button.bounding_box()["width"] >= 300
    button.click()
    page.locator("#labelbox:not([hidden]) iframe").wait_for()
    assert page_width(page) <= 412
    shot(page, "warehouse-4-packed")
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.PACKED

    page.locator('[data-nav-group="warehouse"] summary').click()
    page.locator('[data-nav="shipments"]').click()
    page.wait_for_load_state("networkidle")
    assert page_width(page) <= 412  # the table scrolls inside its card
    shot(page, "warehouse-5-shipments")


def test_reviewer_finds_the_held_order_from_home_and_approves_it(browser_page, login, make_user):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    make_user("reviewer", Role.REVIEWER, is_staff=True)
    order = held_for_address(customer_name="李娜", recipient="李娜")

    login("reviewer")
    shot(page, "reviewer-1-home")
    page.locator('[data-queue="held-unassigned"]').click()
    page.get_by_role("link", name=order.number).click()
    page.fill("#approve-comment", "已电话核实地址")
    page.get_by_role("button", name="审核通过").click()
    page.wait_for_load_state("networkidle")
    shot(page, "reviewer-2-approved")
    order.refresh_from_db()
    assert order.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD)
    page.get_by_role("link", name=order.number).first.click()  # the number links to the order page
    page.wait_for_selector("#flow-info")
    shot(page, "reviewer-3-order-page")


def test_customer_service_finds_an_order_by_the_last_four_digits_and_sees_its_three_flows(
        browser_page, login, make_user):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    make_user("cs", Role.CUSTOMER_SERVICE, is_staff=True)
    order = delivered_order(customer_name="欧阳娜娜", customer_phone="13955556789", recipient_phone="13955556789")

    login("cs")
    page.fill(".globalsearch input", "6789")
    page.keyboard.press("Enter")
    page.wait_for_selector("#flow-goods")
    assert order.number in page.locator("#order-number").inner_text()
    for flow in ("info", "funds", "goods"):
        assert page.locator(f'#timeline [data-flow="{flow}"]').count() >= 1
    shot(page, "cs-order-page")
    page.get_by_role("link", name="新建售后申请").click()
    page.wait_for_load_state("networkidle")
    assert order.number in page.content()
    shot(page, "cs-new-aftersales")


def test_aftersales_and_finance_reach_their_queues_from_home(browser_page, login, make_user):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    make_user("as", Role.AFTERSALES, is_staff=True)
    make_user("fin", Role.FINANCE, is_staff=True)
    order = delivered_order()
    rma = request_for(order)

    login("as")
    page.locator('[data-queue="returns-to-decide"]').click()
    page.get_by_role("link", name=rma.number).click()
    page.wait_for_load_state("networkidle")
    shot(page, "aftersales-request")

    page.get_by_role("button", name=re.compile("退出")).click()
    login("fin")
    shot(page, "finance-1-home")
    page.locator('[data-nav-group="finance"] summary').click()
    page.locator('[data-nav="print-centre"]').click()
    page.wait_for_load_state("networkidle")
    shot(page, "finance-2-print-centre")
    page.get_by_role("link", name=order.number).first.click()
    page.get_by_role("link", name="资金与发票").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/finance/orders/{order.number}/")
    shot(page, "finance-3-funds")


def test_manager_goes_from_a_report_figure_to_the_order_and_its_three_flows(browser_page, login, make_user):
    from oms.reports.rollups import rollups_rebuild

    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    make_user("boss", Role.MANAGER, is_staff=True)
    order = delivered_order(customer_name="王经理的客户")
    rollups_rebuild()

    login("boss")
    assert page_width(page) <= 1366
    shot(page, "manager-1-home")
    page.locator('[data-nav="reports"]').click()
    page.get_by_role("link", name="销售分析").click()
    page.wait_for_load_state("networkidle")
    shot(page, "manager-2-sales")
    page.locator("#sum-revenue").click()  # the figure opens the orders behind it
    page.wait_for_selector("#drill-orders")
    shot(page, "manager-3-drill")
    page.locator("#drill-orders").get_by_role("link", name=order.number).click()
    page.wait_for_selector("#flow-goods")  # the order page, not the admin's read-only form
    assert order.number in page.locator("#order-number").inner_text()
    for flow in ("info", "funds", "goods"):
        assert page.locator(f'#timeline [data-flow="{flow}"]').count() >= 1
    shot(page, "manager-4-order-page")


def test_administrator_reaches_rules_and_users_from_home_and_comes_back(browser_page, login, make_user):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    make_user("root", Role.ADMIN, is_staff=True)

    login("root")
    shot(page, "admin-1-home")
    nav = page.locator("header nav, .topnav, nav").first
    assert nav.bounding_box()["height"] <= 60  # one line of navigation, not wrapped
    page.locator('[data-nav-group="admin"] summary').click()  # the administration menu
    page.locator('[data-nav="admin"]').click()
    page.wait_for_load_state("networkidle")
    shot(page, "admin-2-index")
    for section, name in (("审核规则", "review-rules"), ("自动化规则", "automation-rules"), ("用户", "users")):
        page.locator("#content-main").get_by_role("link", name=section, exact=True).click()
        page.wait_for_load_state("networkidle")
        assert "Select" not in page.locator("#content").inner_text()
        shot(page, f"admin-3-{name}")
        page.locator("#content-main tbody tr th a, #result_list tbody a").first.click()
        page.wait_for_load_state("networkidle")
        shot(page, f"admin-4-{name}-change")
        page.get_by_role("link", name="首页", exact=True).first.click()  # the admin's breadcrumb
        page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="查看站点").click()
    page.wait_for_load_state("networkidle")
    assert page.locator('[data-nav="admin"]').count() == 1  # back on the back office home
    shot(page, "admin-5-back-home")
