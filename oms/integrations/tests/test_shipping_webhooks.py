"""`POST /api/v1/webhooks/wms/{warehouse}` and `POST /api/v1/webhooks/carriers/{carrier}` per contract."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Stock
from inventory.tests.factories import priority
from logistics.models import ShipmentStatus, TrackingEvent
from logistics.tests.factories import product, released_order, shipments_of, wms_warehouse
from oms.integrations.models import InboundEvent, InboundStatus
from oms.integrations.tests.helpers import post_signed
from orders.models import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def gz():
    warehouse = wms_warehouse("GZ01")
    priority("广东省", warehouse)
    return warehouse


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    """Post a signed webhook and run what the inbox does after commit (process the event)."""

    def go(name, sender, payload, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post_signed(client, name, sender, payload, **kwargs)

    return go


def wms_order(gz, *lines):
    lines = lines or [(product("SKU-TEE", stock=20, at=gz), 2, "80.00")]
    return released_order(list(lines), province="广东省", city="广州市", district="天河区")


def shipped_body(order, **extra):
    return {"event_id": "wms_001", "order_number": order.number, "event": "shipped", "carrier": "sf",
            "tracking_number": "SF1234567890", "weight_kg": "1.25", **extra}


def test_wms_ships_the_order(gz, send):
    order = wms_order(gz)
    response = send("webhook-wms", "GZ01", shipped_body(order))
    assert response.status_code == 200 and response.json() == {"status": "accepted", "event_id": "wms_001"}
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    [shipment] = shipments_of(order)
    assert shipment.status == ShipmentStatus.SHIPPED and shipment.tracking_number == "SF1234567890"
    assert str(shipment.weight_kg) == "1.250"
    assert Stock.objects.get(warehouse=gz).reserved == 0
    assert InboundEvent.objects.get().status == InboundStatus.PROCESSED
    again = send("webhook-wms", "GZ01", shipped_body(order))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert order.events.filter(kind="status_changed").count() == 1


def test_wms_ships_part_then_the_rest(gz, send):
    tee, cup = product("SKU-TEE", stock=20, at=gz), product("SKU-CUP", stock=20, at=gz)
    order = wms_order(gz, (tee, 2, "80.00"), (cup, 1, "30.00"))
    send("webhook-wms", "GZ01", shipped_body(order, lines=[{"sku": "sku-tee", "quantity": 1}]))
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert dict(order.lines.values_list("sku", "quantity_shipped")) == {"SKU-TEE": 1, "SKU-CUP": 0}
    send("webhook-wms", "GZ01", shipped_body(order, event_id="wms_002", tracking_number="SF1234567891"))
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert sorted(s.tracking_number for s in shipments_of(order)) == ["SF1234567890", "SF1234567891"]


def test_wms_picked_and_packed_move_the_parcel(gz, send):
    order = wms_order(gz)
    send("webhook-wms", "GZ01", {"event_id": "w1", "order_number": order.number, "event": "picked"})
    assert shipments_of(order)[0].status == ShipmentStatus.PICKING
    send("webhook-wms", "GZ01", {"event_id": "w2", "order_number": order.number, "event": "packed",
                                 "carrier": "zto", "weight_kg": "0.8"})
    shipment = shipments_of(order)[0]
    assert shipment.status == ShipmentStatus.PACKED and shipment.carrier == "zto" and shipment.tracking_number == ""


@pytest.mark.parametrize("change, status", [
    ({"order_number": "SO00000000000000"}, 404),
    ({"tracking_number": ""}, 400),
    ({"event": "lost"}, 400),
    ({"lines": [{"sku": "SKU-NOPE", "quantity": 1}]}, 400),
    ({"lines": [{"sku": "SKU-TEE", "quantity": 0}]}, 400),
])
def test_wms_bad_reports_are_refused_and_not_stored(gz, send, change, status):
    order = wms_order(gz)
    response = send("webhook-wms", "GZ01", shipped_body(order, **change))
    assert response.status_code == status, response.json()
    assert InboundEvent.objects.count() == 0


def test_signature_and_sender_checks(gz, client):
    order = wms_order(gz)
    body = shipped_body(order)
    assert post_signed(client, "webhook-wms", "GZ01", body, secret="wrong").status_code == 401
    stale = post_signed(client, "webhook-wms", "GZ01", body, at=int(time.time()) - 301)
    assert stale.status_code == 401 and stale.json()["type"] == "authentication_failed"
    assert post_signed(client, "webhook-wms", "XX99", body).status_code == 404
    assert post_signed(client, "webhook-wms", "XX99", body, secret="wrong").status_code == 401
    assert post_signed(client, "webhook-carriers", "ups", {"event_id": "t"}).status_code == 404
    assert InboundEvent.objects.count() == 0


def carrier_body(**extra):
    return {"event_id": "trk_001", "tracking_number": "SF1234567890", "status": "delivered",
            "occurred_at": timezone.localtime().isoformat(), "location": "广州", "description": "已签收", **extra}


def test_carrier_delivery_completes_the_order(gz, send):
    order = wms_order(gz)
    send("webhook-wms", "GZ01", shipped_body(order))
    assert send("webhook-carriers", "sf", carrier_body(event_id="trk_0", status="in_transit",
                                                       description="已揽收")).status_code == 200
    response = send("webhook-carriers", "sf", carrier_body())
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert TrackingEvent.objects.count() == 2
    assert send("webhook-carriers", "sf", carrier_body()).json()["status"] == "duplicate"
    assert TrackingEvent.objects.count() == 2


def test_carrier_unknown_tracking_number_is_404(gz, send):
    order = wms_order(gz)
    send("webhook-wms", "GZ01", shipped_body(order))
    assert send("webhook-carriers", "sf", carrier_body(tracking_number="SF0")).status_code == 404
    assert send("webhook-carriers", "zto", carrier_body()).status_code == 404  # another carrier's number
    assert send("webhook-carriers", "sf", carrier_body(status="lost")).status_code == 400


def test_carrier_news_before_the_wms_shipped_report_is_retried(gz, send):
    from logistics.services import shipment_pack
    from logistics.tests.factories import ACTOR
    from oms.integrations.inbox import retry_due_events

    order = wms_order(gz)
    shipment = shipment_pack(shipment=shipments_of(order)[0], actor=ACTOR, tracking_number="SF1234567890",
                             verify_scan=False, assign_waybill=False)
    send("webhook-carriers", "sf", carrier_body(status="in_transit"))
    event = InboundEvent.objects.get(kind="carriers")
    assert event.status == InboundStatus.FAILED and "not been reported shipped" in event.last_error
    send("webhook-wms", "GZ01", shipped_body(order))
    assert retry_due_events(now=timezone.now() + timedelta(minutes=5)) == 1
    event.refresh_from_db()
    shipment.refresh_from_db()
    assert event.status == InboundStatus.PROCESSED and shipment.status == ShipmentStatus.IN_TRANSIT
