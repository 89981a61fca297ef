import pytest

from catalog.tests.factories import ProductFactory
from core.errors import InsufficientStock, PermissionDenied, ValidationFailed
from inventory.models import MovementKind, Stock, StockMovement
from inventory.selectors import stock_drift
from inventory.services import order_stock_reserve, stock_adjust
from inventory.tests.factories import TEST_ACTOR, stock_up
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


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
