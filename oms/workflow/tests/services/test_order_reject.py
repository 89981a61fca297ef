import pytest

from core import hooks
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from oms.workflow.tests.factories import held_for_address
from orders.models import OrderStatus
from orders.services import order_reject
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def test_reviewer_rejects_and_the_order_is_cancelled(reviewer):
    order = held_for_address()
    cancelled = []
    handler = hooks.order_cancelled.register(lambda payload: cancelled.append(payload.reason))
    try:
        rejected = order_reject(order=order, actor=reviewer, comment="虚假地址")
    finally:
        hooks.order_cancelled.unregister(handler)
    assert rejected.status == OrderStatus.CANCELLED
    assert rejected.hold_reasons == []
    assert cancelled == ["虚假地址"]  # stock release and refunds hang off this hook
    event = rejected.events.order_by("-id").first()
    assert event.kind == "rejected" and "虚假地址" in event.message and event.actor == reviewer


def test_comment_is_required(reviewer):
    order = held_for_address()
    with pytest.raises(ValidationFailed):
        order_reject(order=order, actor=reviewer, comment="")
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_warehouse_clerk_cannot_reject(warehouse_clerk):
    order = held_for_address()
    with pytest.raises(PermissionDenied):
        order_reject(order=order, actor=warehouse_clerk, comment="no")
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_only_held_orders_can_be_rejected(reviewer):
    order = create_order()  # pending review
    with pytest.raises(InvalidTransition):
        order_reject(order=order, actor=reviewer, comment="no")
