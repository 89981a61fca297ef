"""Outbound webhooks: emitted with the business step, delivered in order, retried, replayed, paused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.actors import SYSTEM
from logistics.tests.factories import product
from oms.integrations import outbox, signing, webhooks
from oms.integrations.models import OutboxMessage, OutboxStatus, WebhookEvent, WebhookSubscription
from oms.integrations.tests.receivers import Receiver
from oms.workflow.services import PaymentInput, submit_order
from orders.models import Channel, OrderStatus
from orders.services import order_cancel
from orders.tests.factories import order_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def subscribe(url, events=None, **kwargs):
    return WebhookSubscription.objects.create(name="CRM", url=url, secret="crm-secret",
                                              events=events or list(WebhookEvent.values), **kwargs)


def paid_order(sku_product, **kwargs):
    data = order_input(lines=[(sku_product, 1, "100.00")], shipping_fee="0.00", **kwargs)
    return submit_order(data=data, payment=PaymentInput(method="alipay", paid_amount=Decimal("100.00"),
                                                        transaction_id=f"T-{data.external_id}"), actor=SYSTEM)


def events_by_order(received):
    result = {}
    for request in received:
        result.setdefault(request["json"]["data"]["order"]["number"], []).append(request["json"]["type"])
    return result


def run_clock(start, minutes, step=1):
    for minute in range(0, minutes + 1, step):
        outbox.deliver_due(now=start + timedelta(minutes=minute))


def test_events_are_written_with_the_step_for_matching_subscriptions_only(receiver):
    goods = product(stock=10)
    subscribe(receiver.url)
    subscribe(receiver.url, events=["order.cancelled"])
    subscribe(receiver.url, min_total=Decimal("1000.00"))  # filters: too small an order
    order = paid_order(goods)
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    assert list(OutboxMessage.objects.filter(kind="webhook").order_by("pk").values_list("topic", flat=True)) == [
        "order.created", "order.reviewed", "order.paid"]
    message = OutboxMessage.objects.filter(kind="webhook").first()
    assert message.key == order.number and message.payload["version"] == "1"
    assert message.payload["data"]["order"]["customer"]["phone"].count("*") >= 4


def test_channel_filter(receiver):
    goods = product(stock=10)
    subscribe(receiver.url).channels.add(Channel.objects.get(code="jd"))
    paid_order(goods)  # a tmall order
    assert not OutboxMessage.objects.filter(kind="webhook").exists()


def test_a_receiver_down_for_an_hour_gets_every_event_in_order_when_back(receiver):
    goods = product(stock=50)
    subscribe(receiver.url)
    orders = [paid_order(goods) for _ in range(3)]
    order_cancel(order=orders[1], actor=SYSTEM, reason="客户取消")
    receiver.stop()  # down
    start = timezone.now()
    run_clock(start, 60)
    assert receiver.received == []
    failed = OutboxMessage.objects.filter(kind="webhook", status=OutboxStatus.FAILED)
    assert failed.exists() and not OutboxMessage.objects.filter(status=OutboxStatus.DEAD).exists()
    receiver.start()  # back, same port
    run_clock(start + timedelta(minutes=61), 180)
    expected = ["order.created", "order.reviewed", "order.paid"]
    assert events_by_order(receiver.received) == {
        orders[0].number: expected, orders[1].number: [*expected, "order.cancelled"], orders[2].number: expected}
    ids = [r["headers"]["X-OMS-Message-Id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 10
    assert all(m.status == OutboxStatus.DELIVERED for m in OutboxMessage.objects.filter(kind="webhook"))
    for request in receiver.received:
        signing.verify(header=request["headers"]["X-OMS-Signature"], body=request["body"], secrets=["crm-secret"],
                       tolerance=300)
    attempt = OutboxMessage.objects.filter(kind="webhook").order_by("pk").first().attempt_log.last()
    assert attempt.succeeded and attempt.duration_ms is not None and "X-OMS-Event: order.created" in attempt.request


def test_retries_last_more_than_a_day():
    waits = sum(outbox.backoff(n).total_seconds() for n in range(1, webhooks.MAX_ATTEMPTS))
    assert waits >= 24 * 3600


def test_dead_letters_are_replayed_and_release_the_events_behind_them(receiver):
    goods = product(stock=10)
    subscribe(receiver.url)
    receiver.status = 410  # "gone": refused as it is, no retry
    order = paid_order(goods)
    start = timezone.now()
    run_clock(start, 5)
    dead = OutboxMessage.objects.filter(kind="webhook", status=OutboxStatus.DEAD)
    assert [m.topic for m in dead] == ["order.created"]  # the others wait behind it
    receiver.status = 200
    receiver.received.clear()
    assert webhooks.replay(messages=list(dead)) == 1
    run_clock(start + timedelta(minutes=6), 5)
    assert events_by_order(receiver.received) == {order.number: ["order.created", "order.reviewed", "order.paid"]}


def test_a_subscription_that_keeps_failing_is_paused_and_admins_told(receiver, settings, mailoutbox,
                                                                     django_capture_on_commit_callbacks):
    settings.ADMINS = [("Ops", "ops@example.com")]
    goods = product(stock=10)
    subscription = subscribe(receiver.url, events=["order.created"])
    receiver.stop()
    paid_order(goods)
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        clock = start
        for _ in range(webhooks.MAX_ATTEMPTS + 5):  # jump from one due time to the next
            outbox.deliver_due(now=clock)
            pending = OutboxMessage.objects.get(kind="webhook")
            if pending.status == OutboxStatus.DEAD:
                break
            clock = pending.next_attempt_at + timedelta(seconds=1)
    subscription.refresh_from_db()
    message = OutboxMessage.objects.get(kind="webhook")
    assert message.status == OutboxStatus.DEAD and message.attempts == webhooks.MAX_ATTEMPTS
    assert (message.attempt_log.last().started_at - message.attempt_log.first().started_at) >= timedelta(hours=24)
    assert subscription.paused_at is not None and "Connection refused" in subscription.paused_reason
    assert len(mailoutbox) == 1 and subscription.name in mailoutbox[0].subject
    paid_order(goods)  # while paused, events wait
    receiver.start()
    run_clock(clock + timedelta(hours=1), 10)
    assert receiver.received == []
    webhooks.subscription_resume(subscription=subscription)
    webhooks.replay(messages=[message])
    run_clock(timezone.now(), 3)
    assert len(receiver.received) == 2


def test_timeline_and_low_stock_are_relayed_once(receiver):
    from inventory.models import Stock
    from orders.events import record_event

    goods = product(stock=10)
    subscribe(receiver.url, events=["return.requested", "order.refunded", "stock.low"])
    webhooks.relay_events()  # first run starts from now
    order = paid_order(goods)
    record_event(order=order, kind="return_requested", message="申请退货", actor=SYSTEM, data={"rma": "RMA1"})
    record_event(order=order, kind="refund_completed", message="退款完成", actor=SYSTEM, data={"amount": "100.00"})
    Stock.objects.filter(product=goods).update(low_stock_threshold=20)
    assert webhooks.relay_events() == 3
    assert webhooks.relay_events() == 0
    messages = OutboxMessage.objects.filter(kind="webhook").order_by("pk")
    assert [m.topic for m in messages] == ["return.requested", "order.refunded", "stock.low"]
    assert messages[0].payload["data"]["details"]["rma"] == "RMA1" and messages[0].key == order.number
