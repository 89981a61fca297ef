"""Issue 19's steps: the triggers the stages cause (delivered, shipment planned, return requested,
refunded), the actions that do something (tag, priority, assignment, SMS / e-mail, CRM, signed
webhook, survey, QC) and the seeded default rules. Each firing records the rule's version and
appears on the timeline; the three flows stay clean."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from aftersales.tests.factories import delivered_order, request_for, ship_all
from core.actors import SYSTEM
from core.enums import Role
from core.errors import ValidationFailed
from finance.services import refund_record_external
from finance.tests.factories import assert_ledger_ok
from logistics.services import shipment_confirm_delivery, shipment_track
from logistics.tests.factories import ACTOR, product, released_order, shipments_of
from oms.integrations import outbox, signing
from oms.integrations.models import (
    CrmEndpoint,
    OutboundEndpoint,
    OutboxMessage,
    WebhookEvent,
    WebhookKind,
    WebhookSubscription,
)
from oms.workflow.automation.actions import clean_actions
from oms.workflow.automation.models import AutomationRule, RuleFiring, SatisfactionSurvey
from oms.workflow.automation.services import rule_save
from oms.workflow.automation.tests.helpers import make_rule
from orders.models import Order, OrderPriority

pytestmark = pytest.mark.django_db

NOTE = [{"type": "notify", "params": {"message": "订单 {number}"}}]


def fired(order, trigger):
    """The firing of `trigger` on `order`, checked to be on the timeline with the rule's version."""
    firing = RuleFiring.objects.get(order=order, trigger=trigger)
    entry = order.events.filter(kind="automation", data__trigger=trigger).get()
    assert entry.data["rule"] == firing.rule_id and entry.data["rule_version"] == firing.version
    assert f"（版本 {firing.version}）" in entry.message or f"version {firing.version}" in entry.message
    return firing


def flows_clean(capsys):
    call_command("check_stock")
    assert "no drift" in capsys.readouterr().out
    assert_ledger_ok()


def shipped_order(**kwargs):
    order = released_order([(product(stock=10, **kwargs), 1, Decimal("199.00"))])
    return ship_all(order)


# -- triggers -------------------------------------------------------------------------------------------------
def test_delivered_by_the_carrier_fires_before_the_completion(capsys):
    make_rule(name="签收", trigger="delivered", actions=NOTE)
    rule = AutomationRule.objects.get(name="签收")
    rule.condition = "amount > 0"
    rule_save(rule=rule, actor=None)  # version 2 fires
    order = shipped_order()
    shipment = shipments_of(order)[0]
    from django.utils import timezone

    outcome = shipment_track(shipment=shipment, status="delivered", occurred_at=timezone.now(), actor=ACTOR,
                             source="trk-1")
    assert outcome.order_completed
    firing = fired(order, "delivered")
    assert firing.version == 2
    # the rule ran when the parcel was delivered, before the order completed
    completion = order.events.filter(kind="status_changed").order_by("-pk").first()
    assert "completed" in json.dumps(completion.data)
    assert order.events.get(kind="automation", data__trigger="delivered").pk < completion.pk
    flows_clean(capsys)


def test_delivery_confirmed_by_hand_fires_the_rule_and_the_outbound_webhook(capsys):
    WebhookSubscription.objects.create(name="ERP", url="https://erp.example/hooks", secret="s3cret",
                                       events=[WebhookEvent.ORDER_DELIVERED, WebhookEvent.ORDER_COMPLETED])
    make_rule(trigger="delivered", actions=NOTE)
    order = shipped_order()
    shipment = shipments_of(order)[0]
    outcome = shipment_confirm_delivery(shipment=shipment, note="客户来电确认已收到", actor=ACTOR)
    assert outcome.created and outcome.order_completed
    assert outcome.event.source == f"manual:{shipment.number}"
    fired(order, "delivered")
    topics = list(OutboxMessage.objects.filter(kind=WebhookKind.WEBHOOK, order_number=order.number)
                  .order_by("pk").values_list("topic", flat=True))
    assert topics == ["order.delivered", "order.completed"]  # delivered first, once
    # confirming twice changes nothing and sends nothing again
    again = shipment_confirm_delivery(shipment=shipment, actor=ACTOR)
    assert not again.created
    assert OutboxMessage.objects.filter(topic="order.delivered", order_number=order.number).count() == 1
    assert RuleFiring.objects.filter(order=order, trigger="delivered").count() == 1
    flows_clean(capsys)


def test_the_carrier_webhook_still_sends_order_delivered_once():
    """The carrier's path now reaches `order.delivered` through the same hook (no second call)."""
    from oms.integrations.shipping import handle_carrier

    WebhookSubscription.objects.create(name="ERP", url="https://erp.example/hooks", secret="s3cret",
                                       events=[WebhookEvent.ORDER_DELIVERED])
    order = shipped_order()
    shipment = shipments_of(order)[0]
    from types import SimpleNamespace

    from django.utils import timezone

    handle_carrier(SimpleNamespace(sender=shipment.carrier), {
        "event_id": "c-1", "tracking_number": shipment.tracking_number, "status": "delivered",
        "occurred_at": timezone.now(), "location": "", "description": "已签收"}, ACTOR)
    message = OutboxMessage.objects.get(topic="order.delivered", order_number=order.number)
    assert message.payload["data"]["shipment"]["number"] == shipment.number


def test_shipment_planned_fires_when_shipments_are_created():
    make_rule(trigger="shipment_planned", actions=[{"type": "set_tag", "params": {"tag": "已排产"}}])
    order = released_order([(product(stock=10), 1, Decimal("99.00"))])
    assert shipments_of(order)
    firing = fired(order, "shipment_planned")
    assert firing.actions[0]["outcome"] == "done"
    assert list(Order.objects.get(pk=order.pk).tags.values_list("name", flat=True)) == ["已排产"]


def test_return_requested_fires(capsys):
    make_rule(trigger="return_requested", actions=[{"type": "set_priority", "params": {"priority": 1}}])
    order = delivered_order()
    request_for(order)
    fired(order, "return_requested")
    assert Order.objects.get(pk=order.pk).priority == OrderPriority.HIGH
    flows_clean(capsys)


def test_refunded_fires(capsys):
    make_rule(trigger="refunded", actions=[{"type": "assign", "params": {"team": Role.AFTERSALES}}])
    order = released_order([(product(stock=10), 1, Decimal("199.00"))])
    refund_record_external(order=order, amount="10.00", provider="alipay", transaction_id="RF-1", actor=SYSTEM)
    fired(order, "refunded")
    assert Order.objects.get(pk=order.pk).assigned_team == Role.AFTERSALES
    flows_clean(capsys)


# -- actions -----------------------------------------------------------------------------------------------------
def test_tag_priority_and_assignment_are_real(make_user):
    clerk = make_user("kefu01", Role.CUSTOMER_SERVICE)
    make_rule(trigger="shipment_planned", actions=[
        {"type": "set_tag", "params": {"tag": "大客户"}},
        {"type": "set_priority", "params": {"priority": 2}},
        {"type": "assign", "params": {"user": clerk.username}},
    ])
    order = released_order([(product(stock=10), 1, Decimal("99.00"))])
    order = Order.objects.get(pk=order.pk)
    assert order.priority == OrderPriority.URGENT and order.assigned_to == clerk
    assert [t.name for t in order.tags.all()] == ["大客户"]
    assert [d["outcome"] for d in fired(order, "shipment_planned").actions] == ["done", "done", "done"]
    assert {"tagged", "priority_set", "assigned"} <= set(order.events.values_list("kind", flat=True))


def test_sms_on_shipped_names_the_carrier_and_tracking_number():
    make_rule(trigger="shipped", actions=[{"type": "notify", "params": {
        "channel": "sms", "template_code": "SMS_ORDER_SHIPPED",
        "message": "您的订单 {number} 已由{carrier}发出，运单号 {tracking_number}。"}}])
    order = shipped_order()
    shipment = shipments_of(order)[0]
    message = OutboxMessage.objects.get(kind=WebhookKind.SMS, order_number=order.number)
    assert message.payload["template_code"] == "SMS_ORDER_SHIPPED"
    assert message.payload["phone"] == order.phone
    assert message.payload["params"]["tracking"] == shipment.tracking_number
    assert message.payload["params"]["content"] == (
        f"您的订单 {order.number} 已由顺丰速运发出，运单号 {shipment.tracking_number}。")
    assert fired(order, "shipped").actions[0]["outcome"] == "sent"


def test_email_is_handed_to_the_notification_backends_after_commit(settings, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    import django_q.tasks

    from logistics.notifications import MemoryBackend, deliver

    settings.OMS_NOTIFICATION_BACKENDS = ["logistics.notifications.MemoryBackend"]
    monkeypatch.setattr(MemoryBackend, "outbox", [])
    # the job queue runs the job at once here: what the worker would do after commit
    monkeypatch.setattr(django_q.tasks, "async_task",
                        lambda path, *args, **kwargs: deliver(*args) if path.endswith(".deliver") else None)
    make_rule(trigger="shipment_planned", actions=[{"type": "notify", "params": {
        "channel": "email", "subject": "订单已排单", "message": "{customer}，您的订单 {number} 已安排发货"}}])
    with django_capture_on_commit_callbacks(execute=True):
        order = released_order([(product(stock=10), 1, Decimal("99.00"))], customer_email="li@example.com")
    sent = [n for n in MemoryBackend.outbox if n.kind == "automation"]
    assert len(sent) == 1 and sent[0].email == "li@example.com" and sent[0].phone == ""
    assert sent[0].body == f"{order.customer.name}，您的订单 {order.number} 已安排发货"


def test_crm_follow_up_goes_signed_through_the_outbox(monkeypatch):
    CrmEndpoint.objects.create(code="crm", url="https://crm.example/api/follow", secret="crm-key",
                               field_map={"order.number": "orderNo", "status": "follow.status", "note": "remark"})
    make_rule(trigger="shipment_planned", actions=[{"type": "call_crm", "params": {
        "status": "to_call", "note": "订单 {number} 请回访"}}])
    order = released_order([(product(stock=10), 1, Decimal("99.00"))])
    message = OutboxMessage.objects.get(kind=WebhookKind.CRM, order_number=order.number)
    assert message.payload == {"orderNo": order.number, "follow": {"status": "to_call"},
                               "remark": f"订单 {order.number} 请回访"}
    sent = _capture_posts(monkeypatch)
    outbox.deliver(message_pk=message.pk)
    url, body, headers = sent[0]
    assert url == "https://crm.example/api/follow" and json.loads(body)["orderNo"] == order.number
    assert _signature_ok(headers[signing.HEADER], body, "crm-key")


def test_signed_webhook_to_an_outbound_endpoint(monkeypatch):
    OutboundEndpoint.objects.create(kind=WebhookKind.AUTOMATION, code="erp", url="https://erp.example/rule",
                                    secret="erp-key")
    rule = make_rule(trigger="shipment_planned", actions=[{"type": "call_webhook", "params": {"endpoint": "erp"}}])
    order = released_order([(product(stock=10), 1, Decimal("99.00"))])
    message = OutboxMessage.objects.get(kind=WebhookKind.AUTOMATION, order_number=order.number)
    assert message.payload["rule"] == {"id": rule.pk, "name": rule.name, "version": 1}
    assert message.payload["order"]["number"] == order.number
    sent = _capture_posts(monkeypatch)
    outbox.deliver(message_pk=message.pk)
    assert OutboxMessage.objects.get(pk=message.pk).status == "delivered"
    _url, body, headers = sent[0]
    assert _signature_ok(headers[signing.HEADER], body, "erp-key")


def _capture_posts(monkeypatch):
    sent = []

    def fake_post(url, body, headers, *, timeout):
        sent.append((url, body, headers))
        return outbox.Sent(200, "", "ok", "", url)

    monkeypatch.setattr(outbox, "http_post", fake_post)
    return sent


def _signature_ok(header: str, body: bytes, secret: str) -> bool:
    import hashlib
    import hmac

    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_new_action_kinds_are_checked_on_save():
    problems = {
        "assign": [{"type": "assign", "params": {}}],
        "assign_unknown": [{"type": "assign", "params": {"user": "nobody"}}],
        "team": [{"type": "assign", "params": {"team": "pilots"}}],
        "priority": [{"type": "set_priority", "params": {"priority": 7}}],
        "crm": [{"type": "call_crm", "params": {}}],
        "webhook": [{"type": "call_webhook", "params": {}}],
        "survey": [{"type": "start_survey", "params": {"channel": "fax"}}],
        "field": [{"type": "notify", "params": {"channel": "sms", "message": "{number.__class__}"}}],
        "channel": [{"type": "notify", "params": {"channel": "pigeon", "message": "hi"}}],
    }
    for name, actions in problems.items():
        with pytest.raises(ValidationFailed):
            clean_actions(actions)
        assert name  # each case refused
    assert clean_actions([{"type": "require_qc", "params": {}}])[0]["type"] == "require_qc"


# -- survey ---------------------------------------------------------------------------------------------------------
def test_survey_on_completion_one_answer_per_link(client, make_user):
    make_rule(trigger="completed", actions=[{"type": "start_survey", "params": {"channel": "sms"}}])
    order = delivered_order()
    survey = SatisfactionSurvey.objects.get(order=order)
    firing = fired(order, "completed")
    assert firing.actions[0]["outcome"] == "sent" and firing.actions[0]["survey"] == survey.pk
    assert survey.rule_version == firing.version
    from oms.workflow.automation.survey import survey_token

    sms = OutboxMessage.objects.get(kind=WebhookKind.SMS, order_number=order.number)
    url = f"/survey/{survey_token(survey)}/"
    assert url in sms.payload["params"]["content"] and sms.payload["template_code"] == "SMS_ORDER_SURVEY"

    page = client.get(url)  # no login
    assert page.status_code == 200 and "您的评分" in page.content.decode()
    assert client.post(url, {"score": "9"}).status_code == 400
    answered = client.post(url, {"score": "4", "comment": "包装很好"})
    assert answered.status_code == 200 and "感谢您的反馈" in answered.content.decode()
    again = client.post(url, {"score": "1", "comment": "改主意了"})
    assert again.status_code == 409
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "包装很好")
    assert order.events.filter(kind="survey", data__score=4).exists()

    # bad or tampered tokens are a 404
    assert client.get("/survey/not-a-token/").status_code == 404
    assert client.get(url.replace(survey_token(survey), survey_token(survey)[:-2] + "xx")).status_code == 404

    # shown on the order page
    client.force_login(make_user("kf", Role.CUSTOMER_SERVICE))
    body = client.get(f"/orders/{order.number}/").content.decode()
    assert 'data-score="4"' in body and "包装很好" in body


def test_survey_is_started_once_per_order():
    make_rule(name="一", trigger="completed", actions=[{"type": "start_survey", "params": {}}])
    make_rule(name="二", trigger="completed", actions=[{"type": "start_survey", "params": {}}])
    order = delivered_order()
    assert SatisfactionSurvey.objects.filter(order=order).count() == 1
    outcomes = sorted(d["outcome"] for f in RuleFiring.objects.filter(order=order) for d in f.actions)
    assert outcomes == ["sent", "skipped"]


def test_lists_filter_by_priority_tag_and_team(make_user):
    from oms.workflow.filters import ReviewQueueFilter
    from orders import services as order_services

    clerk = make_user("shouhou01", Role.AFTERSALES)
    urgent = released_order([(product(stock=10), 1, Decimal("99.00"))])
    plain = released_order([(product(stock=10), 1, Decimal("99.00"))])
    order_services.order_set_priority(order=urgent, priority=OrderPriority.URGENT, actor=SYSTEM)
    order_services.order_tag_add(order=urgent, tag="大客户", actor=SYSTEM)
    order_services.order_assign_team(order=urgent, team=Role.AFTERSALES, actor=SYSTEM)

    def numbers(**data):
        return {o.number for o in ReviewQueueFilter(data=data, queryset=Order.objects.all(), user=clerk).qs}

    assert numbers(priority="2") == {urgent.number}
    assert numbers(tag="大客户") == {urgent.number}
    assert numbers(assigned="my_team") == {urgent.number}
    assert plain.number in numbers()
