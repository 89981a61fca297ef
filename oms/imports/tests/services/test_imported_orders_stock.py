"""Imported open orders and the goods flow: they hold stock like reviewed orders, or wait for it."""

import pytest

from inventory.models import Stock
from inventory.selectors import stock_drift
from inventory.tests.factories import stock_up
from oms.core.actors import SystemActor
from oms.imports.services import legacy_orders_import
from oms.imports.tests.factories import products, row, table, write_csv
from oms.workflow.services import backorder_queue, retry_backorders
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("test-import")


def run(tmp_path, rows):
    path = tmp_path / "orders.csv"
    write_csv(path, table(rows))
    return legacy_orders_import(path=path, dry_run=False, actor=ACTOR)


def test_orders_awaiting_payment_or_shipment_reserve_stock_historical_ones_do_not(tmp_path):
    sku1, sku2 = products("SKU-001", "SKU-002")
    stock_up(sku1, 10)
    stock_up(sku2, 10)
    run(tmp_path, [row(order_number="P", status="待付款"), row(order_number="S", status="待发货", paid_amount="210"),
                   row(order_number="R", status="待审核"), row(order_number="C", status="已完成", tracking_number="T")])
    reserved = {o.external_id: o.lines.get().quantity_reserved for o in Order.objects.all()}
    assert reserved == {"P": 2, "S": 2, "R": 0, "C": 0}
    assert Stock.objects.get(product=sku1).reserved == 4
    assert Order.objects.get(external_id="S").status == OrderStatus.AWAITING_SHIPMENT
    assert stock_drift() == []


def test_short_imported_order_waits_in_the_backorder_queue(tmp_path):
    (sku1,) = products("SKU-001")
    stock_up(sku1, 1)
    report = run(tmp_path, [row(order_number="S", status="待发货", paid_amount="210")])
    assert report.imported == 1  # the import itself succeeds
    order = Order.objects.get()
    assert order.status == OrderStatus.ON_HOLD and order.hold_reasons == ["stock_shortage"]
    assert list(backorder_queue()) == [order]
    stock_up(sku1, 5)
    assert retry_backorders(actor=ACTOR).released == [order.number]
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_SHIPMENT  # paid in full: released for shipment again
    assert order.lines.get().quantity_reserved == 2
