from decimal import Decimal

import pytest

from core.errors import InvalidTransition, ValidationFailed
from logistics.models import ShipmentStatus
from logistics.services import shipment_pack, shipment_scan
from logistics.tests.factories import ACTOR, product, released_order, shipments_of
from orders.services import order_cancel

pytestmark = pytest.mark.django_db


def test_pack_needs_every_item_and_the_weight(parcel, clerk):
    shipment, a, b = parcel
    shipment_scan(shipment=shipment, code=a.barcode, actor=clerk)
    with pytest.raises(ValidationFailed) as exc:
        shipment_pack(shipment=shipment, weight_kg="1.2", actor=clerk)
    assert set(exc.value.errors) == {f"lines.{a.sku}", f"lines.{b.sku}"}
    shipment_scan(shipment=shipment, code=a.barcode, actor=clerk)
    shipment_scan(shipment=shipment, code=b.barcode, actor=clerk)
    for bad in ("", "abc", "0", "-1", "1000"):
        with pytest.raises(ValidationFailed) as exc:
            shipment_pack(shipment=shipment, weight_kg=bad, actor=clerk)
        assert "weight_kg" in exc.value.errors


def test_pack_assigns_a_waybill_and_writes_the_event(parcel, clerk):
    shipment, a, b = parcel
    for code in (a.barcode, a.barcode, b.barcode):
        shipment_scan(shipment=shipment, code=code, actor=clerk)
    packed = shipment_pack(shipment=shipment, weight_kg="1,25", packages="2", actor=clerk)
    assert packed.status == ShipmentStatus.PACKED
    assert packed.weight_kg == Decimal("1.250") and packed.packages == 2
    assert packed.tracking_number.startswith("SF") and len(packed.tracking_number) == 14
    event = packed.order.events.get(kind="shipment_packed")
    assert packed.tracking_number in event.message and event.actor == clerk
    with pytest.raises(InvalidTransition):
        shipment_scan(shipment=packed, code=a.barcode, actor=clerk)


def test_cancelled_order_cannot_be_packed(parcel, clerk, make_user):
    shipment, a, b = parcel
    order_cancel(order=shipment.order, reason="客户取消", actor=ACTOR)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CANCELLED
    with pytest.raises(InvalidTransition):
        shipment_scan(shipment=shipment, code=a.barcode, actor=clerk)


def test_timeline_is_written_in_chinese_whatever_the_clerk_reads(parcel, clerk):
    from django.utils import translation

    shipment, a, b = parcel
    with translation.override("en"):
        packed = shipment_pack(shipment=shipment, weight_kg="1", actor=clerk, verify_scan=False)
    event = packed.order.events.get(kind="shipment_packed")
    assert "已打包" in event.message and "顺丰速运" in event.message and "packed" not in event.message


def test_parcels_of_a_wms_warehouse_are_not_packed_at_our_bench(clerk):
    from inventory.tests.factories import priority
    from logistics.tests.factories import wms_warehouse

    gz = wms_warehouse()
    priority("广东省", gz)
    item = product(stock=5, at=gz)
    order = released_order([(item, 1, "10.00")], province="广东省", city="广州市")
    [shipment] = shipments_of(order)
    with pytest.raises(InvalidTransition):
        shipment_scan(shipment=shipment, code=item.barcode, actor=clerk)
    with pytest.raises(InvalidTransition):
        shipment_pack(shipment=shipment, weight_kg="1", actor=clerk)
