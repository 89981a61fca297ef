"""An administrator in Chromium (Chinese UI, 1366 px): from the rules' list to the process map drawn by
the vendored ECharts, and a rule's versions with their differences. Screenshots in test-artifacts/."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from conftest import ARTIFACTS
from core.enums import Role
from oms.workflow.automation.services import rule_save
from oms.workflow.automation.tests.helpers import make_rule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def close_playwright_context_connection(browser_page):
    yield
    connection.close()


def shot(page, name):
    page.screenshot(path=os.path.join(ARTIFACTS, f"automation-{name}.png"), full_page=True)


def test_administrator_opens_the_process_map_and_a_rules_versions(browser_page, login, make_user,
                                                                   close_playwright_context_connection):
    make_user("root", Role.ADMIN, is_staff=True)
    big = make_rule(name="大额订单财务总监审批", condition="amount > 50000",
                    actions=[{"type": "require_approval", "params": {"role": "finance_director"}}])
    make_rule(name="需质检商品人工核对", trigger="paid", condition="needs_qc",
              actions=[{"type": "hold", "params": {"reason": "质检"}}])
    make_rule(name="发货短信", trigger="shipped",
              actions=[{"type": "notify", "params": {"message": "订单 {number} 已发货", "channel": "console"}}])
    make_rule(name="待付款超 24 小时提醒", trigger="stalled", stalled_state="awaiting_payment", stalled_hours=24,
              actions=[{"type": "notify", "params": {"message": "订单 {number} 久未付款"}}])
    big.condition = 'amount > 50000 and channel != "store"'
    big.actions = [*big.actions, {"type": "notify", "params": {"message": "大单 {number}"}}]
    rule_save(rule=big, actor=None, note="门店订单除外")

    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    login("root")
    page.goto("/admin/workflow/automationrule/")
    page.click("text=流程图")
    page.wait_for_selector("#process-map canvas")
    page.wait_for_function("document.getElementById('process-map').chart !== undefined")
    assert "订单的状态与流转" in page.inner_text("#content")
    shot(page, "process-map")

    page.goto(f"/admin/workflow/automationrule/{big.pk}/change/")
    page.click("text=版本与差异")
    page.wait_for_selector("#version-2")
    text = page.inner_text("#version-2")
    assert "门店订单除外" in text and "新增" in text
    shot(page, "versions")
    page.click("#version-1 input[type=submit]")
    page.wait_for_selector("#version-3")
    assert "恢复自版本 1" in page.inner_text("#version-3")
