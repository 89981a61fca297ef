"""A lot keeps the unit cost it was received at; goods that move keep the cost of the lot they left."""

from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from inventory.models import Lot
from inventory.selectors import stock_drift
from inventory.services import ReceiptLine, stock_receive, stock_transfer

pytestmark = pytest.mark.django_db


def test_receipt_lines_store_their_unit_cost_on_their_lots(two_warehouses, warehouse_clerk):
    ProductFactory(sku="TEA")
    receipt = stock_receive(warehouse="SH01", actor=warehouse_clerk, lines=[
        ReceiptLine(sku="TEA", quantity=5, batch_number="B1", unit_cost=Decimal("12.5")),
        ReceiptLine(sku="TEA", quantity=3, batch_number="B2")])
    costs = {lot.batch_number: lot.unit_cost for lot in Lot.objects.filter(pk__in=[lot.pk for lot in receipt.lots])}
    assert costs == {"B1": Decimal("12.50"), "B2": None}  # None: valued at the product's standard cost
    assert stock_drift() == []


def test_a_transfer_keeps_the_cost_of_the_lots_it_takes_from(two_warehouses, warehouse_clerk):
    ProductFactory(sku="TEA")
    stock_receive(warehouse="SH01", actor=warehouse_clerk,
                  lines=[ReceiptLine(sku="TEA", quantity=4, batch_number="B1", unit_cost=Decimal("9.90"))])
    stock_transfer(source="SH01", destination="BJ01", sku="TEA", quantity=3, reason="调拨", actor=warehouse_clerk)
    moved = Lot.objects.get(stock__warehouse__code="BJ01")
    assert (moved.batch_number, moved.quantity, moved.unit_cost) == ("B1", 3, Decimal("9.90"))
