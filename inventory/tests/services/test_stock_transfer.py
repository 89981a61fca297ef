from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.errors import InsufficientStock, ValidationFailed
from inventory.models import Lot, MovementKind, Stock, StockMovement
from inventory.selectors import stock_drift
from inventory.services import order_stock_reserve, stock_transfer
from inventory.tests.factories import TEST_ACTOR, stock_up
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


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
