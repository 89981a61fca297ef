from decimal import Decimal

import pytest

from aftersales.models import ReturnKind, ReturnStatus
from aftersales.services import LineInspection, return_request_exchange
from aftersales.tests.factories import approve, delivered_order, inspect_all, receive_all, request_for, stocked
from catalog.tests.factories import ProductFactory
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from orders.models import Order, OrderEvent, OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    stocked(ProductFactory(sku="TEE-L", price=Decimal("79.00")), 5)
    return delivered_order(lines=[(ProductFactory(sku="TEE-M", price=Decimal("79.00")), 2, "79.00")])


def inspected_exchange(order, as_clerk, wh_clerk, lines, results=None, reason_code="wrong_size"):
    request = approve(request_for(order, kind=ReturnKind.EXCHANGE, reason_code=reason_code, lines=lines), as_clerk)
    return inspect_all(receive_all(request, wh_clerk), wh_clerk, results=results)


def test_exchange_creates_a_no_charge_replacement_order_linked_to_the_request(order, aftersales_clerk,
                                                                              warehouse_clerk):
    request = inspected_exchange(order, aftersales_clerk, warehouse_clerk, lines=[("TEE-M", 2, "TEE-L")])
    request = return_request_exchange(request=request, actor=aftersales_clerk, comment="换大一号")
    assert request.status == ReturnStatus.EXCHANGED
    replacement = request.replacement_order
    assert replacement.replacement_for == request
    assert replacement.total == Decimal("0.00") and replacement.shipping_fee == Decimal("0.00")
    assert replacement.status == OrderStatus.AWAITING_SHIPMENT
    # Reserved and planned for shipping by the normal goods stages.
    assert [(r.order_line.sku, r.quantity) for r in replacement.reservations.all()] == [("TEE-L", 2)]
    [shipment] = replacement.shipments.all()
    assert [(line.order_line.sku, line.quantity) for line in shipment.lines.all()] == [("TEE-L", 2)]
    assert [(line.sku, line.quantity, line.unit_price) for line in replacement.lines.all()] == [
        ("TEE-L", 2, Decimal("0.00"))]
    assert (replacement.customer_id, replacement.address_detail, replacement.channel_id) == (
        order.customer_id, order.address_detail, order.channel_id)
    assert replacement.external_id == request.number
    event = OrderEvent.objects.filter(order=order).last()
    assert event.kind == "return_exchanged" and event.data["replacement_order"] == replacement.number
    assert event.data["lines"] == [{"sku": "TEE-M", "replacement_sku": "TEE-L", "quantity": 2}]
    # The original order keeps its own history: not reopened, nothing refunded.
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.refunded_amount == 0


def test_only_units_that_passed_get_a_replacement(order, aftersales_clerk, warehouse_clerk):
    request = approve(request_for(order, kind=ReturnKind.EXCHANGE, reason_code="wrong_size",
                                  lines=[("TEE-M", 2)]), aftersales_clerk)
    request = receive_all(request, warehouse_clerk)
    line = request.lines.get()
    request = inspect_all(request, warehouse_clerk, results={line.pk: LineInspection(passed=1, damaged=1,
                                                                                     note="已洗过")})
    request = return_request_exchange(request=request, actor=aftersales_clerk, comment="一件换新")
    assert [(line.sku, line.quantity) for line in request.replacement_order.lines.all()] == [("TEE-M", 1)]


def test_nothing_passed_means_nothing_to_exchange(order, aftersales_clerk, warehouse_clerk):
    request = approve(request_for(order, kind=ReturnKind.EXCHANGE, reason_code="wrong_size",
                                  lines=[("TEE-M", 1)]), aftersales_clerk)
    request = receive_all(request, warehouse_clerk)
    line = request.lines.get()
    request = inspect_all(request, warehouse_clerk, results={line.pk: LineInspection(wrong=1, note="非本店商品")})
    count = Order.objects.count()
    with pytest.raises(ValidationFailed):
        return_request_exchange(request=request, actor=aftersales_clerk, comment="换")
    assert Order.objects.count() == count


def test_only_inspected_exchanges_and_only_by_after_sales(order, aftersales_clerk, warehouse_clerk):
    request = approve(request_for(order, kind=ReturnKind.EXCHANGE, reason_code="wrong_size",
                                  lines=[("TEE-M", 1)]), aftersales_clerk)
    with pytest.raises(InvalidTransition):
        return_request_exchange(request=request, actor=aftersales_clerk, comment="换")
    request = inspect_all(receive_all(request, warehouse_clerk), warehouse_clerk)
    with pytest.raises(PermissionDenied):
        return_request_exchange(request=request, actor=warehouse_clerk, comment="换")
    with pytest.raises(ValidationFailed):
        return_request_exchange(request=request, actor=aftersales_clerk, comment="")


def test_a_return_for_refund_cannot_be_exchanged(order, aftersales_clerk, warehouse_clerk):
    request = approve(request_for(order, lines=[("TEE-M", 1)]), aftersales_clerk)
    request = inspect_all(receive_all(request, warehouse_clerk), warehouse_clerk)
    with pytest.raises(InvalidTransition):
        return_request_exchange(request=request, actor=aftersales_clerk, comment="换")


def test_replacement_waits_in_the_backorder_queue_when_stock_is_short(aftersales_clerk, warehouse_clerk):
    ProductFactory(sku="TEE-XL", price=Decimal("79.00"))  # none in stock
    order = delivered_order(lines=[(ProductFactory(sku="TEE-S", price=Decimal("79.00")), 1, "79.00")])
    request = inspected_exchange(order, aftersales_clerk, warehouse_clerk, lines=[("TEE-S", 1, "TEE-XL")])
    request = return_request_exchange(request=request, actor=aftersales_clerk, comment="换XL")
    replacement = request.replacement_order
    assert replacement.status == OrderStatus.ON_HOLD and replacement.hold_reasons == ["stock_shortage"]
    assert not replacement.reservations.exists() and not replacement.shipments.exists()
