from decimal import Decimal

import pytest

from core import hooks
from core.errors import InvalidTransition
from inventory.tests.factories import priority
from logistics.models import ShipmentStatus
from logistics.services import order_shipments_create
from logistics.tests.factories import ACTOR, product, released_order, shipments_of, warehouse, wms_warehouse
from orders import services as order_services
from orders.models import OrderStatus
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructions():
    sent = []
    hooks.shipping_instruction.register(sent.append)
    yield sent
    hooks.shipping_instruction.unregister(sent.append)


def test_released_order_gets_one_shipment_with_its_reserved_lines():
    a, b = product(), product()
    order = released_order([(a, 2, "199.00"), (b, 1, "50.00")])
    [shipment] = shipments_of(order)
    assert shipment.status == ShipmentStatus.CREATED
    assert shipment.warehouse.code == "SH01" and shipment.carrier == "sf"
    assert shipment.number.startswith("SH") and len(shipment.number) == 16
    assert shipment.cod_amount == Decimal("0.00")
    assert {(line.order_line.sku, line.quantity) for line in shipment.lines.all()} == {(a.sku, 2), (b.sku, 1)}
    event = order.events.get(kind="shipments_created")
    assert shipment.number in event.message and event.data["shipments"][0]["warehouse"] == "SH01"


def test_split_order_gets_a_shipment_per_warehouse_and_cod_is_shared_by_value():
    sh, bj = warehouse("SH01"), warehouse("BJ01", name="北京仓", province="北京市", city="北京市")
    priority("浙江省", sh, bj)
    a, b = product(stock=5, at=sh), product(stock=5, at=bj)
    order = released_order([(a, 2, "100.00"), (b, 3, "100.00")], cod=True, shipping_fee="10.00")
    assert order.total == Decimal("510.00")
    by_code = {s.warehouse.code: s for s in shipments_of(order)}
    assert set(by_code) == {"SH01", "BJ01"}
    assert by_code["SH01"].lines.get().order_line.sku == a.sku and by_code["SH01"].lines.get().quantity == 2
    assert by_code["BJ01"].lines.get().order_line.sku == b.sku and by_code["BJ01"].lines.get().quantity == 3
    assert sum(s.cod_amount for s in by_code.values()) == order.total
    assert by_code["SH01"].cod_amount == Decimal("204.00")  # 2/5 of the goods value of 510


def test_running_again_plans_nothing_twice():
    order = released_order([(product(), 1, "10.00")])
    assert order_shipments_create(order=order, actor=ACTOR) == []
    assert order.shipments.count() == 1


def test_unpaid_order_gets_shipments_only_once_paid():
    p = product()
    order = create_order(actor=ACTOR, lines=[(p, 1, "10.00")], payment_method="alipay")
    from inventory.services import order_stock_reserve

    order_stock_reserve(order=order, actor=ACTOR)
    order = order_services.order_pass_review(order=order, actor=ACTOR)
    assert order.status == OrderStatus.AWAITING_PAYMENT and order.shipments.count() == 0
    with pytest.raises(InvalidTransition):
        order_shipments_create(order=order, actor=ACTOR)
    order_services.order_set_funds(order=order, paid_amount=order.total, refunded_amount=Decimal("0"), actor=ACTOR)
    order_services.order_mark_paid(order=order, actor=ACTOR)
    assert order.shipments.count() == 1


def test_wms_warehouse_gets_a_shipping_instruction_own_warehouse_does_not(instructions):
    gz = wms_warehouse()
    priority("广东省", gz)
    p = product(stock=5, at=gz)
    order = released_order([(p, 2, "80.00")], province="广东省", city="广州市", district="天河区")
    [shipment] = shipments_of(order)
    assert shipment.warehouse == gz
    [instruction] = instructions
    assert instruction.action == "ship" and instruction.shipment == shipment
    payload = instruction.payload
    assert payload["order_number"] == order.number and payload["wms_code"] == "CN-GZ-01"
    assert payload["lines"] == [{"sku": p.sku, "name": p.name, "barcode": p.barcode, "quantity": 2}]
    assert payload["recipient"]["phone"] == "13812341234"  # the warehouse needs the real number
    released_order([(product(), 1, "10.00")])  # SH01, own warehouse
    assert len(instructions) == 1
