from datetime import date

import pytest

from catalog.tests.factories import ProductFactory
from core.errors import PermissionDenied, ValidationFailed
from inventory.models import Lot, MovementKind, Stock, StockMovement
from inventory.selectors import stock_drift
from inventory.services import ReceiptLine, stock_receive
from inventory.tests.factories import TEST_ACTOR, BinFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def test_receipt_creates_one_lot_per_line_and_ledger_rows():
    wh = WarehouseFactory(code="SH01")
    bin_ = BinFactory(warehouse=wh, code="A-01")
    a, b = ProductFactory(), ProductFactory()
    receipt = stock_receive(warehouse="sh01", actor=TEST_ACTOR, reference="PO-778", lines=[
        ReceiptLine(sku=a.sku.lower(), quantity=5, batch_number="B1", expiry_date=date(2027, 6, 1), bin_code="a-01"),
        ReceiptLine(sku=b.sku, quantity=3),
    ])
    assert receipt.number.startswith("RC")
    assert Stock.objects.get(product=a).on_hand == 5
    lot_a = Lot.objects.get(stock__product=a)
    assert (lot_a.batch_number, lot_a.expiry_date, lot_a.bin) == ("B1", date(2027, 6, 1), bin_)
    assert Lot.objects.get(stock__product=b).batch_number == receipt.number  # default batch: the receipt
    rows = StockMovement.objects.filter(kind=MovementKind.RECEIPT)
    assert rows.count() == 2 and set(rows.values_list("reference", flat=True)) == {receipt.number}
    assert "PO-778" in rows.first().reason
    assert stock_drift() == []


@pytest.mark.parametrize("line, path", [
    (ReceiptLine(sku="NOPE", quantity=1), "lines.0.sku"),
    (ReceiptLine(sku="SKU-X", quantity=0), "lines.0.quantity"),
    (ReceiptLine(sku="SKU-X", quantity=-3), "lines.0.quantity"),
    (ReceiptLine(sku="SKU-X", quantity=2.5), "lines.0.quantity"),
    (ReceiptLine(sku="SKU-X", quantity=1, bin_code="Z-99"), "lines.0.bin"),
])
def test_bad_lines_are_refused_and_nothing_changes(line, path):
    WarehouseFactory(code="SH01")
    ProductFactory(sku="SKU-X")
    good = ReceiptLine(sku="SKU-X", quantity=1)
    with pytest.raises(ValidationFailed) as exc:
        stock_receive(warehouse="SH01", lines=[line, good], actor=TEST_ACTOR)
    assert path in exc.value.errors
    assert StockMovement.objects.count() == 0 and Lot.objects.count() == 0


def test_unknown_or_inactive_warehouse_is_refused():
    ProductFactory(sku="SKU-X")
    WarehouseFactory(code="OLD", active=False)
    for code in ("NOWHERE", "OLD", None):
        with pytest.raises(ValidationFailed) as exc:
            stock_receive(warehouse=code, lines=[ReceiptLine(sku="SKU-X", quantity=1)], actor=TEST_ACTOR)
        assert "warehouse" in exc.value.errors
    assert StockMovement.objects.count() == 0


def test_empty_receipt_is_refused():
    WarehouseFactory(code="SH01")
    with pytest.raises(ValidationFailed) as exc:
        stock_receive(warehouse="SH01", lines=[], actor=TEST_ACTOR)
    assert "lines" in exc.value.errors


def test_clerk_needs_the_receive_permission(make_user, warehouse_clerk):
    from core.enums import Role

    WarehouseFactory(code="SH01")
    ProductFactory(sku="SKU-X")
    stock_receive(warehouse="SH01", lines=[ReceiptLine(sku="SKU-X", quantity=1)], actor=warehouse_clerk)
    with pytest.raises(PermissionDenied):
        stock_receive(warehouse="SH01", lines=[ReceiptLine(sku="SKU-X", quantity=1)],
                      actor=make_user("cs", Role.CUSTOMER_SERVICE))
    assert Stock.objects.get().on_hand == 1
