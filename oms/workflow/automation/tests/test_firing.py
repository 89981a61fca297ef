"""Rules at each wired trigger, each action, the approval by a role, versions, the cache."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from core.errors import PermissionDenied
from finance.tests.factories import make_order
from oms.workflow.automation.models import RuleFiring, RuleVersion
from oms.workflow.automation.services import rule_restore, rule_save
from oms.workflow.automation.tests.helpers import make_rule
from oms.workflow.intake import intake_order
from oms.workflow.payments import receive_payment
from oms.workflow.services import approve_order, submit_order
from orders import services as order_services
from orders.models import OrderStatus, PaymentMethod
from orders.tests.factories import order_input

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]

HOLD = [{"type": "hold", "params": {"reason": "大额抖音单人工核对"}}]
NOTIFY = [{"type": "notify", "params": {"message": "订单 {number} 金额 ¥{total}", "channel": "console"}}]


def douyin_xinjiang(total="3000.00"):
    return order_input(channel_code="douyin", province="新疆", city="乌鲁木齐市",
                       lines=[(ProductFactory(), 1, total)], shipping_fee="0.00")


def firings(order):
    return list(RuleFiring.objects.filter(order=order).values_list("rule__name", "trigger", "version"))


def test_created_hold_joins_the_review_and_is_recorded():
    rule = make_rule(name="抖音新疆大单", condition='channel == "douyin" and province =~ "^新疆" and amount > 2000',
                     actions=HOLD)
    order = submit_order(data=douyin_xinjiang(), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.ON_HOLD
    assert order.hold_reasons == ["automation_hold"]
    assert firings(order) == [("抖音新疆大单", "created", 1)]
    firing = RuleFiring.objects.get(order=order)
    assert firing.actions == [{"type": "hold", "params": HOLD[0]["params"], "outcome": "held"}]
    event = order.events.get(kind="automation")
    assert event.data["rule"] == rule.pk and event.data["rule_version"] == 1
    assert "抖音新疆大单" in event.message
    held = order.events.get(kind="held")
    assert "大额抖音单人工核对" in held.message


def test_created_condition_not_met_does_nothing():
    make_rule(condition='channel == "douyin" and amount > 2000', actions=HOLD)
    order = submit_order(data=douyin_xinjiang(total="1999.00"), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert firings(order) == []


def test_require_approval_by_a_role_through_the_intake(reviewer, manager):
    make_rule(condition='channel == "douyin" and province =~ "^新疆" and amount > 2000',
              actions=[{"type": "require_approval", "params": {"role": "manager"}}])
    order = intake_order(data=douyin_xinjiang(), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.ON_HOLD
    assert order.hold_reasons == ["automation_approval"]
    with pytest.raises(PermissionDenied):
        approve_order(order=order, actor=reviewer, comment="看过了")
    manager.user_permissions.add(*reviewer.groups.get().permissions.all())
    approved = approve_order(order=order, actor=manager, comment="经理同意")
    assert approved.status == OrderStatus.AWAITING_PAYMENT


def test_reviewed_trigger_notifies_on_the_timeline():
    make_rule(trigger="reviewed", actions=NOTIFY)
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert firings(order) == [("测试规则", "reviewed", 1)]
    texts = list(order.events.filter(kind="automation").values_list("message", flat=True))
    assert any(f"订单 {order.number} 金额 ¥{order.total}" in text for text in texts)


def test_paid_trigger_can_hold_the_paid_order():
    make_rule(trigger="paid", condition="amount >= 408", actions=HOLD)
    order = make_order()
    order = receive_payment(order=order, amount="408.00", method=PaymentMethod.BANK_TRANSFER, source="manual",
                            reference="B1", allow_partial=True, actor=SYSTEM)
    assert order.status == OrderStatus.ON_HOLD
    assert order.hold_reasons == ["automation_hold"]
    assert firings(order) == [("测试规则", "paid", 1)]


def test_shipped_completed_and_the_hold_that_cannot_apply():
    make_rule(name="发货", trigger="shipped", actions=[*HOLD, *NOTIFY])
    make_rule(name="完成", trigger="completed", actions=NOTIFY)
    order = make_order(cod=True)
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    order = order_services.order_ship(order=order, fully=True, actor=SYSTEM, message="已发货")
    assert order.status == OrderStatus.SHIPPED  # a shipped order cannot be held: the hold is skipped
    done = RuleFiring.objects.get(order=order, trigger="shipped").actions
    assert [d["outcome"] for d in done] == ["skipped", "sent"]
    order = order_services.order_complete(order=order, actor=SYSTEM, message="已签收")
    assert [f[:2] for f in firings(order)] == [("完成", "completed"), ("发货", "shipped")]


def test_cancelled_trigger():
    make_rule(trigger="cancelled", actions=NOTIFY)
    order = make_order()
    order_services.order_cancel(order=order, reason="客户取消", actor=SYSTEM)
    assert firings(order) == [("测试规则", "cancelled", 1)]


def test_tag_and_priority_are_set_on_the_order():
    make_rule(trigger="reviewed", actions=[{"type": "set_tag", "params": {"tag": "大客户"}},
                                           {"type": "set_priority", "params": {"priority": 1}}])
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    done = RuleFiring.objects.get(order=order).actions
    assert [(d["type"], d["outcome"]) for d in done] == [("set_tag", "done"), ("set_priority", "done")]
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.priority == 1 and list(order.tags.values_list("name", flat=True)) == ["大客户"]


def test_disabled_and_out_of_period_rules_do_not_fire():
    make_rule(name="关", enabled=False, actions=HOLD)
    make_rule(name="未开始", active_from=timezone.now() + timedelta(days=1), actions=HOLD)
    make_rule(name="已过期", active_from=timezone.now() - timedelta(days=2),
              active_to=timezone.now() - timedelta(days=1), actions=HOLD)
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert firings(order) == []


def test_priority_orders_the_firings():
    make_rule(name="后", priority=20, trigger="reviewed", actions=NOTIFY)
    make_rule(name="先", priority=10, trigger="reviewed", actions=NOTIFY)
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    assert [name for name, *_ in RuleFiring.objects.filter(order=order).order_by("pk")
            .values_list("rule__name")] == ["先", "后"]


def test_a_change_is_seen_by_the_next_order_and_versions_restore(make_user):
    admin = make_user("boss", is_superuser=True)
    rule = make_rule(actor=admin, condition="amount > 100000", actions=HOLD)
    assert submit_order(data=order_input(), payment=None, actor=SYSTEM).status == OrderStatus.AWAITING_PAYMENT
    rule.condition = "amount > 100"
    rule_save(rule=rule, actor=admin)  # version 2: the cache is invalidated
    assert submit_order(data=order_input(), payment=None, actor=SYSTEM).status == OrderStatus.ON_HOLD
    assert list(rule.versions.values_list("number", "snapshot__condition", "created_by__username")) == [
        (2, "amount > 100", "boss"), (1, "amount > 100000", "boss")]
    restored = rule_restore(version=RuleVersion.objects.get(rule=rule, number=1), actor=admin)
    assert (restored.version, restored.condition) == (3, "amount > 100000")
    assert rule.versions.get(number=3).note
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_PAYMENT


def test_firing_records_the_version_that_fired():
    rule = make_rule(trigger="reviewed", actions=NOTIFY)
    rule.name = "改名"
    rule_save(rule=rule, actor=None)
    order = submit_order(data=order_input(lines=[(ProductFactory(), 1, "10.00")]), payment=None, actor=SYSTEM)
    assert firings(order) == [("改名", "reviewed", 2)]
    assert order.total == Decimal("20.00")
