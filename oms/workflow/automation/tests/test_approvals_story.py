"""Issue 19's story in Chromium (Chinese UI, 1366 px): an administrator builds "抖音渠道、新疆、金额超过
¥2,000 需经理审批" with the condition builder, replays it over last month's orders, switches it on; the
next such order waits in the manager's approvals inbox; the manager finds it from the home page and
approves it with a comment; the order moves on.

Screenshots: test-artifacts/approvals-*.png.
"""

import os
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from core.enums import Role
from oms.workflow.automation.approval_models import ApprovalRequest
from oms.workflow.automation.models import AutomationRule
from oms.workflow.services import submit_order
from orders.models import Order, OrderStatus
from orders.tests.factories import order_input

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("stock_everything")]

ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "test-artifacts")
RULE = "抖音渠道、新疆、金额超过 ¥2,000 需经理审批"
CONDITION = 'channel == "douyin" and province =~ "^新疆" and amount > 2000'
ACTIONS = '[{"type": "require_approval", "params": {"reason": "抖音新疆大额订单", "levels": [{"role": "manager"}]}}]'


def shot(page, name):
    path = os.path.abspath(os.path.join(ARTIFACTS, f"approvals-{name}.png"))
    page.screenshot(path=path, full_page=True)
    return path


def an_order(channel, province, city, total, *, days_ago, actor=SYSTEM):
    order = submit_order(data=order_input(channel_code=channel, province=province, city=city,
                                          lines=[(ProductFactory(), 1, total)], shipping_fee="0.00"),
                         payment=None, actor=actor)
    if days_ago:
        Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return order


def last_months_orders():
    """Demo-like orders over the last 40 days: three match (Douyin, 新疆, over ¥2,000, this month)."""
    matching = [an_order("douyin", "新疆", "乌鲁木齐市", "2500.00", days_ago=3),
                an_order("douyin", "新疆维吾尔自治区", "喀什市", "3200.00", days_ago=12),
                an_order("douyin", "新疆", "伊宁市", "8800.00", days_ago=27)]
    an_order("douyin", "新疆", "乌鲁木齐市", "1999.00", days_ago=5)  # not over ¥2,000
    an_order("douyin", "广东", "深圳市", "5000.00", days_ago=8)  # not 新疆
    an_order("tmall", "新疆", "乌鲁木齐市", "6000.00", days_ago=9)  # not Douyin
    an_order("jd", "浙江", "杭州市", "120.00", days_ago=2)
    an_order("douyin", "新疆", "乌鲁木齐市", "9000.00", days_ago=40)  # before the last 30 days
    return matching


def test_administrator_builds_replays_and_switches_on_the_rule_then_the_manager_approves(
        browser_page, login, make_user):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    make_user("admin1", Role.ADMIN, is_staff=True)
    manager = make_user("manager1", Role.MANAGER, is_staff=True, first_name="王经理")
    clerk = make_user("clerk1", Role.CUSTOMER_SERVICE, is_staff=True)
    matching = last_months_orders()
    assert all(o.status == OrderStatus.AWAITING_PAYMENT for o in matching)

    # 1. The administrator reaches the rules through the navigation.
    login("admin1")
    shot(page, "1-admin-home")
    page.locator('[data-nav-group="admin"] summary').click()  # the administration menu
    page.locator('[data-nav="admin"]').click()
    page.locator('a[href$="/admin/workflow/automationrule/"]').first.click()
    page.wait_for_url(re.compile(r"/admin/workflow/automationrule/$"))
    page.locator(".object-tools a.addlink").click()
    page.wait_for_selector("#rule-builder")

    # 2. The condition with the builder: three rows, all of them.
    page.fill("#id_name", RULE)
    page.select_option("#id_trigger", "created")
    for field, operator, value in (("channel", "==", "douyin"), ("province", "starts", "新疆"),
                                   ("amount", ">", "2,000")):
        page.locator(".rb-add").click()
        row = page.locator(".rb-row").last
        row.locator(".rb-field").select_option(field)
        row = page.locator(".rb-row").last  # the row is redrawn for the field's operators
        row.locator(".rb-op").select_option(operator)
        row.locator(".rb-value").fill(value)
    assert page.input_value("#id_condition") == CONDITION
    page.fill("#id_actions", ACTIONS)
    shot(page, "2-builder")
    page.locator('input[name="_save"]').click()
    page.wait_for_url(re.compile(r"/admin/workflow/automationrule/$"))
    rule = AutomationRule.objects.get(name=RULE)
    assert (rule.condition, rule.enabled, rule.version) == (CONDITION, False, 1)

    # 3. Replay over the last 30 days: three orders would have gone to approval.
    page.locator("tr", has_text=RULE).get_by_role("link", name="回放").click()
    page.fill('input[name="days"]', "30")
    page.locator('form input[type="submit"]').first.click()
    page.wait_for_load_state("networkidle")
    body = page.locator("#content").inner_text()
    shot(page, "3-replay")
    total = sum(Decimal(o.total) for o in matching)
    assert re.search(rf"将转审批\s+3\s+¥{total:,.2f}", body), body
    for order in matching:
        assert order.number in body

    # 4. Switch it on (a second version).
    page.get_by_role("link", name="返回规则").click()
    page.wait_for_selector("#rule-builder")
    assert page.locator(".rb-row").count() == 3  # the saved expression is shown in the builder again
    page.check("#id_enabled")
    page.locator('input[name="_save"]').click()
    page.wait_for_url(re.compile(r"/admin/workflow/automationrule/$"))
    rule.refresh_from_db()
    assert (rule.enabled, rule.version) == (True, 2)
    shot(page, "4-enabled")

    # 5. An order like that arrives (the clerk submits it): held, waiting for a manager.
    order = an_order("douyin", "新疆", "乌鲁木齐市", "2600.00", days_ago=0, actor=clerk)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD and order.hold_reasons == ["automation_approval"]
    request = ApprovalRequest.objects.get(order=order)
    assert (request.rule_version, request.submitted_by_id) == (2, clerk.pk)

    # 6. The manager finds it from the home page, approves with a comment.
    page.context.clear_cookies()
    login("manager1")
    tile = page.locator('[data-queue="approvals-mine"]')
    assert tile.locator(".queue-count").inner_text().strip() == "1"
    shot(page, "5-manager-home")
    tile.click()
    page.wait_for_selector(f'[data-order="{order.number}"]')
    assert "审批待办" in page.locator("h1").inner_text()
    shot(page, "6-inbox")
    task = request.tasks.get()
    page.fill(f"#approve-comment-{task.pk}", "已核实客户，同意发货")
    page.locator(f"#approval-{task.pk} .approve-form button").click()
    page.wait_for_load_state("networkidle")
    shot(page, "7-approved")
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert "没有等待你审批的订单" in page.content()

    # 7. The order page: the decision on the timeline with the rule and its version.
    page.goto(f"/orders/{order.number}/")
    page.wait_for_load_state("networkidle")
    text = page.content()
    assert "王经理 同意第 1 级审批" in text and "第 2 版" in text and "已核实客户，同意发货" in text
    shot(page, "8-order-timeline")
    assert manager.pk != clerk.pk


def test_the_builder_leaves_what_it_cannot_show_as_text_and_the_server_shows_the_mistake(
        browser_page, login, make_user):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    make_user("admin1", Role.ADMIN, is_staff=True)
    login("admin1")
    page.goto("/admin/workflow/automationrule/add/")
    page.wait_for_selector("#rule-builder")
    page.fill("#id_condition", '(amount > 100 or is_cod) and channel == "jd"')
    assert page.locator("#rule-builder").is_hidden() and page.locator(".rb-cannot").is_visible()
    page.fill("#id_condition", 'channel == "jd" or not is_cod or "SKU-1" in skus')  # representable again
    assert page.locator(".rb-row").count() == 3
    assert page.locator(".rb-joiner").input_value() == "or"
    assert [page.locator(".rb-op").nth(i).input_value() for i in range(3)] == ["==", "false", "has"]
    page.fill("#id_condition", "amount >")
    page.fill("#id_name", "坏规则")
    page.select_option("#id_trigger", "created")
    page.locator('input[name="_save"]').click()
    page.wait_for_selector(".errorlist")
    errors = page.locator(".field-condition .errorlist").inner_text()
    assert "语法错误" in errors and "第 9 个字符处" in errors, errors
    assert page.input_value("#id_condition") == "amount >"  # kept as typed, still editable
    shot(page, "9-builder-mistake")
    assert not AutomationRule.objects.filter(name="坏规则").exists()
