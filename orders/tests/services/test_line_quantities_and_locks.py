"""The two plain-SQL helpers every goods-flow writer goes through: the order lock and the line summaries."""

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError

from catalog.tests.factories import ProductFactory
from orders.lock_objects import lock_order
from orders.models import Order, OrderLine
from orders.services import order_line_quantities_set
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def test_lock_order_returns_the_whole_row():
    order = create_order()
    with transaction.atomic():
        locked = lock_order(order.pk)
    assert isinstance(locked, Order)
    assert (locked.pk, locked.number, locked.status, locked.total, locked.channel_id) == (
        order.pk, order.number, order.status, order.total, order.channel_id)
    assert locked.channel.code == order.channel.code  # relations load as on any instance


def test_lock_order_of_a_missing_order_raises_does_not_exist():
    with transaction.atomic(), pytest.raises(Order.DoesNotExist):
        lock_order(10**9)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lock_order_refuses_to_run_outside_a_transaction():
    order = create_order()
    with pytest.raises(TransactionManagementError):
        lock_order(order)


def test_line_quantities_are_written_per_line():
    order = create_order(lines=[(ProductFactory(), 2), (ProductFactory(), 3)])
    first, second = order.lines.order_by("pk")
    order_line_quantities_set(lines={second.pk: {"quantity_reserved": 2, "quantity_shipped": 1},
                                     first.pk: {"quantity_reserved": 1}})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.quantity_reserved, first.quantity_shipped) == (1, 0)
    assert (second.quantity_reserved, second.quantity_shipped) == (2, 1)


def test_unknown_line_or_column_changes_nothing():
    order = create_order()
    line = order.lines.first()
    with pytest.raises(ValueError, match="not a line quantity"):
        order_line_quantities_set(lines={line.pk: {"quantity": 9}})
    with pytest.raises(OrderLine.DoesNotExist, match="not found"), transaction.atomic():
        order_line_quantities_set(lines={line.pk: {"quantity_reserved": 1}, 10**9: {"quantity_reserved": 1}})
    assert OrderLine.objects.get(pk=line.pk).quantity_reserved == 0


@pytest.mark.parametrize("lines", [2, 60])  # one statement per line, or (PostgreSQL, ≥ 50) one for all
def test_many_line_summaries_at_once(lines):
    from core import bulk

    order = create_order(lines=[(ProductFactory(), 3) for _ in range(lines)])
    ids = list(order.lines.order_by("pk").values_list("pk", flat=True))
    order_line_quantities_set(lines={pk: {"quantity_reserved": n % 4, "quantity_shipped": n % 2}
                                     for n, pk in enumerate(ids)})
    assert list(order.lines.order_by("pk").values_list("quantity_reserved", "quantity_shipped")) == [
        (n % 4, n % 2) for n in range(lines)]
    assert (lines >= bulk.UPDATE_FROM_VALUES) == (lines == 60)


@pytest.mark.parametrize("lines", [2, 60])
def test_in_a_write_pipeline_unknown_lines_are_caught_when_the_results_arrive(lines):
    """PostgreSQL sends the writes of a `write_pipeline` block without waiting (SQLite: no-op)."""
    from core.bulk import in_pipeline, write_pipeline

    order = create_order(lines=[(ProductFactory(), 3) for _ in range(lines)])
    ids = list(order.lines.values_list("pk", flat=True))
    with transaction.atomic(), write_pipeline():
        assert in_pipeline(transaction.get_connection()) == (transaction.get_connection().vendor == "postgresql")
        order_line_quantities_set(lines={pk: {"quantity_reserved": 1} for pk in ids})
    assert set(order.lines.values_list("quantity_reserved", flat=True)) == {1}
    with pytest.raises(OrderLine.DoesNotExist), transaction.atomic(), write_pipeline():
        order_line_quantities_set(lines={pk: {"quantity_reserved": 2} for pk in [*ids, 10**9]})
        order_line_quantities_set(lines={10**9 + 1: {"quantity_reserved": 2}})  # a second failing check
    assert set(order.lines.values_list("quantity_reserved", flat=True)) == {1}  # rolled back
    assert getattr(transaction.get_connection(), "_oms_pipeline_checks", []) == []  # all run, cursors closed
    # In a pipeline the check waits for the results, so the block's own error comes first and wins;
    # without one (SQLite) the check fails at once.
    pipelined = transaction.get_connection().vendor == "postgresql"
    with pytest.raises(RuntimeError if pipelined else OrderLine.DoesNotExist), transaction.atomic(), write_pipeline():
        order_line_quantities_set(lines={10**9: {"quantity_reserved": 2}})
        raise RuntimeError("the block fails")
    assert getattr(transaction.get_connection(), "_oms_pipeline_checks", []) == []


def test_timeline_entries_are_written_in_chinese_whatever_the_clerks_language():
    """An English-speaking clerk's actions land in the (Chinese) timeline in Chinese."""
    from django.utils import translation

    from orders.services import order_cancel, order_change_address

    order = create_order()
    with translation.override("en"):
        order_change_address(order=order, actor=None, comment="客户来电", address_detail="文一路 9 号")
        order_cancel(order=order, reason="客户取消", actor=None)
    messages = dict(order.events.values_list("kind", "message"))
    assert messages["address_changed"] == "已修改收货地址：客户来电"
    assert messages["cancelled"] == "已取消：客户取消"
