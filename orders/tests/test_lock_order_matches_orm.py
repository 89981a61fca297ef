"""`lock_order` (plain SQL, the first statement of every order writer) against the ORM's row lock.

It must return the same instance `order_qs_for_update().get()` returns — every concrete field, none
deferred — and lock the same row (and only it: not the channel or customer rows it joins), so that
a Django upgrade changing what the ORM loads or locks fails here.
"""

import pytest
from django.db import transaction

from orders.lock_objects import lock_order, order_qs_for_update
from orders.models import Order
from orders.services import HoldReason, order_put_on_hold
from orders.tests.factories import create_order
from tests.row_locks import locked_rows


def values(order: Order) -> dict:
    return {field.attname: getattr(order, field.attname) for field in Order._meta.concrete_fields}


@pytest.mark.django_db
def test_lock_order_loads_what_the_orm_loads():
    order = create_order(note="备注 “引号”")
    order_put_on_hold(order=order, reasons=[HoldReason("stock_shortage", "缺货")], actor=None)  # JSON, status
    with transaction.atomic():
        raw, orm = lock_order(order.pk), order_qs_for_update().get(pk=order.pk)
    assert raw.get_deferred_fields() == set() and values(raw) == values(orm)
    assert raw._state.adding is False and raw._state.db == orm._state.db
    assert raw.hold_reasons == ["stock_shortage"] and raw.note == "备注 “引号”"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lock_order_locks_the_rows_the_orm_locks():
    order, other = create_order(), create_order()
    for lock in (lambda pk: lock_order(pk), lambda pk: order_qs_for_update().get(pk=pk)):
        with transaction.atomic():
            lock(order.pk)
            assert locked_rows("orders_order", [order.pk, other.pk]) == {order.pk}
            assert locked_rows("orders_channel", [order.channel_id]) == set()
            assert locked_rows("orders_customer", [order.customer_id]) == set()
