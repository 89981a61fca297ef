"""Drill: payment, WMS and carrier webhooks arrive twice, under other event ids, and out of order.
Nothing is counted twice and the final state is the one the latest real news says; stock and ledger
stay clean. (Runs on SQLite and PostgreSQL: one process, no row-lock races.)"""

import pytest
from django.core.management import call_command
from django.utils import timezone

from finance.models import Payment, PaymentState
from finance.tests.factories import assert_ledger_ok, make_order, reload
from inventory.models import Stock
from inventory.tests.factories import priority
from logistics.models import ShipmentStatus, TrackingEvent
from logistics.tests.factories import product, released_order, shipments_of, wms_warehouse
from oms.integrations.models import InboundEvent, InboundStatus
from oms.integrations.tests.helpers import post_signed
from orders.models import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(client, django_capture_on_commit_callbacks, settings):
    # Providers not registered in the admin sign with their development secrets (helpers.post_signed).
    settings.OMS_WEBHOOK_UNREGISTERED_MONEY_SENDERS = True

    def go(name, sender, payload):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signed(client, name, sender, payload)
        assert response.status_code == 200, response.content
        return response.json()["status"]

    return go


def payment(order, event_id, status="succeeded", transaction_id="4200001", **extra):
    return {"event_id": event_id, "order_number": order.number, "status": status, "amount": f"{order.total:.2f}",
            "transaction_id": transaction_id, "paid_at": "2026-11-24T10:16:00+08:00", **extra}


def test_payment_webhooks_twice_and_out_of_order_pay_once(send):
    order = make_order()
    assert send("webhook-payments", "alipay", payment(order, "evt_s1")) == "accepted"
    # The provider's retries, the same payment under a new event id, and at another of its paths.
    assert send("webhook-payments", "alipay", payment(order, "evt_s1")) == "duplicate"
    assert send("webhook-payments", "alipay", payment(order, "evt_s1b")) == "duplicate"
    assert send("webhook-payments", "wechat", payment(order, "evt_s1")) == "duplicate"
    # An earlier failed attempt reported after the success (out of order): recorded, changes nothing.
    send("webhook-payments", "alipay", payment(order, "evt_f0", status="failed", transaction_id="4200000"))
    assert send("webhook-payments", "alipay", payment(order, "evt_f0", status="failed",
                                                      transaction_id="4200000")) == "duplicate"

    order = reload(order)
    assert (order.status, order.payment_status, order.paid_amount) == (OrderStatus.AWAITING_SHIPMENT, "paid",
                                                                       order.total)
    assert Payment.objects.filter(order=order, status=PaymentState.SUCCEEDED).count() == 1
    assert not InboundEvent.objects.exclude(status=InboundStatus.PROCESSED).exists()
    call_command("check_stock")
    assert_ledger_ok()


def test_shipping_webhooks_twice_and_out_of_order_end_delivered_once(send):
    gz = wms_warehouse("GZ01")
    priority("广东省", gz)
    order = released_order([(product("SKU-TEE", stock=20, at=gz), 2, "80.00")], province="广东省", city="广州市",
                           district="天河区")
    shipped = {"event_id": "wms_ship", "order_number": order.number, "event": "shipped", "carrier": "sf",
               "tracking_number": "SF1234567890", "weight_kg": "1.25"}
    track = {"tracking_number": "SF1234567890", "location": "广州", "description": "快件动态"}
    now = timezone.localtime()

    assert send("webhook-wms", "GZ01", shipped) == "accepted"
    assert send("webhook-wms", "GZ01", shipped) == "duplicate"
    # The carrier's "delivered" overtakes its "in transit"; both are also sent twice.
    delivered = {**track, "event_id": "trk_2", "status": "delivered", "occurred_at": now.isoformat()}
    in_transit = {**track, "event_id": "trk_1", "status": "in_transit",
                  "occurred_at": (now - timezone.timedelta(hours=20)).isoformat()}
    assert send("webhook-carriers", "sf", delivered) == "accepted"
    assert send("webhook-carriers", "sf", in_transit) == "accepted"
    assert send("webhook-carriers", "sf", delivered) == "duplicate"
    assert send("webhook-carriers", "sf", in_transit) == "duplicate"
    # The WMS's late "packed" report, after the parcel was shipped and delivered.
    send("webhook-wms", "GZ01", {**shipped, "event_id": "wms_pack", "event": "packed"})

    order = reload(order)
    [shipment] = shipments_of(order)
    assert order.status == OrderStatus.COMPLETED
    assert shipment.status == ShipmentStatus.DELIVERED  # the late in-transit and packed news did not move it back
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 2
    assert Stock.objects.get(warehouse=gz).reserved == 0
    call_command("check_stock")
    assert_ledger_ok()
