import pytest

from core.enums import Role
from core.errors import PermissionDenied, ValidationFailed
from logistics.models import ShipmentStatus
from logistics.services import wave_create
from logistics.tests.factories import product, released_order, shipments_of, warehouse, wms_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(make_user):
    return make_user("picker", Role.WAREHOUSE)


def test_wave_moves_chosen_shipments_to_picking_with_an_event_per_order(clerk):
    p = product()
    orders = [released_order([(p, 1, "10.00")]) for _ in range(3)]
    ids = [shipments_of(o)[0].pk for o in orders[:2]]
    wave = wave_create(warehouse=warehouse(), shipment_ids=ids, actor=clerk, carrier="sf")
    assert wave.number.startswith("WV") and wave.created_by == clerk
    assert sorted(wave.shipments.values_list("status", flat=True)) == [ShipmentStatus.PICKING] * 2
    assert shipments_of(orders[2])[0].status == ShipmentStatus.CREATED
    for order in orders[:2]:
        assert order.events.filter(kind="picking_started", data__wave=wave.number).count() == 1


def test_refuses_the_whole_wave_naming_each_bad_shipment(clerk):
    p = product()
    good, other_carrier = released_order([(p, 1, "10.00")]), released_order([(p, 1, "10.00")])
    odd = shipments_of(other_carrier)[0]
    odd.carrier = "zto"
    odd.save(update_fields=["carrier"])
    with pytest.raises(ValidationFailed) as exc:
        wave_create(warehouse=warehouse(), shipment_ids=[shipments_of(good)[0].pk, odd.pk], actor=clerk,
                    carrier="sf")
    assert list(exc.value.errors) == [f"shipments.{odd.number}"]
    assert shipments_of(good)[0].status == ShipmentStatus.CREATED


def test_wms_warehouse_has_no_waves(clerk):
    with pytest.raises(ValidationFailed) as exc:
        wave_create(warehouse=wms_warehouse(), shipment_ids=[1], actor=clerk)
    assert "warehouse" in exc.value.errors


def test_only_warehouse_staff_start_picking(make_user):
    order = released_order([(product(), 1, "10.00")])
    cs = make_user("cs", Role.CUSTOMER_SERVICE)
    with pytest.raises(PermissionDenied):
        wave_create(warehouse=warehouse(), shipment_ids=[shipments_of(order)[0].pk], actor=cs)
