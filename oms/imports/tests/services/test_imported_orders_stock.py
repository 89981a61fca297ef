"""Imported open orders and the goods flow: they hold stock like reviewed orders, or wait for it."""

import pytest
from django_q.conf import Conf
from django_q.models import Task

from core.actors import SystemActor
from inventory.models import Stock
from inventory.selectors import stock_drift
from inventory.tests.factories import stock_up
from oms.imports.services import legacy_orders_import
from oms.imports.tests.factories import products, row, table, write_csv
from oms.workflow.services import backorder_queue, retry_backorders
from orders.models import Order, OrderEvent, OrderStatus

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


def test_imported_orders_awaiting_shipment_get_shipments_from_a_job_after_commit(
        tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    from logistics.models import Shipment

    sku1, sku2 = products("SKU-001", "SKU-002")
    stock_up(sku1, 10)
    monkeypatch.setattr(Conf, "SYNC", True)  # the job runs in-process, through django-q2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run(tmp_path, [row(order_number="S", status="待发货", paid_amount="210"),
                       row(order_number="P", status="待付款"),
                       row(order_number="H", status="待发货", sku="SKU-002", paid_amount="210")])
    assert not Shipment.objects.exists()  # nothing planned inside the import's transaction
    for callback in callbacks:
        callback()
    shipped = Order.objects.get(external_id="S")
    assert [s.warehouse.code for s in Shipment.objects.filter(order=shipped)] == ["SH01"]
    assert not Shipment.objects.exclude(order=shipped).exists()  # awaiting payment, or on hold for stock
    task = Task.objects.get(name="plan_shipments")
    assert task.success and task.result == {"planned": [shipped.pk], "skipped": []}


def test_short_imported_orders_are_held_with_history_event_and_hook(tmp_path):
    from core import hooks as core_hooks

    (sku1,) = products("SKU-001")
    stock_up(sku1, 2)
    seen = []
    handler = seen.append
    core_hooks.order_status_changed.register(handler)
    try:
        run(tmp_path, [row(order_number=f"S{n}", status="待发货", paid_amount="210") for n in range(3)])
    finally:
        core_hooks.order_status_changed.unregister(handler)
    held = Order.objects.filter(status=OrderStatus.ON_HOLD).order_by("pk")
    assert [o.external_id for o in held] == ["S1", "S2"]  # S0 came first and took the two units
    assert [(p.source, p.target) for p in seen] == [(OrderStatus.AWAITING_SHIPMENT, OrderStatus.ON_HOLD)] * 2
    for order in held:
        assert order.hold_reasons == ["stock_shortage"]
        assert [h.history_type for h in order.history.order_by("history_id")] == ["+", "~"]
        assert order.history.latest("history_id").status == OrderStatus.ON_HOLD
        event = OrderEvent.objects.get(order=order, kind="held")
        assert event.message.startswith("已挂起：") and "SKU-001" in event.message  # in zh-hans, as the timeline is
        assert event.data["from"] == OrderStatus.AWAITING_SHIPMENT and event.data["to"] == OrderStatus.ON_HOLD
    assert stock_drift() == []
