"""Shipping instructions for WMS-run warehouses: written with the shipment, delivered signed, retried."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from inventory.tests.factories import priority
from logistics.tests.factories import ACTOR, product, released_order, shipments_of, wms_warehouse
from oms.integrations import outbox, signing
from oms.integrations.models import OutboundEndpoint, OutboxMessage, OutboxStatus
from orders.services import order_cancel

pytestmark = pytest.mark.django_db


@pytest.fixture
def gz():
    warehouse = wms_warehouse("GZ01")
    priority("广东省", warehouse)
    return warehouse


def wms_order(gz, **kwargs):
    return released_order([(product(stock=20, at=gz), 2, "80.00")], province="广东省", city="广州市",
                          district="天河区", **kwargs)


def endpoint(url, **kwargs):
    return OutboundEndpoint.objects.create(kind="wms", code="GZ01", url=url, **kwargs)


def test_instruction_is_written_with_the_shipment_and_rolled_back_with_it(gz):
    order = wms_order(gz)
    [message] = OutboxMessage.objects.all()
    [shipment] = shipments_of(order)
    assert message.topic == "shipping_instruction.ship" and message.destination == "GZ01"
    assert message.key == shipment.number and message.order_number == order.number
    assert message.payload["lines"][0]["quantity"] == 2 and message.status == OutboxStatus.PENDING
    with pytest.raises(RuntimeError), transaction.atomic():
        wms_order(gz)
        raise RuntimeError("the planning transaction fails")
    assert OutboxMessage.objects.count() == 1


def test_delivered_signed_with_its_message_id(gz, fake_wms, settings):
    endpoint(fake_wms.url, secret="wms-secret")
    order = wms_order(gz)
    message = outbox.deliver(message_pk=OutboxMessage.objects.get().pk)
    assert message.status == OutboxStatus.DELIVERED and message.attempts == 1
    [request] = fake_wms.received
    assert request["json"]["order_number"] == order.number
    assert request["headers"]["X-OMS-Message-Id"] == message.message_id
    signing.verify(header=request["headers"]["X-OMS-Signature"], body=request["body"], secrets=["wms-secret"],
                   tolerance=300)
    [attempt] = message.attempt_log.all()
    assert attempt.succeeded and attempt.status_code == 200 and attempt.url == fake_wms.url
    assert outbox.deliver(message_pk=message.pk).attempts == 1  # delivered: not sent twice


def test_nothing_is_lost_while_the_wms_is_down(gz, closed_url, fake_wms):
    endpoint(closed_url)
    wms_order(gz)
    message = OutboxMessage.objects.get()
    message = outbox.deliver(message_pk=message.pk)
    assert message.status == OutboxStatus.FAILED and message.attempts == 1
    assert message.next_attempt_at > timezone.now() and "Connection refused" in message.last_error
    assert outbox.deliver_due() == 0  # not due yet: back-off
    OutboundEndpoint.objects.update(url=fake_wms.url)  # the WMS is back
    later = timezone.now() + timedelta(minutes=2)
    assert outbox.deliver_due(now=later) == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED and message.attempts == 2 and len(fake_wms.received) == 1
    assert [a.succeeded for a in message.attempt_log.all()] == [False, True]


def test_back_off_doubles_up_to_an_hour():
    assert [outbox.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 7, 8, 12)] == [1, 2, 4, 60, 60, 60]


def test_without_an_endpoint_the_message_waits(gz):
    wms_order(gz)
    message = outbox.deliver(message_pk=OutboxMessage.objects.get().pk)
    assert message.status == OutboxStatus.FAILED and "no active endpoint" in message.last_error


def test_a_refusal_needs_a_person_and_can_be_sent_again(gz, fake_wms):
    endpoint(fake_wms.url)
    fake_wms.status = 422
    wms_order(gz)
    message = outbox.deliver(message_pk=OutboxMessage.objects.get().pk)
    assert message.status == OutboxStatus.DEAD and message.attempt_log.get().status_code == 422
    fake_wms.status = 200
    assert outbox.retry_now(message=message).status == OutboxStatus.DELIVERED


def test_cancellation_never_overtakes_its_instruction(gz, fake_wms):
    endpoint(fake_wms.url)
    order = wms_order(gz)
    order_cancel(order=order, reason="客户取消", actor=ACTOR)
    ship, cancel = OutboxMessage.objects.order_by("pk")
    assert cancel.topic == "shipping_instruction.cancel"
    assert outbox.deliver(message_pk=cancel.pk).status == OutboxStatus.PENDING  # waits for the first
    assert fake_wms.received == []
    assert outbox.deliver_due(now=timezone.now() + timedelta(minutes=1)) == 2
    assert [r["json"]["action"] for r in fake_wms.received] == ["ship", "cancel"]


def test_a_claimed_message_is_not_sent_twice(gz, fake_wms):
    endpoint(fake_wms.url)
    wms_order(gz)
    message = OutboxMessage.objects.get()
    now = timezone.now()
    assert outbox._claim(message.pk, now) is not None
    assert outbox._claim(message.pk, now) is None  # another worker: leased
    assert outbox._claim(message.pk, now + outbox.LEASE + timedelta(seconds=1)) is not None  # lease expired


def test_a_hold_after_release_tells_the_wms_to_stop_and_then_to_go_on(gz, reviewer):
    from oms.workflow.services import approve_order
    from orders.services import HoldReason, order_put_on_hold

    order = wms_order(gz)
    order_put_on_hold(order=order, reasons=[HoldReason("address_changed", "客户改地址")], actor=ACTOR)
    approve_order(order=order, actor=reviewer, comment="地址已确认")
    topics = list(OutboxMessage.objects.order_by("pk").values_list("topic", flat=True))
    assert topics == ["shipping_instruction.ship", "shipping_instruction.hold", "shipping_instruction.release"]
    assert len(set(OutboxMessage.objects.values_list("message_id", flat=True))) == 3
    assert [s.status for s in shipments_of(order)] == ["created"]  # nothing planned twice


def test_released_orders_held_in_bulk_tell_the_wms_to_stop_each(gz):
    """The legacy import holds orders by the thousand (`Hook.fire_many`): their shipments are found
    together, and every released order's WMS still hears `hold`."""
    from orders.services import HoldReason, orders_put_on_hold

    released = [wms_order(gz), wms_order(gz)]
    reasons = [HoldReason("stock_shortage", "缺货")]
    orders_put_on_hold(holds=[(order, reasons) for order in released], actor=ACTOR)
    holds = OutboxMessage.objects.filter(topic="shipping_instruction.hold").order_by("pk")
    assert [m.order_number for m in holds] == [o.number for o in released]
    assert {s.status for o in released for s in shipments_of(o)} == {"created"}


def test_an_address_change_sends_the_new_recipient_to_the_wms(gz, reviewer):
    from orders.services import order_change_address

    order = wms_order(gz)
    order_change_address(order=order, actor=reviewer, comment="客户来电改地址", address_detail="珠江新城 8 号",
                         phone="13900001111")
    ship, update = OutboxMessage.objects.order_by("pk")
    assert update.topic == "shipping_instruction.update" and update.key == ship.key
    assert update.payload["recipient"]["address"] == "珠江新城 8 号"
    assert update.payload["recipient"]["phone"] == "13900001111"
    assert ship.payload["recipient"]["address"] != "珠江新城 8 号"  # the first instruction is left as it was
    assert update.message_id != ship.message_id


def test_an_address_change_in_an_own_warehouse_sends_nothing(reviewer):
    from logistics.tests.factories import warehouse
    from orders.services import order_change_address

    sh = warehouse("SH01")
    priority("上海市", sh)
    order = released_order([(product(stock=5, at=sh), 1, "10.00")], province="上海市", city="上海市")
    order_change_address(order=order, actor=reviewer, comment="改地址", address_detail="南京西路 1 号")
    assert not OutboxMessage.objects.exists()
    assert shipments_of(order)  # planned, in an own warehouse
