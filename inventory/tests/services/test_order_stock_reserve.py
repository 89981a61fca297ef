from datetime import date, timedelta

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.actors import actor_name
from core.errors import InsufficientStock, InvalidTransition
from inventory.models import Lot, MovementKind, Reservation, Stock, StockMovement
from inventory.selectors import order_reservations_by_warehouse, stock_drift
from inventory.services import order_stock_release, order_stock_reserve, stock_settings_update
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory, stock_up
from orders.models import OrderEvent
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def reserved_at(order):
    return {(r.warehouse_code, line_id): qty for r in order_reservations_by_warehouse(order=order)
            for line_id, qty in r.lines.items()}


def test_nearest_warehouse_that_has_everything_takes_the_whole_order(warehouses):
    sh, bj, gz = warehouses
    a, b = ProductFactory(), ProductFactory()
    stock_up(a, 10, sh)
    stock_up(a, 10, bj)
    stock_up(b, 10, bj)
    order = create_order(lines=[(a, 2), (b, 1)], province="浙江省")
    result = order_stock_reserve(order=order, actor=TEST_ACTOR)
    # SH01 is nearest for 浙江 but lacks b; BJ01 has both, so the order is not split.
    assert {row["warehouse"] for row in result.rows} == {"BJ01"}
    lines = list(order.lines.order_by("pk"))
    assert reserved_at(order) == {("BJ01", lines[0].pk): 2, ("BJ01", lines[1].pk): 1}
    assert [line.quantity_reserved for line in lines] == [2, 1]
    assert Stock.objects.get(warehouse=bj, product=a).reserved == 2
    assert Stock.objects.get(warehouse=sh, product=a).reserved == 0
    event = OrderEvent.objects.get(order=order, kind="stock_reserved")
    assert event.data["warehouses"] == ["BJ01"] and event.data["split"] is False
    assert "BJ01" in event.message
    assert event.actor_name == actor_name(TEST_ACTOR) and event.actor is None
    assert stock_drift() == []


def test_priority_table_decides_between_warehouses_that_both_fit(warehouses):
    sh, bj, gz = warehouses
    a = ProductFactory()
    for wh in warehouses:
        stock_up(a, 5, wh)
    zj = create_order(lines=[(a, 1)], province="浙江省")
    beijing = create_order(lines=[(a, 1)], province="北京")
    assert order_stock_reserve(order=zj, actor=TEST_ACTOR).rows[0]["warehouse"] == "SH01"
    assert order_stock_reserve(order=beijing, actor=TEST_ACTOR).rows[0]["warehouse"] == "BJ01"


def test_without_a_priority_row_the_same_region_comes_first(warehouses):
    sh, bj, gz = warehouses
    a = ProductFactory()
    for wh in warehouses:
        stock_up(a, 5, wh)
    order = create_order(lines=[(a, 1)], province="广西")  # no table rows; 广西 is in the south like GZ01
    assert order_stock_reserve(order=order, actor=TEST_ACTOR).rows[0]["warehouse"] == "GZ01"


def test_split_uses_fewest_warehouses(warehouses):
    sh, bj, gz = warehouses
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    stock_up(a, 5, sh)   # nearest has only a
    stock_up(b, 5, bj)   # BJ01 only b
    stock_up(b, 5, gz)   # GZ01 has b and c → {SH01, GZ01} covers a, b, c with two warehouses
    stock_up(c, 5, gz)
    order = create_order(lines=[(a, 1), (b, 2), (c, 3)], province="浙江省")
    result = order_stock_reserve(order=order, actor=TEST_ACTOR)
    assert sorted({row["warehouse"] for row in result.rows}) == ["GZ01", "SH01"]
    assert OrderEvent.objects.get(order=order, kind="stock_reserved").data["split"] is True


def test_one_line_split_across_warehouses_when_no_single_one_has_enough(warehouses):
    sh, bj, gz = warehouses
    a = ProductFactory()
    stock_up(a, 3, sh)
    stock_up(a, 4, bj)
    order = create_order(lines=[(a, 6)], province="浙江省")
    order_stock_reserve(order=order, actor=TEST_ACTOR)
    line = order.lines.get()
    assert reserved_at(order) == {("SH01", line.pk): 3, ("BJ01", line.pk): 3}
    assert stock_drift() == []


def test_shortage_reserves_nothing_and_names_the_short_skus(warehouses):
    sh, bj, gz = warehouses
    a, b = ProductFactory(sku="SKU-A"), ProductFactory(sku="SKU-B")
    stock_up(a, 10, sh)
    stock_up(b, 1, bj)
    order = create_order(lines=[(a, 2), (b, 2)], province="浙江省")
    before = StockMovement.objects.count()
    with pytest.raises(InsufficientStock) as exc:
        order_stock_reserve(order=order, actor=TEST_ACTOR)
    assert exc.value.data["shortages"] == [{"sku": "SKU-B", "requested": 2, "available": 1}]
    assert StockMovement.objects.count() == before
    assert Reservation.objects.count() == 0
    assert not OrderEvent.objects.filter(order=order, kind="stock_reserved").exists()
    assert list(order.lines.values_list("quantity_reserved", flat=True)) == [0, 0]


def test_lots_leave_first_expired_then_first_in(warehouses):
    sh = warehouses[0]
    a = ProductFactory()
    now = timezone.now()
    stock_up(a, 2, sh, batch_number="OLD-NO-EXPIRY")
    stock_up(a, 2, sh, batch_number="LATE-EXPIRY", expiry_date=date.today() + timedelta(days=300))
    stock_up(a, 2, sh, batch_number="SOON-EXPIRY", expiry_date=date.today() + timedelta(days=30))
    Lot.objects.filter(batch_number="OLD-NO-EXPIRY").update(received_at=now - timedelta(days=90))
    order = create_order(lines=[(a, 5)], province="上海市")
    result = order_stock_reserve(order=order, actor=TEST_ACTOR)
    assert result.rows[0]["lots"] == [{"batch": "SOON-EXPIRY", "quantity": 2}, {"batch": "LATE-EXPIRY", "quantity": 2},
                                      {"batch": "OLD-NO-EXPIRY", "quantity": 1}]


def test_fifo_by_receipt_date_without_expiry(warehouses):
    sh = warehouses[0]
    a = ProductFactory()
    stock_up(a, 2, sh, batch_number="NEW")
    stock_up(a, 2, sh, batch_number="OLD")
    Lot.objects.filter(batch_number="OLD").update(received_at=timezone.now() - timedelta(days=10))
    order = create_order(lines=[(a, 3)], province="上海市")
    assert order_stock_reserve(order=order, actor=TEST_ACTOR).rows[0]["lots"] == [
        {"batch": "OLD", "quantity": 2}, {"batch": "NEW", "quantity": 1}]


def test_expired_lots_are_never_allocated(warehouses):
    sh = warehouses[0]
    a = ProductFactory()
    stock_up(a, 5, sh, batch_number="EXPIRED", expiry_date=date.today() - timedelta(days=1))
    order = create_order(lines=[(a, 1)], province="上海市")
    with pytest.raises(InsufficientStock):
        order_stock_reserve(order=order, actor=TEST_ACTOR)


def test_safety_stock_is_kept_back(warehouses, manager):
    sh = warehouses[0]
    a = ProductFactory()
    stock_up(a, 5, sh)
    stock_settings_update(stock=Stock.objects.get(product=a), safety_stock=3, low_stock_threshold=0, actor=manager)
    with pytest.raises(InsufficientStock):
        order_stock_reserve(order=create_order(lines=[(a, 3)]), actor=TEST_ACTOR)
    order_stock_reserve(order=create_order(lines=[(a, 2)]), actor=TEST_ACTOR)
    assert Stock.objects.get(product=a).available == 0


def test_store_that_does_not_ship_online_orders_is_skipped(warehouses):
    store = WarehouseFactory(code="HZ-STORE", province="浙江省", kind="store", allocatable=False)
    a = ProductFactory()
    stock_up(a, 5, store)
    with pytest.raises(InsufficientStock):
        order_stock_reserve(order=create_order(lines=[(a, 1)], province="浙江省"), actor=TEST_ACTOR)


def test_running_again_reserves_only_what_is_open(warehouses):
    sh = warehouses[0]
    a = ProductFactory()
    stock_up(a, 10, sh)
    order = create_order(lines=[(a, 2)])
    order_stock_reserve(order=order, actor=TEST_ACTOR)
    again = order_stock_reserve(order=order, actor=TEST_ACTOR)
    assert again.reserved_anything is False
    assert Stock.objects.get(product=a).reserved == 2
    assert OrderEvent.objects.filter(order=order, kind="stock_reserved").count() == 1


def test_release_gives_everything_back_and_writes_one_event(warehouses):
    sh, bj, gz = warehouses
    a = ProductFactory()
    stock_up(a, 1, sh)
    stock_up(a, 2, bj)
    order = create_order(lines=[(a, 3)], province="浙江省")
    order_stock_reserve(order=order, actor=TEST_ACTOR)
    rows = order_stock_release(order=order, actor=TEST_ACTOR, reason="客户取消")
    assert sum(r["quantity"] for r in rows) == 3
    assert Stock.objects.filter(product=a, reserved__gt=0).count() == 0
    assert order.lines.get().quantity_reserved == 0
    assert Reservation.objects.count() == 0
    assert StockMovement.objects.filter(kind=MovementKind.RELEASE).count() == 2
    assert OrderEvent.objects.filter(order=order, kind="stock_released").count() == 1
    assert order_stock_release(order=order, actor=TEST_ACTOR, reason="again") == []
    assert stock_drift() == []


def test_cancelled_order_cannot_reserve(warehouses):
    from orders.services import order_cancel

    a = stock_up(ProductFactory(), 5, warehouses[0])
    order = create_order(lines=[(a, 1)])
    order_cancel(order=order, reason="测试", actor=None)
    with pytest.raises(InvalidTransition):
        order_stock_reserve(order=order, actor=TEST_ACTOR)


def test_cancelling_an_order_releases_its_stock_through_the_hook(warehouses):
    from orders.services import order_cancel

    a = stock_up(ProductFactory(), 5, warehouses[0])
    order = create_order(lines=[(a, 2)])
    order_stock_reserve(order=order, actor=TEST_ACTOR)
    order_cancel(order=order, reason="客户要求取消", actor=None)
    assert Stock.objects.get(product=a).reserved == 0
    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds[-2:] == ["stock_released", "cancelled"]
    assert stock_drift() == []


def test_reservation_costs_a_constant_number_of_queries(warehouses, django_assert_max_num_queries):
    sh, bj, gz = warehouses
    products = [ProductFactory() for _ in range(6)]
    for p in products:
        stock_up(p, 50, sh)
    small = create_order(lines=[(products[0], 1)])
    big = create_order(lines=[(p, 2) for p in products])
    with django_assert_max_num_queries(17) as small_ctx:
        order_stock_reserve(order=small, actor=TEST_ACTOR)
    with django_assert_max_num_queries(17) as big_ctx:
        order_stock_reserve(order=big, actor=TEST_ACTOR)
    assert len(big_ctx.captured_queries) == len(small_ctx.captured_queries)
