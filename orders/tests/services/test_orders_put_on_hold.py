"""`orders_put_on_hold`: many orders held at once, exactly as one by one."""

import pytest

from orders.models import Order
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def test_holding_many_orders_at_once_is_holding_each():
    from core import hooks
    from orders.services import HoldReason, order_put_on_hold, orders_put_on_hold

    one, many_a, many_b = (create_order() for _ in range(3))
    order_put_on_hold(order=one, reasons=[HoldReason("stock_shortage", "缺货")], actor=None)
    seen = []
    hooks.order_status_changed.register(seen.append)
    try:
        orders_put_on_hold(holds=[(many_b, [HoldReason("stock_shortage", "缺货")]),
                                  (many_a, [HoldReason("stock_shortage", "缺货")])], actor=None)
    finally:
        hooks.order_status_changed.unregister(seen.append)
    assert [p.order.pk for p in seen] == sorted([many_a.pk, many_b.pk])

    def written(order):
        order = Order.objects.get(pk=order.pk)
        event = order.events.get(kind="held")
        history = order.history.latest("history_id")
        return (order.status, order.hold_reasons, event.message, event.data, history.history_type, history.status)

    assert written(many_a) == written(many_b) == written(one)


def test_orders_held_in_bulk_can_be_saved_again():
    """django-fsm's concurrent-transition guard must know the held status written in bulk."""
    from orders.services import HoldReason, orders_put_on_hold

    order = create_order()
    [held] = orders_put_on_hold(holds=[(order, [HoldReason("stock_shortage", "缺货")])], actor=None)
    held.note = "已联系客户"
    held.save()
    assert Order.objects.get(pk=order.pk).note == "已联系客户"
