"""The refund approval in Chromium (Chinese, 1366 px): the funds page with a request waiting, the
director's queue reached from the navigation, and an approval taken there."""

import os
from decimal import Decimal

import pytest

from conftest import ARTIFACTS
from core.enums import Role
from finance.models import RefundApproval
from finance.services import refund_request_manual
from logistics.tests.factories import product, released_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_pending_refund_on_the_funds_page_and_in_the_queue(make_user, browser_page, login, settings):
    settings.OMS_REFUND_APPROVAL_LIMIT = "1000.00"
    clerk = make_user("caiwu", Role.FINANCE, first_name="芳", last_name="王")
    make_user("zongjian", Role.FINANCE_DIRECTOR, is_staff=True)
    order = released_order([(product("SKU-B1", stock=10, name="羊绒围巾"), 2, Decimal("999.00"))],
                           customer_name="李娜")
    other = released_order([(product("SKU-B2", stock=10, name="真丝睡衣"), 3, Decimal("899.00"))],
                           customer_name="赵喆")
    refund_request_manual(order=order, amount="1500.00", reason="围巾起球，顾客同意部分退款", actor=clerk)
    refund_request_manual(order=other, amount="1200.00", reason="尺码不符补偿", actor=clerk)
    os.makedirs(ARTIFACTS, exist_ok=True)
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    login("zongjian")
    page.goto(f"/finance/orders/{order.number}/")
    page.wait_for_selector("#pending-approval-note")
    assert "待审批" in page.inner_text("#refund-approvals + .scroll-x")
    page.screenshot(path=os.path.join(ARTIFACTS, "finance-refund-pending.png"), full_page=True)
    page.locator('[data-nav-group="finance"] summary').click()  # the navigation's entry
    page.locator('[data-nav="refund-approvals"]').click()
    page.wait_for_selector("#refund-approvals-waiting")
    assert page.locator("#refund-approvals-waiting tbody tr").count() == 2
    page.screenshot(path=os.path.join(ARTIFACTS, "finance-refund-approvals.png"), full_page=True)
    row = page.locator(f"#refund-approval-{RefundApproval.objects.get(order=other).pk}")
    row.locator("input[name=comment]").fill("同意")
    row.locator("button.btn-primary").click()
    page.wait_for_selector(".msg-success")
    assert page.locator("#refund-approvals-waiting tbody tr").count() == 1
    assert RefundApproval.objects.get(order=other).status == "approved"
    page.screenshot(path=os.path.join(ARTIFACTS, "finance-refund-approvals-after.png"), full_page=True)
