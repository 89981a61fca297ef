import pytest

from core.errors import ValidationFailed
from logistics.models import ShipmentStatus
from logistics.services import shipment_scan, shipment_scan_reset
from logistics.tests.factories import product

pytestmark = pytest.mark.django_db


def test_scanning_every_item_completes_the_parcel(parcel, clerk):
    shipment, a, b = parcel
    assert not shipment_scan(shipment=shipment, code=a.barcode, actor=clerk).complete
    assert not shipment_scan(shipment=shipment, code=f" {a.sku.lower()} ", actor=clerk).complete  # SKU works too
    result = shipment_scan(shipment=shipment, code=b.barcode, actor=clerk)
    assert result.complete and result.shipment.status == ShipmentStatus.PICKING  # first scan started picking
    assert sorted(shipment.lines.values_list("quantity_packed", flat=True)) == [1, 2]


def test_wrong_item_is_refused(parcel, clerk):
    shipment, a, b = parcel
    stranger = product(barcode="6900000000999")
    with pytest.raises(ValidationFailed) as exc:
        shipment_scan(shipment=shipment, code=stranger.barcode, actor=clerk)
    assert exc.value.data["reason"] == "wrong_item"
    assert list(shipment.lines.values_list("quantity_packed", flat=True)) == [0, 0]


def test_one_too_many_is_refused(parcel, clerk):
    shipment, a, b = parcel
    shipment_scan(shipment=shipment, code=b.barcode, actor=clerk)
    with pytest.raises(ValidationFailed) as exc:
        shipment_scan(shipment=shipment, code=b.barcode, actor=clerk)
    assert exc.value.data["reason"] == "extra_quantity"
    assert shipment.lines.get(order_line__sku=b.sku).quantity_packed == 1


def test_reset_empties_the_parcel(parcel, clerk):
    shipment, a, b = parcel
    shipment_scan(shipment=shipment, code=a.barcode, actor=clerk)
    shipment_scan_reset(shipment=shipment, actor=clerk)
    assert set(shipment.lines.values_list("quantity_packed", flat=True)) == {0}
