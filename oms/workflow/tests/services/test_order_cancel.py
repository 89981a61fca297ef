import pytest

from core.enums import Role
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from oms.workflow.tests.factories import held_for_address
from orders.models import OrderStatus
from orders.services import order_cancel

pytestmark = pytest.mark.django_db


def test_customer_service_cancels_with_a_reason(make_user):
    clerk = make_user("cs", Role.CUSTOMER_SERVICE)
    order = held_for_address()
    cancelled = order_cancel(order=order, actor=clerk, reason="客户要求取消")
    assert cancelled.status == OrderStatus.CANCELLED
    assert cancelled.events.filter(kind="cancelled", actor=clerk).exists()


def test_reason_required_and_permission_checked(make_user, warehouse_clerk):
    order = held_for_address()
    with pytest.raises(ValidationFailed):
        order_cancel(order=order, actor=make_user("cs", Role.CUSTOMER_SERVICE), reason="")
    with pytest.raises(PermissionDenied):
        order_cancel(order=order, actor=warehouse_clerk, reason="x")


def test_cancelled_order_cannot_be_cancelled_again(reviewer):
    order = held_for_address()
    order_cancel(order=order, actor=reviewer, reason="a")
    with pytest.raises(InvalidTransition):
        order_cancel(order=order, actor=reviewer, reason="b")
