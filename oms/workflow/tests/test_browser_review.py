"""A reviewer works the queue in Chromium: log in, open an on-hold order, approve it with a comment.

Screenshots (Chinese UI) go to test-artifacts/: review-queue.png, review-detail.png, review-approved.png.
"""

import os

import pytest

from core.enums import Role
from oms.workflow.tests.factories import held_for_address, held_for_large_amount, held_for_payment_mismatch
from orders.models import Order, OrderStatus

# Review reserves stock (inventory's `reserve_stock` step); these tests are about something else, so
# every product made by ProductFactory comes with stock.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("stock_everything")]

ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "test-artifacts")


def shot(page, name):
    path = os.path.abspath(os.path.join(ARTIFACTS, name))
    page.screenshot(path=path, full_page=True)
    return path


def test_reviewer_approves_an_on_hold_order(browser_page, login, make_user):
    page = browser_page
    make_user("reviewer", Role.REVIEWER, is_staff=True)
    held_for_large_amount(channel_code="tmall")
    held_for_payment_mismatch(channel_code="jd")
    order = held_for_address(channel_code="douyin", customer_name="李娜", recipient="李娜",
                             address_detail="测试路1号", note="请尽快发货")
    held_for_address(channel_code="web", customer_phone="13900001111", recipient_phone="13900001111")

    login("reviewer")
    page.goto("/workflow/review/")
    assert page.locator("h1").inner_text() == "审核工作台"
    row = page.locator("table.queue tbody tr", has_text=order.number)
    assert "地址异常" in row.inner_text() and "¥408.00" in row.inner_text()
    assert page.locator("table.queue tbody tr").count() == 4
    shot(page, "review-queue.png")

    row.get_by_role("link", name=order.number).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#order-status").inner_text() == "异常待处理"
    assert "地址异常" in page.locator("section.card-warn").inner_text()
    assert "138****1234" in page.content() and "13812341234" not in page.content()
    shot(page, "review-detail.png")

    page.fill("#approve-comment", "已与客户电话确认地址无误")
    page.locator("#approve-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    status = page.locator("#order-status")
    assert status.get_attribute("data-status") == OrderStatus.AWAITING_PAYMENT
    assert status.inner_text() == "待付款"
    assert "已审核通过" in page.locator(".messages").inner_text()
    assert "已与客户电话确认地址无误" in page.locator(".timeline").inner_text()
    shot(page, "review-approved.png")

    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.events.get(kind="approved").actor.username == "reviewer"
    assert Order.objects.filter(status=OrderStatus.ON_HOLD).count() == 3


def test_finance_director_approves_a_large_order_from_the_admin(browser_page, login, make_user):
    page = browser_page
    make_user("director", Role.REVIEWER, Role.FINANCE_DIRECTOR, is_staff=True)
    order = held_for_large_amount(channel_code="tmall")
    held_for_address(channel_code="jd")

    login("director")
    page.goto("/admin/orders/order/")
    assert "¥60,000.00" in page.locator("#result_list").inner_text()
    assert "138****1234" in page.locator("#result_list").inner_text()  # no PII permission
    shot(page, "admin-order-list.png")

    page.get_by_role("link", name=order.number).click()
    page.wait_for_load_state("networkidle")
    assert "大额订单" in page.locator("#content-main").inner_text()
    shot(page, "admin-order-change.png")

    page.locator(".object-tools a", has_text="审核通过").click()
    page.fill("textarea[name=comment]", "大客户年度采购，已核实")
    shot(page, "admin-order-approve.png")
    page.locator("input[type=submit][name=_confirm]").click()
    page.wait_for_load_state("networkidle")
    assert "待发货" in page.locator(".messagelist").inner_text()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_SHIPMENT
