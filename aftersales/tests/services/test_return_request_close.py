import pytest

from aftersales.models import ReturnStatus
from aftersales.rules import returnable_quantities
from aftersales.services import return_request_close, return_request_refund
from aftersales.tests.factories import approve, delivered_order, inspect_all, receive_all, request_for
from catalog.tests.factories import ProductFactory
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return delivered_order(lines=[(ProductFactory(sku="A-1"), 2, "100.00")])


def test_a_refunded_request_is_closed_with_a_comment(order, aftersales_clerk, warehouse_clerk):
    request = inspect_all(receive_all(approve(request_for(order), aftersales_clerk), warehouse_clerk), warehouse_clerk)
    request = return_request_refund(request=request, actor=aftersales_clerk, comment="退款")
    request = return_request_close(request=request, actor=aftersales_clerk, comment="已到账")
    assert request.status == ReturnStatus.CLOSED and request.closed_at is not None
    event = OrderEvent.objects.filter(order=order).last()
    assert event.kind == "return_closed" and event.data["settled"] is True


def test_a_request_never_sent_back_is_closed_and_gives_its_units_back(order, aftersales_clerk):
    request = approve(request_for(order), aftersales_clerk)
    lines = list(order.lines.all())
    assert returnable_quantities(order, lines) == {lines[0].pk: 0}
    request = return_request_close(request=request, actor=aftersales_clerk, comment="客户超期未寄回")
    assert request.status == ReturnStatus.CLOSED
    assert OrderEvent.objects.filter(order=order).last().data["settled"] is False
    assert returnable_quantities(order, lines) == {lines[0].pk: 2}


def test_received_goods_must_be_inspected_before_closing(order, aftersales_clerk, warehouse_clerk):
    request = receive_all(approve(request_for(order), aftersales_clerk), warehouse_clerk)
    with pytest.raises(InvalidTransition):
        return_request_close(request=request, actor=aftersales_clerk, comment="关")


def test_requested_and_rejected_cannot_be_closed(order, aftersales_clerk):
    request = request_for(order)
    with pytest.raises(InvalidTransition):
        return_request_close(request=request, actor=aftersales_clerk, comment="关")


def test_comment_and_permission_required(order, aftersales_clerk, warehouse_clerk):
    request = approve(request_for(order), aftersales_clerk)
    with pytest.raises(ValidationFailed):
        return_request_close(request=request, actor=aftersales_clerk, comment="")
    with pytest.raises(PermissionDenied):
        return_request_close(request=request, actor=warehouse_clerk, comment="关")
