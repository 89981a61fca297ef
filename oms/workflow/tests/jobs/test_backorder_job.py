"""The background job that re-allocates waiting orders when stock arrives."""

import pytest
from django_q.conf import Conf
from django_q.models import OrmQ, Task

from catalog.tests.factories import ProductFactory
from core import hooks
from core.actors import SYSTEM
from inventory.services import ReceiptLine, stock_adjust, stock_receive
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory
from oms.workflow.jobs import enqueue_backorder_retry, retry_backorders_job
from oms.workflow.services import submit_order
from orders.models import Order, OrderStatus
from orders.tests.factories import order_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_order():
    WarehouseFactory(code="SH01")
    product = ProductFactory()
    order = submit_order(data=order_input(lines=[(product, 2, "10.00")]), payment=None, actor=SYSTEM)
    assert order.hold_reasons == ["stock_shortage"]
    return order, product


def test_workflow_registers_the_replenishment_handler():
    assert enqueue_backorder_retry in hooks.stock_replenished.handlers


def test_job_called_directly_moves_waiting_orders_on(waiting_order):
    order, product = waiting_order
    stock_receive(warehouse="SH01", lines=[ReceiptLine(sku=product.sku, quantity=2)], actor=TEST_ACTOR)
    summary = retry_backorders_job([product.pk])
    assert summary == {"released": [order.number], "still_waiting": [], "held": []}
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT


def test_receipt_enqueues_the_job_only_after_commit(waiting_order, django_capture_on_commit_callbacks):
    order, product = waiting_order
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stock_receive(warehouse="SH01", lines=[ReceiptLine(sku=product.sku, quantity=2)], actor=TEST_ACTOR)
    assert len(callbacks) == 1
    assert OrmQ.objects.count() == 0  # nothing queued while the receipt is uncommitted
    callbacks[0]()
    assert OrmQ.objects.count() == 1  # the ORM broker holds the job for a worker


@pytest.mark.parametrize("replenish", ["receipt", "adjustment"])
def test_receipt_in_sync_mode_reallocates_in_the_background_job(waiting_order, monkeypatch, warehouse_clerk,
                                                                 django_capture_on_commit_callbacks, replenish):
    order, product = waiting_order
    monkeypatch.setattr(Conf, "SYNC", True)  # Q_CLUSTER["sync"]: the job runs in-process, through django-q2
    with django_capture_on_commit_callbacks(execute=True):
        if replenish == "receipt":
            stock_receive(warehouse="SH01", lines=[ReceiptLine(sku=product.sku, quantity=5)], actor=TEST_ACTOR)
        else:
            stock_adjust(warehouse="SH01", sku=product.sku, quantity_change=5, reason="找到货了",
                         actor=warehouse_clerk)
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    task = Task.objects.get(name="retry_backorders")
    assert task.success and task.result["released"] == [order.number]
    assert Order.objects.get(pk=order.pk).lines.get().quantity_reserved == 2


def test_operators_can_retry_the_queue_by_command(waiting_order, capsys):
    from django.core.management import call_command

    order, product = waiting_order
    stock_receive(warehouse="SH01", lines=[ReceiptLine(sku=product.sku, quantity=2)], actor=TEST_ACTOR)
    call_command("retry_backorders")
    assert f"released {order.number}" in capsys.readouterr().out
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
