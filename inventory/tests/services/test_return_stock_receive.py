import pytest

from catalog.tests.factories import ProductFactory
from core.errors import InsufficientStock, ValidationFailed
from inventory.models import Bin, Lot, MovementKind, Stock, StockMovement
from inventory.selectors import stock_drift
from inventory.services import (
    order_stock_reserve,
    quarantine_stock_release,
    return_stock_receive,
    returnable_quantity,
    shipment_stock_issue,
)
from inventory.tests.factories import TEST_ACTOR, BinFactory, WarehouseFactory, stock_up
from orders.services import order_pass_review
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped_line():
    wh = WarehouseFactory(code="SH01")
    BinFactory(warehouse=wh, code="QC-1", kind=Bin.Kind.QUARANTINE)
    a = stock_up(ProductFactory(), 10, wh, batch_number="LOT-1")
    order = create_order(lines=[(a, 3)], payment_method="cod")
    order_stock_reserve(order=order, actor=TEST_ACTOR)
    order_pass_review(order=order, actor=TEST_ACTOR)
    line = order.lines.get()
    shipment_stock_issue(order=order, warehouse=wh, quantities={line.pk: 3}, reference="SHP-1", actor=TEST_ACTOR)
    return line, wh


def test_restock_goes_back_into_the_original_lot(shipped_line):
    line, wh = shipped_line
    result = return_stock_receive(order_line=line, warehouse="SH01", quantity=2, disposition="restock",
                                  reference="RMA-1", actor=TEST_ACTOR)
    assert result.lot.batch_number == "LOT-1"
    assert Lot.objects.filter(stock__product=line.product).count() == 1
    assert Stock.objects.get(product=line.product).on_hand == 9
    assert returnable_quantity(order_line=line) == 1
    assert stock_drift() == []


def test_quarantine_keeps_goods_out_of_sellable_stock_until_qc(shipped_line, warehouse_clerk):
    line, wh = shipped_line
    result = return_stock_receive(order_line=line, warehouse="SH01", quantity=2, disposition="quarantine",
                                  reference="RMA-1", actor=TEST_ACTOR)
    assert result.lot.quarantined and result.lot.bin.code == "QC-1"
    stock = Stock.objects.get(product=line.product)
    assert (stock.on_hand, stock.quarantined, stock.available) == (7, 2, 7)
    quarantine_stock_release(warehouse="SH01", sku=line.sku, quantity=1, restock=True, reason="QC 合格",
                             actor=warehouse_clerk)
    quarantine_stock_release(warehouse="SH01", sku=line.sku, quantity=1, restock=False, reason="包装破损",
                             actor=warehouse_clerk)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.quarantined) == (8, 0)
    assert StockMovement.objects.filter(kind=MovementKind.SCRAP).count() == 1
    assert stock_drift() == []


def test_cannot_return_more_than_was_shipped(shipped_line):
    line, wh = shipped_line
    return_stock_receive(order_line=line, warehouse="SH01", quantity=2, disposition="restock", reference="RMA-1",
                         actor=TEST_ACTOR)
    with pytest.raises(InsufficientStock):
        return_stock_receive(order_line=line, warehouse="SH01", quantity=2, disposition="restock",
                             reference="RMA-2", actor=TEST_ACTOR)
    assert Stock.objects.get(product=line.product).on_hand == 9


def test_return_to_another_warehouse_gets_its_own_lot(shipped_line):
    line, wh = shipped_line
    WarehouseFactory(code="BJ01", province="北京市")
    result = return_stock_receive(order_line=line, warehouse="BJ01", quantity=1, disposition="restock",
                                  reference="RMA-9", actor=TEST_ACTOR)
    assert result.lot.stock.warehouse.code == "BJ01" and result.lot.batch_number == "LOT-1"
    assert stock_drift() == []


@pytest.mark.parametrize("kwargs, path", [
    ({"quantity": 0}, "quantity"), ({"quantity": -1}, "quantity"), ({"disposition": "burn"}, "disposition"),
    ({"warehouse": "NOWHERE"}, "warehouse"), ({"reference": " "}, "reference"), ({"bin_code": "NOPE"}, "bin"),
])
def test_bad_input_changes_nothing(shipped_line, kwargs, path):
    line, wh = shipped_line
    args = {"order_line": line, "warehouse": "SH01", "quantity": 1, "disposition": "restock",
            "reference": "RMA-1", "actor": TEST_ACTOR, **kwargs}
    before = StockMovement.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        return_stock_receive(**args)
    assert path in exc.value.errors
    assert StockMovement.objects.count() == before


def test_quarantine_release_beyond_quarantine_is_refused(shipped_line, warehouse_clerk):
    line, wh = shipped_line
    with pytest.raises(InsufficientStock):
        quarantine_stock_release(warehouse="SH01", sku=line.sku, quantity=1, restock=True, reason="QC",
                                 actor=warehouse_clerk)
