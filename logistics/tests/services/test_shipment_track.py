from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.errors import InvalidTransition, ValidationFailed
from finance.invariants import ledger_problems
from finance.models import Account, Payment
from finance.selectors import order_balances
from inventory.tests.factories import priority
from logistics.models import ShipmentStatus, TrackingEvent
from logistics.services import shipment_return_to_sender, shipment_ship, shipment_track
from logistics.tests.factories import ACTOR, product, released_order, shipments_of, warehouse
from orders.models import OrderStatus

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = (timezone.now() + timedelta(hours=1)).astimezone(SHANGHAI).replace(microsecond=0)  # after shipping


def shipped(order, n=1):
    result = []
    for i, shipment in enumerate(shipments_of(order)):
        result.append(shipment_ship(shipment=shipment, tracking_number=f"SF{n}{i:09d}", actor=ACTOR).shipment)
    return result


def test_carrier_news_moves_the_shipment_and_lands_on_the_timeline():
    order = released_order([(product(), 1, "10.00")])
    [shipment] = shipped(order)
    outcome = shipment_track(shipment=shipment, status="in_transit", occurred_at=T0, location="上海",
                             description="快件已揽收", source="trk_1", actor=ACTOR)
    assert outcome.created and outcome.shipment.status == ShipmentStatus.IN_TRANSIT
    assert outcome.shipment.last_tracking_at == T0
    event = order.events.get(kind="tracking")
    assert "快件已揽收" in event.message and "运输中" in event.message and event.data["report_id"] == "trk_1"


def test_the_same_report_twice_changes_nothing():
    order = released_order([(product(), 1, "10.00")])
    [shipment] = shipped(order)
    shipment_track(shipment=shipment, status="in_transit", occurred_at=T0, source="trk_1", actor=ACTOR)
    again = shipment_track(shipment=shipment, status="in_transit", occurred_at=T0, source="trk_1", actor=ACTOR)
    assert not again.created
    assert TrackingEvent.objects.count() == 1 and order.events.filter(kind="tracking").count() == 1


def test_delivery_of_the_last_shipment_completes_the_order():
    sh, bj = warehouse("SH01"), warehouse("BJ01", name="北京仓", province="北京市", city="北京市")
    priority("浙江省", sh, bj)
    order = released_order([(product(stock=3, at=sh), 1, "10.00"), (product(stock=3, at=bj), 1, "10.00")])
    first, second = shipped(order)
    out = shipment_track(shipment=first, status="delivered", occurred_at=T0, description="已签收", actor=ACTOR)
    assert out.shipment.status == ShipmentStatus.DELIVERED and out.shipment.delivered_at == T0
    assert not out.order_completed
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    out = shipment_track(shipment=second, status="delivered", occurred_at=T0 + timedelta(hours=2), actor=ACTOR)
    assert out.order_completed
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    completion = order.events.filter(kind="status_changed").latest("pk")
    assert completion.data["to"] == OrderStatus.COMPLETED and completion.data["shipment"] == second.number
    assert order.events.filter(kind="tracking").count() == 1  # the last delivery is told by the completion


def test_partially_shipped_order_is_not_completed_by_a_delivery():
    sh, bj = warehouse("SH01"), warehouse("BJ01", name="北京仓", province="北京市", city="北京市")
    priority("浙江省", sh, bj)
    order = released_order([(product(stock=3, at=sh), 1, "10.00"), (product(stock=3, at=bj), 1, "10.00")])
    first = shipments_of(order)[0]
    shipment_ship(shipment=first, tracking_number="SF1", actor=ACTOR)
    shipment_track(shipment=first, status="delivered", occurred_at=T0, actor=ACTOR)
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED


def test_exception_then_recovery_and_late_news_after_delivery():
    order = released_order([(product(), 1, "10.00")])
    [shipment] = shipped(order)
    out = shipment_track(shipment=shipment, status="exception", occurred_at=T0, description="地址不详", actor=ACTOR)
    assert out.shipment.status == ShipmentStatus.EXCEPTION and out.shipment.exception_reason == "地址不详"
    out = shipment_track(shipment=shipment, status="out_for_delivery", occurred_at=T0 + timedelta(hours=1),
                         actor=ACTOR)
    assert out.shipment.status == ShipmentStatus.IN_TRANSIT and out.shipment.exception_reason == ""
    shipment_track(shipment=shipment, status="delivered", occurred_at=T0 + timedelta(hours=3), actor=ACTOR)
    late = shipment_track(shipment=shipment, status="in_transit", occurred_at=T0 + timedelta(hours=2), actor=ACTOR)
    assert late.created and late.shipment.status == ShipmentStatus.DELIVERED
    assert late.shipment.last_tracking_at == T0 + timedelta(hours=3)


def test_news_for_a_parcel_still_in_the_warehouse_is_refused():
    order = released_order([(product(), 1, "10.00")])
    [shipment] = shipments_of(order)
    with pytest.raises(InvalidTransition):
        shipment_track(shipment=shipment, status="in_transit", occurred_at=T0, actor=ACTOR)
    with pytest.raises(ValidationFailed) as exc:
        shipment_track(shipment=shipment, status="lost", occurred_at=datetime(2026, 1, 1), actor=ACTOR)
    assert set(exc.value.errors) == {"status", "occurred_at"}
    assert TrackingEvent.objects.count() == 0


def test_returned_to_sender_needs_a_reason_and_is_final():
    order = released_order([(product(), 1, "10.00")])
    [shipment] = shipped(order)
    with pytest.raises(ValidationFailed):
        shipment_return_to_sender(shipment=shipment, reason=" ", actor=ACTOR)
    returned = shipment_return_to_sender(shipment=shipment, reason="收件人拒收", actor=ACTOR)
    assert returned.status == ShipmentStatus.RETURNED_TO_SENDER
    assert order.events.filter(kind="shipment_returned").exists()
    out = shipment_track(shipment=shipment, status="delivered", occurred_at=T0, actor=ACTOR)
    assert out.shipment.status == ShipmentStatus.RETURNED_TO_SENDER and not out.order_completed


def test_delivery_of_a_cod_parcel_records_the_cash_collected():
    order = released_order([(product(), 2, "50.00")], cod=True, shipping_fee="10.00")
    [shipment] = shipped(order)
    assert order_balances(order_id=order.pk)[Account.RECEIVABLE] == Decimal("110.00")
    out = shipment_track(shipment=shipment, status="delivered", occurred_at=T0, source="trk_9", actor=ACTOR)
    assert out.order_completed
    order.refresh_from_db()
    assert order.paid_amount == Decimal("110.00") and order.payment_status == "paid"
    payment = Payment.objects.get(order=order)
    assert payment.method == "cod" and payment.amount == Decimal("110.00") and shipment.number in payment.reference
    balances = order_balances(order_id=order.pk)
    assert balances[Account.RECEIVABLE] == 0 and balances[Account.BANK] == Decimal("110.00")
    assert ledger_problems(order_ids=[order.pk]) == []
