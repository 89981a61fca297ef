"""The replay judges each order as at the trigger where the order keeps the fact, else as now."""

import pytest
from django.urls import reverse

from core.actors import SYSTEM
from finance.tests.factories import make_order
from oms.workflow.automation.engine import replay
from oms.workflow.automation.models import AutomationRule
from oms.workflow.services import submit_order
from orders import services as order_services
from orders.models import OrderStatus
from orders.tests.factories import order_input

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]

NOTIFY = [{"type": "notify", "params": {"message": "订单 {number}"}}]


def rule(**fields):
    return AutomationRule(name="回放", enabled=False, actions=NOTIFY, **fields)


def test_created_is_judged_in_review_whatever_the_status_now():
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_PAYMENT
    result = replay(rule=rule(trigger="created", condition='status == "pending_review"'), days=1)
    assert (result.orders, result.matched, result.not_reached) == (1, 1, 0)
    assert ("status", "trigger") in result.basis and ("amount", "arrived") in result.basis


def test_only_orders_the_trigger_happened_to_are_counted():
    shipped = order_services.order_ship(order=make_order(cod=True), fully=True, actor=SYSTEM, message="已发货")
    make_order()  # still awaiting payment: never shipped
    result = replay(rule=rule(trigger="shipped", condition='status == "shipped"'), days=1)
    assert (result.orders, result.matched, result.not_reached) == (1, 1, 1)
    assert result.sample == [shipped.number]
    order_services.order_complete(order=shipped, actor=SYSTEM, message="已签收")
    # Completed now, but judged as it was when it shipped.
    assert replay(rule=rule(trigger="shipped", condition='status == "shipped"'), days=1).matched == 1


def test_other_triggers_are_judged_as_now_and_say_so():
    submit_order(data=order_input(), payment=None, actor=SYSTEM)
    result = replay(rule=rule(trigger="reviewed", condition='status == "awaiting_payment"'), days=1)
    assert (result.orders, result.matched) == (1, 1)
    assert ("status", "now") in result.basis and ("paid_amount", "now") in result.basis


def test_the_page_shows_the_basis(client, make_user):
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    saved = AutomationRule.objects.first()
    page = client.get(reverse("admin:workflow_automationrule_replay", args=[saved.pk]), {"days": 7})
    text = page.content.decode()
    assert page.status_code == 200 and "<code>paid_amount</code>" in text and "按当前" in text
