from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from inventory.models import Stock
from inventory.selectors import stock_drift
from inventory.services import ReceiptLine, stock_receive
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory, stock_up
from oms.workflow.services import backorder_queue, retry_backorders, submit_order
from orders.models import OrderStatus
from orders.tests.factories import order_input

pytestmark = pytest.mark.django_db


def backorder(product, quantity, *, hours_ago, **extra):
    data = order_input(lines=[(product, quantity, "10.00")], ordered_at=timezone.now() - timedelta(hours=hours_ago),
                       **extra)
    order = submit_order(data=data, payment=None, actor=SYSTEM)
    assert order.hold_reasons == ["stock_shortage"]
    return order


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="SH01")


def receive(product, quantity):
    stock_receive(warehouse="SH01", lines=[ReceiptLine(sku=product.sku, quantity=quantity)], actor=TEST_ACTOR)


def test_queue_is_orders_held_only_for_stock_oldest_first(warehouse):
    product = ProductFactory()
    newer = backorder(product, 1, hours_ago=1)
    older = backorder(product, 1, hours_ago=5)
    also_bad_address = submit_order(data=order_input(lines=[(product, 1, "10.00")], province="火星省"),
                                    payment=None, actor=SYSTEM)
    assert also_bad_address.status == OrderStatus.ON_HOLD
    assert list(backorder_queue()) == [older, newer]
    assert list(backorder_queue(product_ids=[ProductFactory().pk])) == []


def test_first_ordered_first_served(warehouse):
    product = ProductFactory()
    newer = backorder(product, 2, hours_ago=1)
    older = backorder(product, 2, hours_ago=5)
    receive(product, 3)
    result = retry_backorders(product_ids=[product.pk], actor=SYSTEM)
    assert result.released == [older.number]
    assert result.still_waiting == [newer.number]
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.status == OrderStatus.AWAITING_PAYMENT and older.hold_reasons == []
    assert newer.status == OrderStatus.ON_HOLD
    assert older.events.filter(kind="stock_reserved").count() == 1
    # The order that still waits gets no new timeline entries from the retry.
    assert list(newer.events.values_list("kind", flat=True)) == ["created", "held"]
    assert stock_drift() == []


def test_a_big_waiting_order_does_not_block_a_smaller_later_one(warehouse):
    product = ProductFactory()
    big = backorder(product, 10, hours_ago=5)
    small = backorder(product, 2, hours_ago=1)
    receive(product, 3)
    result = retry_backorders(actor=SYSTEM)
    assert result.released == [small.number] and result.still_waiting == [big.number]


def test_orders_approved_or_cancelled_meanwhile_are_skipped(warehouse):
    from orders.services import order_cancel

    product = ProductFactory()
    order = backorder(product, 1, hours_ago=1)
    order_cancel(order=order, actor=SYSTEM, reason="不要了")
    receive(product, 5)
    assert retry_backorders(actor=SYSTEM).released == []
    assert Stock.objects.get(product=product).reserved == 0


def test_multi_line_order_waits_until_every_line_fits(warehouse):
    a, b = ProductFactory(), ProductFactory()
    stock_up(a, 5, warehouse)
    order = submit_order(data=order_input(lines=[(a, 1, "10.00"), (b, 1, "10.00")]), payment=None, actor=SYSTEM)
    assert order.hold_reasons == ["stock_shortage"]
    assert retry_backorders(actor=SYSTEM).still_waiting == [order.number]
    assert Stock.objects.get(product=a).reserved == 0  # all or nothing
    receive(b, 1)
    assert retry_backorders(product_ids=[b.pk], actor=SYSTEM).released == [order.number]
