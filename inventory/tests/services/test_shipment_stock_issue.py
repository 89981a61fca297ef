import pytest

from catalog.tests.factories import ProductFactory
from core.errors import InsufficientStock, InvalidTransition, ValidationFailed
from inventory.models import MovementKind, Reservation, Stock, StockMovement
from inventory.selectors import order_reservations_by_warehouse, stock_drift
from inventory.services import order_stock_reserve, shipment_stock_issue
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory, priority, stock_up
from orders.models import OrderStatus
from orders.services import order_pass_review
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def split_order():
    """An order for 5 units reserved 2 in SH01 and 3 in BJ01, released for shipment (COD)."""
    sh, bj = WarehouseFactory(code="SH01"), WarehouseFactory(code="BJ01", province="北京市")
    priority("浙江省", sh, bj)
    a = ProductFactory()
    stock_up(a, 2, sh, batch_number="SH-LOT")
    stock_up(a, 10, bj, batch_number="BJ-LOT")
    b = stock_up(ProductFactory(), 4, sh)
    order = create_order(lines=[(a, 5), (b, 1)], province="浙江省", payment_method="cod")
    order_stock_reserve(order=order, actor=TEST_ACTOR)
    order = order_pass_review(order=order, actor=TEST_ACTOR)
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    return order, sh, bj


def test_selector_groups_reservations_by_warehouse(split_order):
    order, sh, bj = split_order
    line_a, line_b = order.lines.order_by("pk")
    by_wh = {r.warehouse_code: r.lines for r in order_reservations_by_warehouse(order=order)}
    assert by_wh == {"SH01": {line_a.pk: 2, line_b.pk: 1}, "BJ01": {line_a.pk: 3}}


def test_issue_takes_reserved_units_out_of_stock(split_order):
    order, sh, bj = split_order
    line_a, line_b = order.lines.order_by("pk")
    result = shipment_stock_issue(order=order, warehouse="SH01", quantities={line_a.pk: 2, line_b.pk: 1},
                                  reference="SHP-1", actor=TEST_ACTOR)
    assert result.lines[line_a.pk] == [{"batch": "SH-LOT", "expiry": None, "quantity": 2}]
    stock = Stock.objects.get(warehouse=sh, product=line_a.product)
    assert (stock.on_hand, stock.reserved) == (0, 0)
    line_a.refresh_from_db()
    assert line_a.quantity_reserved == 3  # the BJ01 part is still reserved
    assert {r.warehouse_code: r.lines for r in order_reservations_by_warehouse(order=order)} == {
        "BJ01": {line_a.pk: 3}}
    assert Reservation.objects.get(order_line=line_a, stock=stock).quantity_issued == 2
    issue_rows = StockMovement.objects.filter(kind=MovementKind.ISSUE, reference="SHP-1")
    assert issue_rows.count() == 2 and all(r.order_id == order.pk for r in issue_rows)
    assert stock_drift() == []


def test_issuing_more_than_reserved_in_that_warehouse_is_refused(split_order):
    order, sh, bj = split_order
    line_a = order.lines.order_by("pk").first()
    before = StockMovement.objects.count()
    with pytest.raises(InsufficientStock) as exc:
        shipment_stock_issue(order=order, warehouse="SH01", quantities={line_a.pk: 3}, reference="SHP-1",
                             actor=TEST_ACTOR)
    assert f"lines.{line_a.pk}" in exc.value.errors
    assert StockMovement.objects.count() == before


@pytest.mark.parametrize("quantities, reference, warehouse", [
    ("empty", "SHP", "SH01"), ("zero", "SHP", "SH01"), ("negative", "SHP", "SH01"), ("line", "", "SH01"),
    ("line", "SHP", "NOWHERE"), ("foreign", "SHP", "SH01"),
])
def test_bad_input_is_a_validation_error(split_order, quantities, reference, warehouse):
    order, sh, bj = split_order
    line_a = order.lines.order_by("pk").first()
    other = create_order().lines.get()
    quantities = {"empty": {}, "zero": {line_a.pk: 0}, "negative": {line_a.pk: -1}, "line": {line_a.pk: 1},
                  "foreign": {other.pk: 1}}[quantities]
    with pytest.raises(ValidationFailed):
        shipment_stock_issue(order=order, warehouse=warehouse, quantities=quantities, reference=reference,
                             actor=TEST_ACTOR)
    assert not StockMovement.objects.filter(kind=MovementKind.ISSUE).exists()


def test_orders_not_released_for_shipment_cannot_issue():
    wh = WarehouseFactory(code="SH01")
    a = stock_up(ProductFactory(), 5, wh)
    order = create_order(lines=[(a, 1)])
    order_stock_reserve(order=order, actor=TEST_ACTOR)  # still pending review / unpaid
    with pytest.raises(InvalidTransition):
        shipment_stock_issue(order=order, warehouse="SH01", quantities={order.lines.get().pk: 1},
                             reference="SHP-1", actor=TEST_ACTOR)
