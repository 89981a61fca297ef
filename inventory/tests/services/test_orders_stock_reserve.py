"""Reserving a batch of orders at once must give exactly what reserving them one by one gives."""

import random

import pytest
from django.db import transaction

from catalog.tests.factories import ProductFactory
from core.errors import InsufficientStock, InvalidTransition
from inventory.models import Reservation, Stock, StockMovement
from inventory.selectors import stock_drift
from inventory.services import order_stock_reserve, orders_stock_reserve
from inventory.tests.factories import TEST_ACTOR, stock_up
from orders.models import Order, OrderEvent, OrderStatus
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def snapshot():
    """Everything a reservation writes, without ids: levels, reservations, ledger, lines, events."""
    return {
        "stock": sorted(Stock.objects.values_list("warehouse__code", "product__sku", "on_hand", "reserved")),
        "reservations": sorted(Reservation.objects.values_list("order__external_id", "order_line__sku",
                                                               "stock__warehouse__code", "lot__batch_number",
                                                               "quantity")),
        "ledger": sorted(StockMovement.objects.filter(kind="reservation").values_list(
            "order__external_id", "order_line__sku", "stock__warehouse__code", "lot__batch_number",
            "reserved_delta", "reference")),
        "events": sorted((e.order.external_id, e.message, str(e.data)) for e in
                         OrderEvent.objects.filter(kind="stock_reserved").select_related("order")),
    }


def test_a_batch_reserves_exactly_what_one_by_one_would(warehouses):
    rng = random.Random(7)
    products = [ProductFactory() for _ in range(6)]
    for wh in warehouses:
        for product in products:
            if rng.random() < 0.7:
                stock_up(product, rng.randint(1, 6), wh, batch_number=f"B{rng.randint(1, 3)}")
    provinces = ["浙江省", "北京市", "广东省", "四川省"]
    orders = [create_order(lines=[(p, rng.randint(1, 4)) for p in rng.sample(products, rng.randint(1, 3))],
                           province=rng.choice(provinces)) for _ in range(25)]

    with transaction.atomic():
        one_by_one_short = set()
        for order in orders:
            try:
                order_stock_reserve(order=order, actor=TEST_ACTOR)
            except InsufficientStock:
                one_by_one_short.add(order.pk)
        expected = snapshot()
        transaction.set_rollback(True)

    batch = orders_stock_reserve(orders=orders, actor=TEST_ACTOR)
    assert set(batch.short) == one_by_one_short
    assert set(batch.reserved) == {o.pk for o in orders} - one_by_one_short
    assert 0 < len(one_by_one_short) < len(orders)  # the data exercises both paths
    assert snapshot() == expected
    assert stock_drift() == []


def test_first_come_first_served_and_a_smaller_later_order_still_fits(warehouses):
    sh, _bj, _gz = warehouses
    a = stock_up(ProductFactory(), 5, sh)
    first, big, small = (create_order(lines=[(a, qty)], province="浙江省") for qty in (3, 3, 2))
    batch = orders_stock_reserve(orders=[first, big, small], actor=TEST_ACTOR)
    assert set(batch.reserved) == {first.pk, small.pk}
    shortage = batch.short[big.pk]
    assert shortage.data["shortages"] == [{"sku": a.sku, "requested": 3, "available": 2}]
    assert not Reservation.objects.filter(order=big).exists()
    assert big.lines.get().quantity_reserved == 0
    assert Stock.objects.get(product=a).reserved == 5
    assert stock_drift() == []


def test_the_order_given_is_the_order_served(warehouses):
    sh, _bj, _gz = warehouses
    a = stock_up(ProductFactory(), 5, sh)
    first, second = (create_order(lines=[(a, 3)], province="浙江省") for _ in range(2))
    batch = orders_stock_reserve(orders=[second, first], actor=TEST_ACTOR)
    assert set(batch.reserved) == {second.pk} and set(batch.short) == {first.pk}


def test_orders_that_may_not_reserve_stop_the_batch(warehouses):
    sh, _bj, _gz = warehouses
    a = stock_up(ProductFactory(), 5, sh)
    ok = create_order(lines=[(a, 1)])
    cancelled = create_order(lines=[(a, 1)])
    Order.objects.filter(pk=cancelled.pk).update(status=OrderStatus.CANCELLED)
    with pytest.raises(InvalidTransition):
        orders_stock_reserve(orders=[ok, cancelled], actor=TEST_ACTOR)
    assert Stock.objects.get(product=a).reserved == 0


def test_an_order_already_reserved_takes_nothing_more(warehouses):
    sh, _bj, _gz = warehouses
    a = stock_up(ProductFactory(), 5, sh)
    order = create_order(lines=[(a, 2)])
    order_stock_reserve(order=order, actor=TEST_ACTOR)
    batch = orders_stock_reserve(orders=[order], actor=TEST_ACTOR)
    assert batch.reserved[order.pk].rows == [] and not batch.short
    assert Stock.objects.get(product=a).reserved == 2


def test_an_order_given_twice_is_served_once(warehouses):
    sh, _bj, _gz = warehouses
    a = ProductFactory()
    stock_up(a, 2, sh, batch_number="L1")
    stock_up(a, 2, sh, batch_number="L2")  # enough free stock for a second helping, which must not happen
    order = create_order(lines=[(a, 2)])
    batch = orders_stock_reserve(orders=[order, order], actor=TEST_ACTOR)
    assert list(batch.reserved) == [order.pk] and not batch.short
    assert sum(Reservation.objects.filter(order=order).values_list("quantity", flat=True)) == 2
    assert order.lines.get().quantity_reserved == 2
    assert stock_drift() == []


def test_no_orders_reserve_nothing():
    batch = orders_stock_reserve(orders=[], actor=TEST_ACTOR)
    assert batch.reserved == {} and batch.short == {}
