"""Trying rules before switching them on: the dry run and the replay write nothing; the admin pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from oms.workflow.automation.engine import dry_run, replay
from oms.workflow.automation.models import AutomationRule, RuleFiring, RuleVersion
from oms.workflow.automation.tests.helpers import make_rule
from oms.workflow.services import submit_order
from orders.models import Order, OrderEvent, OrderStatus
from orders.tests.factories import order_input

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]

SEEDED = "抖音新疆 2000 元以上订单需经理审批"


def douyin_xinjiang(total):
    return order_input(channel_code="douyin", province="新疆维吾尔自治区", city="乌鲁木齐市",
                       lines=[(ProductFactory(), 1, total)], shipping_fee="0.00")


def test_seeded_rule_is_switched_off_and_versioned():
    rule = AutomationRule.objects.get(name=SEEDED)
    assert not rule.enabled and rule.trigger == "created"
    assert RuleVersion.objects.filter(rule=rule, number=1).exists()
    order = submit_order(data=douyin_xinjiang("3000.00"), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_PAYMENT  # switched off: nothing happens


def test_dry_run_shows_what_would_happen_and_writes_nothing():
    from django.utils import translation

    order = submit_order(data=douyin_xinjiang("3000.00"), payment=None, actor=SYSTEM)
    make_rule(name="不匹配", condition="amount > 999999")
    before = (RuleFiring.objects.count(), OrderEvent.objects.count(), Order.objects.get(pk=order.pk).status)
    with translation.override("zh-hans"):
        results = {r.rule.name: r for r in dry_run(order=order)}
    assert results[SEEDED].matched and not results[SEEDED].active
    assert results[SEEDED].would == ["挂起，等待审批：经理"]
    assert not results["不匹配"].matched and results["不匹配"].would == []
    assert (RuleFiring.objects.count(), OrderEvent.objects.count(), Order.objects.get(pk=order.pk).status) == before
    assert [r.rule.name for r in dry_run(order=order, trigger="paid")] == []


def test_replay_counts_and_amounts_over_the_last_days():
    big1 = submit_order(data=douyin_xinjiang("3000.00"), payment=None, actor=SYSTEM)
    submit_order(data=douyin_xinjiang("2500.00"), payment=None, actor=SYSTEM)
    submit_order(data=douyin_xinjiang("1500.00"), payment=None, actor=SYSTEM)  # under ¥2,000
    submit_order(data=order_input(), payment=None, actor=SYSTEM)  # tmall
    old = submit_order(data=douyin_xinjiang("9000.00"), payment=None, actor=SYSTEM)
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    rule = AutomationRule.objects.get(name=SEEDED)
    before = RuleFiring.objects.count(), OrderEvent.objects.count()
    result = replay(rule=rule, days=30)
    assert (result.orders, result.matched, result.approval, result.held) == (4, 2, 2, 0)
    assert result.approval_amount == result.matched_amount == Decimal("5500.00")
    assert big1.number in result.sample
    assert (RuleFiring.objects.count(), OrderEvent.objects.count()) == before
    hold = make_rule(name="暂挂", enabled=False, condition='channel == "douyin"',
                     actions=[{"type": "hold", "params": {"reason": "核对"}}])
    assert replay(rule=hold, days=60).held == 4


@pytest.fixture
def admin_client_zh(client, make_user):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    return client


def test_admin_refuses_a_bad_condition_with_its_position(admin_client_zh):
    url = reverse("admin:workflow_automationrule_add")
    response = admin_client_zh.post(url, {
        "name": "坏规则", "trigger": "created", "condition": 'channel == "douyin" and amout > 2', "actions": "[]",
        "priority": 100, "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0})
    assert response.status_code == 200
    text = response.content.decode()
    assert "amout" in text and "25" in text  # the unknown field, at character 25
    assert not AutomationRule.objects.filter(name="坏规则").exists()


def test_admin_saves_a_version_and_shows_dry_run_replay_restore(admin_client_zh):
    url = reverse("admin:workflow_automationrule_add")
    response = admin_client_zh.post(url, {
        "name": "好规则", "trigger": "created", "condition": 'channel == "douyin"',
        "actions": '[{"type": "hold", "params": {"reason": "核对"}}]', "priority": 5,
        "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = AutomationRule.objects.get(name="好规则")
    assert rule.version == 1 and rule.versions.count() == 1
    order = submit_order(data=douyin_xinjiang("3000.00"), payment=None, actor=SYSTEM)
    page = admin_client_zh.get(reverse("admin:workflow_automationrule_dry_run"), {"order": order.number})
    assert page.status_code == 200 and "好规则" in page.content.decode()
    page = admin_client_zh.get(reverse("admin:workflow_automationrule_replay", args=[rule.pk]), {"days": 7})
    assert page.status_code == 200 and "¥" in page.content.decode()
    version = rule.versions.get()
    restore = reverse("admin:workflow_automationrule_restore", args=[rule.pk, version.pk])
    assert admin_client_zh.get(restore).status_code == 200
    assert admin_client_zh.post(restore).status_code == 302
    assert AutomationRule.objects.get(pk=rule.pk).version == 2


def test_only_administrators_see_the_rules(client, manager):
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    assert client.get(reverse("admin:workflow_automationrule_changelist")).status_code == 403
    assert client.get(reverse("admin:workflow_automationrule_dry_run")).status_code in (403, 404)
