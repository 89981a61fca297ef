from decimal import Decimal

import pytest

from aftersales.models import ReturnKind, ReturnPolicy, ReturnStatus, ShippingFeeRefund
from aftersales.services import LineInspection, return_request_refund
from aftersales.tests.factories import (
    approve,
    delivered_order,
    inspect_all,
    invoiced_order,
    receive_all,
    request_for,
)
from catalog.tests.factories import ProductFactory
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from orders.models import OrderEvent, OrderStatus

pytestmark = pytest.mark.django_db


def inspected(order, actor_as, actor_wh, lines=None, reason_code="no_reason", results=None):
    request = approve(request_for(order, lines=lines, reason_code=reason_code), actor_as)
    request = receive_all(request, actor_wh)
    return inspect_all(request, actor_wh, results=results)


@pytest.fixture
def order():
    return delivered_order(lines=[(ProductFactory(sku="A-1"), 3, "100.00"), (ProductFactory(sku="B-1"), 1, "50.00")],
                           shipping_fee="10.00")


def test_full_refund_of_what_passed_qc(order, aftersales_clerk, warehouse_clerk):
    request = inspected(order, aftersales_clerk, warehouse_clerk, lines=[("A-1", 2)])
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="退款")
    assert request.status == ReturnStatus.REFUNDED and request.settled_at is not None
    assert request.refund_amount == Decimal("200.00") and request.shipping_fee_refunded == Decimal("0.00")
    line = request.lines.get()
    assert (line.quantity_refunded, line.refund_amount) == (2, Decimal("200.00"))
    event = OrderEvent.objects.filter(order=order).last()
    assert event.kind == "return_refunded"
    assert event.data["amount"] == "200.00" and event.data["partial"] is False
    assert "¥200.00" in event.message


def test_damaged_units_are_not_refunded_for_a_no_reason_return(order, aftersales_clerk, warehouse_clerk):
    request = approve(request_for(order, lines=[("A-1", 2)]), aftersales_clerk)
    request = receive_all(request, warehouse_clerk)
    line = request.lines.get()
    request = inspect_all(request, warehouse_clerk, results={line.pk: LineInspection(passed=1, damaged=1, note="划痕")})
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="扣除损坏件")
    assert request.refund_amount == Decimal("100.00")


def test_damaged_units_are_refunded_when_the_seller_is_at_fault_with_the_shipping_fee(order, aftersales_clerk,
                                                                                        warehouse_clerk):
    request = approve(request_for(order, lines=[("A-1", 2)], reason_code="quality"), aftersales_clerk)
    request = receive_all(request, warehouse_clerk)
    line = request.lines.get()
    request = inspect_all(request, warehouse_clerk, results={
        line.pk: LineInspection(passed=1, damaged=1, note="开胶")})
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="质量问题全额退")
    assert request.refund_amount == Decimal("210.00") and request.shipping_fee_refunded == Decimal("10.00")


def test_wrong_items_are_never_refunded(order, aftersales_clerk, warehouse_clerk):
    request = approve(request_for(order, lines=[("B-1", 1)], reason_code="quality"), aftersales_clerk)
    request = receive_all(request, warehouse_clerk)
    line = request.lines.get()
    request = inspect_all(request, warehouse_clerk, results={line.pk: LineInspection(wrong=1, note="寄回的是别家商品")})
    with pytest.raises(ValidationFailed) as exc:
        return_request_refund(request=request, actor=aftersales_clerk, comment="退款")
    assert "amount" in exc.value.errors


@pytest.mark.parametrize("rule, reason_code, whole, expected_fee", [
    (ShippingFeeRefund.NEVER, "quality", True, "0.00"),
    (ShippingFeeRefund.SELLER_FAULT, "no_reason", True, "0.00"),
    (ShippingFeeRefund.SELLER_FAULT, "quality", False, "10.00"),
    (ShippingFeeRefund.FULL_RETURN, "no_reason", True, "10.00"),
    (ShippingFeeRefund.FULL_RETURN, "quality", False, "0.00"),
    (ShippingFeeRefund.SELLER_FAULT_OR_FULL_RETURN, "no_reason", True, "10.00"),
    (ShippingFeeRefund.SELLER_FAULT_OR_FULL_RETURN, "no_reason", False, "0.00"),
])
def test_shipping_fee_by_rule(order, aftersales_clerk, warehouse_clerk, rule, reason_code, whole, expected_fee):
    ReturnPolicy.objects.update(shipping_fee_refund=rule)
    lines = None if whole else [("A-1", 1)]
    request = inspected(order, aftersales_clerk, warehouse_clerk, lines=lines, reason_code=reason_code)
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="退款")
    assert request.shipping_fee_refunded == Decimal(expected_fee)
    goods = Decimal("350.00") if whole else Decimal("100.00")
    assert request.refund_amount == goods + Decimal(expected_fee)


def test_shipping_fee_is_refunded_once_per_order(order, aftersales_clerk, warehouse_clerk):
    first = inspected(order, aftersales_clerk, warehouse_clerk, lines=[("A-1", 1)], reason_code="quality")
    assert return_request_refund(request=first, actor=aftersales_clerk, comment="退").shipping_fee_refunded == 10
    second = inspected(order, aftersales_clerk, warehouse_clerk, lines=[("B-1", 1)], reason_code="quality")
    assert return_request_refund(request=second, actor=aftersales_clerk, comment="退").shipping_fee_refunded == 0


def test_partial_refund_is_spread_over_lines_and_shipping(order, aftersales_clerk, warehouse_clerk):
    request = inspected(order, aftersales_clerk, warehouse_clerk, reason_code="quality")
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="协商部分退款", amount="180.00")
    a, b = request.lines.order_by("pk")
    assert request.refund_amount == Decimal("180.00")
    assert a.refund_amount + b.refund_amount + request.shipping_fee_refunded == Decimal("180.00")
    assert a.refund_amount > b.refund_amount > request.shipping_fee_refunded > 0
    event = OrderEvent.objects.filter(order=order).last()
    assert event.data["partial"] is True and event.data["quoted"] == "360.00"


def test_more_than_the_quote_is_refused(order, aftersales_clerk, warehouse_clerk):
    request = inspected(order, aftersales_clerk, warehouse_clerk, lines=[("A-1", 1)])
    with pytest.raises(ValidationFailed) as exc:
        return_request_refund(request=request, actor=aftersales_clerk, comment="多退", amount="100.01")
    assert "amount" in exc.value.errors
    with pytest.raises(ValidationFailed):
        return_request_refund(request=request, actor=aftersales_clerk, comment="x", amount="abc")


def test_last_units_take_the_rounding_rest_so_all_units_add_up_to_the_line(aftersales_clerk, warehouse_clerk):
    order = delivered_order(lines=[(ProductFactory(sku="C-1"), 3, "33.33")], shipping_fee="0")
    amounts = []
    for _ in range(3):
        request = inspected(order, aftersales_clerk, warehouse_clerk, lines=[("C-1", 1)])
        amounts.append(return_request_refund(request=request, actor=aftersales_clerk, comment="退").refund_amount)
    assert sum(amounts) == Decimal("99.99")


def test_refund_never_exceeds_what_was_paid(aftersales_clerk, warehouse_clerk):
    from aftersales.tests.factories import ship_all
    from finance import services as finance

    # Cash on delivery, shipped; the courier remitted only part of the cash so far.
    order = ship_all(invoiced_order(lines=[(ProductFactory(sku="A-1"), 1, "100.00")], shipping_fee="0", method="cod"))
    finance.cod_collect(order=order, amount="60.00", reference="COD-1", actor=aftersales_clerk)
    request = inspected(order, aftersales_clerk, warehouse_clerk)
    assert return_request_refund(request=request, actor=aftersales_clerk, comment="退").refund_amount == 60


def test_refund_only_is_refunded_from_approved(aftersales_clerk):
    order = delivered_order(lines=[(ProductFactory(sku="A-1"), 2, "30.00")])
    request = approve(request_for(order, kind=ReturnKind.REFUND_ONLY, reason_code="missing_parts",
                                  lines=[("A-1", 1)]), aftersales_clerk)
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="少件")
    assert request.status == ReturnStatus.REFUNDED and request.refund_amount == Decimal("40.00")  # + shipping fee


def test_refund_before_shipment_cancels_the_order(aftersales_clerk):
    order = invoiced_order(lines=[(ProductFactory(sku="A-1"), 1, "100.00")])
    request = request_for(order, kind=ReturnKind.REFUND_ONLY, reason_code="changed_mind", lines=[])
    request = approve(request, aftersales_clerk, comment="未发货，取消订单")
    assert request.status == ReturnStatus.REFUNDED
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    kinds = list(OrderEvent.objects.filter(order=order).order_by("id").values_list("kind", flat=True))
    tail = kinds[kinds.index("return_approved"):]
    assert tail[0] == "return_approved" and tail[-1] == "return_refunded" and "cancelled" in tail
    # The goods stages acted on the cancellation: stock released, shipment withdrawn.
    assert sum(r.quantity for r in order.reservations.all()) == 0
    assert set(order.shipments.values_list("status", flat=True)) == {"cancelled"}


def test_refund_before_shipment_fails_cleanly_once_the_order_shipped(aftersales_clerk):
    from aftersales.tests.factories import ship_all

    order = invoiced_order()
    request = request_for(order, kind=ReturnKind.REFUND_ONLY, reason_code="changed_mind", lines=[])
    ship_all(order)
    with pytest.raises(InvalidTransition):
        approve(request, aftersales_clerk)
    request.refresh_from_db()
    assert request.status == ReturnStatus.REQUESTED


def test_only_inspected_returns_are_refunded_and_only_by_those_allowed(order, aftersales_clerk, warehouse_clerk):
    request = approve(request_for(order, lines=[("A-1", 1)]), aftersales_clerk)
    with pytest.raises(InvalidTransition):
        return_request_refund(request=request, actor=aftersales_clerk, comment="退")
    request = inspect_all(receive_all(request, warehouse_clerk), warehouse_clerk)
    with pytest.raises(PermissionDenied):
        return_request_refund(request=request, actor=warehouse_clerk, comment="退")


def test_exchanges_are_not_refunded(order, aftersales_clerk, warehouse_clerk):
    request = approve(request_for(order, kind=ReturnKind.EXCHANGE, lines=[("A-1", 1)]), aftersales_clerk)
    request = inspect_all(receive_all(request, warehouse_clerk), warehouse_clerk)
    with pytest.raises(InvalidTransition):
        return_request_refund(request=request, actor=aftersales_clerk, comment="退")
