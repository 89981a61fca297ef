from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.errors import InsufficientStock, PermissionDenied, ValidationFailed
from inventory.models import Lot, MovementKind, Stock, StockMovement
from inventory.selectors import stock_drift
from inventory.services import order_stock_reserve, stock_adjust, stock_transfer
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory, stock_up
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_warehouses():
    return WarehouseFactory(code="SH01"), WarehouseFactory(code="BJ01", province="北京市")


def test_adjust_up_and_down_with_reason(two_warehouses, warehouse_clerk):
    sh, _ = two_warehouses
    a = stock_up(ProductFactory(), 5, sh)
    up = stock_adjust(warehouse="SH01", sku=a.sku, quantity_change=3, reason="盘盈", actor=warehouse_clerk)
    assert up.number.startswith("AJ")
    stock_adjust(warehouse="SH01", sku=a.sku, quantity_change=-6, reason="破损报废", actor=warehouse_clerk)
    assert Stock.objects.get(product=a).on_hand == 2
    rows = StockMovement.objects.filter(kind=MovementKind.ADJUSTMENT)
    assert {r.reason for r in rows} == {"盘盈", "破损报废"}
    assert all(r.actor == warehouse_clerk for r in rows)
    assert stock_drift() == []


@pytest.mark.parametrize("change, reason, sku, warehouse, path", [
    (0, "x", None, "SH01", "quantity_change"), (1, "  ", None, "SH01", "reason"),
    (1, "x", "NOPE", "SH01", "sku"), (1, "x", None, "NOWHERE", "warehouse"),
    (1.5, "x", None, "SH01", "quantity_change"),
])
def test_adjust_bad_input(two_warehouses, warehouse_clerk, change, reason, sku, warehouse, path):
    a = stock_up(ProductFactory(), 5, two_warehouses[0])
    before = StockMovement.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        stock_adjust(warehouse=warehouse, sku=sku or a.sku, quantity_change=change, reason=reason,
                     actor=warehouse_clerk)
    assert path in exc.value.errors
    assert StockMovement.objects.count() == before


def test_cannot_adjust_away_reserved_stock(two_warehouses, warehouse_clerk):
    a = stock_up(ProductFactory(), 5, two_warehouses[0])
    order_stock_reserve(order=create_order(lines=[(a, 4)]), actor=TEST_ACTOR)
    with pytest.raises(InsufficientStock):
        stock_adjust(warehouse="SH01", sku=a.sku, quantity_change=-2, reason="丢失", actor=warehouse_clerk)
    assert Stock.objects.get(product=a).on_hand == 5


def test_adjust_needs_permission(two_warehouses, reviewer):
    a = stock_up(ProductFactory(), 5, two_warehouses[0])
    with pytest.raises(PermissionDenied):
        stock_adjust(warehouse="SH01", sku=a.sku, quantity_change=1, reason="x", actor=reviewer)


def test_transfer_moves_lots_keeping_their_age(two_warehouses, warehouse_clerk):
    sh, bj = two_warehouses
    a = stock_up(ProductFactory(), 4, sh, batch_number="OLD")
    stock_up(a, 4, sh, batch_number="NEW")
    old_date = timezone.now() - timedelta(days=30)
    Lot.objects.filter(batch_number="OLD").update(received_at=old_date)
    result = stock_transfer(source="SH01", destination="BJ01", sku=a.sku, quantity=6, reason="调拨补货",
                            actor=warehouse_clerk)
    assert result.number.startswith("TR")
    assert Stock.objects.get(warehouse=sh, product=a).on_hand == 2
    assert Stock.objects.get(warehouse=bj, product=a).on_hand == 6
    moved = {lot.batch_number: (lot.quantity, lot.received_at) for lot in Lot.objects.filter(stock__warehouse=bj)}
    assert moved == {"OLD": (4, old_date), "NEW": (2, moved["NEW"][1])}
    assert stock_drift() == []


def test_transfer_beyond_available_is_refused(two_warehouses, warehouse_clerk):
    a = stock_up(ProductFactory(), 5, two_warehouses[0])
    order_stock_reserve(order=create_order(lines=[(a, 2)]), actor=TEST_ACTOR)
    before = StockMovement.objects.count()
    with pytest.raises(InsufficientStock) as exc:
        stock_transfer(source="SH01", destination="BJ01", sku=a.sku, quantity=4, reason="x", actor=warehouse_clerk)
    assert "quantity" in exc.value.errors
    assert StockMovement.objects.count() == before


@pytest.mark.parametrize("kwargs, path", [
    ({"destination": "SH01"}, "destination"), ({"source": "NOWHERE"}, "source"), ({"quantity": 0}, "quantity"),
    ({"quantity": -2}, "quantity"), ({"sku": "NOPE"}, "sku"), ({"reason": ""}, "reason"),
])
def test_transfer_bad_input(two_warehouses, warehouse_clerk, kwargs, path):
    a = stock_up(ProductFactory(), 5, two_warehouses[0])
    args = {"source": "SH01", "destination": "BJ01", "sku": a.sku, "quantity": 1, "reason": "x",
            "actor": warehouse_clerk, **kwargs}
    with pytest.raises(ValidationFailed) as exc:
        stock_transfer(**args)
    assert path in exc.value.errors
    assert not StockMovement.objects.filter(kind=MovementKind.TRANSFER_OUT).exists()


def test_expired_lots_are_not_transferred(two_warehouses, warehouse_clerk):
    from datetime import date

    a = stock_up(ProductFactory(), 3, two_warehouses[0], batch_number="OLD",
                 expiry_date=date.today() - timedelta(days=1))
    stock_up(a, 2, two_warehouses[0], batch_number="GOOD")
    with pytest.raises(InsufficientStock):
        stock_transfer(source="SH01", destination="BJ01", sku=a.sku, quantity=3, reason="x", actor=warehouse_clerk)
    stock_transfer(source="SH01", destination="BJ01", sku=a.sku, quantity=2, reason="x", actor=warehouse_clerk)
    assert list(Lot.objects.filter(stock__warehouse__code="BJ01").values_list("batch_number", flat=True)) == ["GOOD"]
