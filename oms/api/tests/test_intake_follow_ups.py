"""After the 201: the invoice and the shipments follow after commit, and nothing is lost if the worker dies.

SQLite with django-q2's ORM broker (the default set-up): the job the intake queues after commit is
an `OrmQ` row that no worker picks up here, which is exactly a worker that died before running it.
The recovery schedule (`follow_ups.run_overdue`) then does the work.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from catalog.tests.factories import ProductFactory
from finance.invariants import ledger_problems
from inventory.selectors import stock_drift
from logistics.models import Shipment
from oms.api.tests.factories import order_payload
from oms.workflow import follow_ups
from oms.workflow.models import FollowUp
from oms.workflow.selectors import order_follow_ups
from orders.models import Order

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]


def submit(api, on_commit, **payment):
    body = order_payload(products=[ProductFactory(price="199.00") for _ in range(3)])
    body["payment"].update(payment)
    with on_commit(execute=True):  # the request's transaction commits: the follow-up job is queued
        response = api.post("/api/v1/orders", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    return Order.objects.get(number=response.json()["number"])


def kinds_and_states(order):
    return [(row.kind, row.status) for row in order_follow_ups(order)]


def time_passes(seconds=60):
    """Everything recorded so far is `seconds` older (the grace period of the recovery schedule)."""
    FollowUp.objects.update(created_at=timezone.now() - timedelta(seconds=seconds))


def assert_books_and_stock_clean():
    assert ledger_problems() == []
    assert stock_drift() == []


def test_worker_dies_before_the_job_and_the_schedule_does_the_work(api, django_capture_on_commit_callbacks):
    order = submit(api, django_capture_on_commit_callbacks)

    # Committed: what the 201 promised. The job sits in the broker; no worker ran it.
    assert order.status == "awaiting_shipment" and order.payment_status == "paid"
    assert OrmQ.objects.count() == 1
    assert kinds_and_states(order) == [("issue_invoice", "pending"), ("plan_shipments", "pending")]
    assert not order.invoices.exists() and not Shipment.objects.filter(order=order).exists()

    # Within the grace period the schedule leaves the job its chance.
    assert follow_ups.run_overdue() == 0
    assert kinds_and_states(order) == [("issue_invoice", "pending"), ("plan_shipments", "pending")]

    time_passes()
    assert follow_ups.run_overdue() == 1
    assert kinds_and_states(order) == [("issue_invoice", "done"), ("plan_shipments", "done")]
    assert order.invoices.count() == 1
    [shipment] = Shipment.objects.filter(order=order)
    assert shipment.lines.count() == 3
    kinds = list(order.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-2:] == ["invoice_issued", "shipments_created"]
    assert_books_and_stock_clean()

    # The worker comes back and runs the queued job late: nothing happens twice.
    assert follow_ups.run(order.pk) == {}
    assert order.invoices.count() == 1 and Shipment.objects.filter(order=order).count() == 1


def test_worker_killed_in_the_middle_of_the_job(api, django_capture_on_commit_callbacks, monkeypatch):
    order = submit(api, django_capture_on_commit_callbacks)

    def killed(order_id, actor):
        raise SystemExit("worker killed")  # not an Exception: the job's process goes down here

    monkeypatch.setitem(follow_ups.HANDLERS, FollowUp.Kind.PLAN_SHIPMENTS, killed)
    with pytest.raises(SystemExit):
        follow_ups.run(order.pk)
    # The job's one transaction rolled back: the invoice it had issued is gone with it, nothing is
    # half done, and both follow-ups are still pending.
    assert kinds_and_states(order) == [("issue_invoice", "pending"), ("plan_shipments", "pending")]
    assert not order.invoices.exists() and not Shipment.objects.filter(order=order).exists()
    assert_books_and_stock_clean()

    monkeypatch.undo()
    time_passes()
    assert follow_ups.run_overdue() == 1
    assert kinds_and_states(order) == [("issue_invoice", "done"), ("plan_shipments", "done")]
    assert Shipment.objects.filter(order=order).count() == 1 and order.invoices.count() == 1
    assert_books_and_stock_clean()


def test_a_failing_follow_up_is_retried_then_marked_failed(api, django_capture_on_commit_callbacks, monkeypatch):
    order = submit(api, django_capture_on_commit_callbacks)

    def broken(order_id, actor):
        raise RuntimeError("carrier service down")

    monkeypatch.setitem(follow_ups.HANDLERS, FollowUp.Kind.PLAN_SHIPMENTS, broken)
    outcomes = follow_ups.run(order.pk)
    # The failure rolled back to its own savepoint: the invoice issued in the same run is kept.
    [invoice, planning] = order_follow_ups(order)
    assert invoice.status == "done" and order.invoices.count() == 1
    assert outcomes["plan_shipments"] == "failed: carrier service down"
    assert planning.status == "pending" and planning.attempts == 1 and "carrier service down" in planning.last_error
    # Tried again by the schedule only after the grace period since the last attempt.
    FollowUp.objects.filter(kind="plan_shipments").update(attempted_at=timezone.now())
    time_passes()
    assert follow_ups.run_overdue() == 0
    for _ in range(follow_ups.MAX_ATTEMPTS - 1):
        FollowUp.objects.update(attempted_at=timezone.now() - timedelta(minutes=5))
        follow_ups.run_overdue()
    assert order_follow_ups(order)[1].status == "failed"


def test_an_order_cancelled_before_its_follow_ups_ran(api, django_capture_on_commit_callbacks):
    order = submit(api, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/orders/{order.number}/cancel", data={"reason": "顾客取消"}, format="json")
    assert response.status_code == 200, response.json()
    follow_ups.run(order.pk)
    # Nothing to invoice or plan any more: both settle as done, with the refusal as outcome.
    assert kinds_and_states(order) == [("issue_invoice", "done"), ("plan_shipments", "done")]
    assert not order.invoices.exists() and not Shipment.objects.filter(order=order).exists()
    assert_books_and_stock_clean()


def test_orders_on_hold_or_unpaid_have_no_follow_ups(api, django_capture_on_commit_callbacks):
    held = submit(api, django_capture_on_commit_callbacks, paid_amount="1.00")
    assert held.status == "on_hold" and order_follow_ups(held) == []


def test_short_stock_goes_on_hold_without_reserving_anything(api, django_capture_on_commit_callbacks):
    from catalog.tests.factories import ProductFactory as Plain
    from inventory.models import Reservation

    body = order_payload(products=[ProductFactory(price="199.00")])
    scarce = Plain._meta.model.objects.create(sku="SCARCE-1", name="缺货商品", price="199.00")  # no stock at all
    body["lines"].append({"sku": scarce.sku, "quantity": 1, "unit_price": "199.00", "discount": "0.00"})
    body["payment"]["paid_amount"] = "607.00"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/orders", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "on_hold" and response.json()["hold_reasons"] == ["stock_shortage"]
    order = Order.objects.get(number=response.json()["number"])
    assert not Reservation.objects.filter(order=order).exists() and order_follow_ups(order) == []
    assert order.payment_status == "paid" and order.history.count() == 1
    assert list(order.events.order_by("at", "id").values_list("kind", flat=True)) == [
        "created", "payment_recorded", "held"]
    assert_books_and_stock_clean()


@pytest.fixture
def outermost_transactions(monkeypatch):
    """Counts the transactions opened from here on (clear it before the call to count): the test's
    own transaction is open, so what opens at this depth is, in a worker, a transaction of its own."""
    from django.db import connection, transaction

    depth = len(connection.atomic_blocks)
    opened = []
    real_enter = transaction.Atomic.__enter__

    def enter(self):
        if len(connection.atomic_blocks) == depth:
            opened.append(self)
        return real_enter(self)

    monkeypatch.setattr(transaction.Atomic, "__enter__", enter)
    return opened


def pending_notification(order, key):
    from logistics.notifications import Notification

    data = Notification(kind="shipment_shipped", order_number=order.number, phone=order.phone, email="",
                        subject="已发货", body=f"您的订单 {order.number} 已发货").__dict__
    return FollowUp.objects.create(order=order, kind=FollowUp.Kind.NOTIFY_CUSTOMER, key=key, payload=data,
                                   created_at=timezone.now(), actor_name="test")


def test_the_job_runs_an_orders_follow_ups_in_one_transaction(api, django_capture_on_commit_callbacks,
                                                               outermost_transactions):
    """One commit (one wait for the disk) per order, whatever the number of follow-ups."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = submit(api, django_capture_on_commit_callbacks)
    outermost_transactions.clear()
    with CaptureQueriesContext(connection) as captured:
        assert set(follow_ups.run(order.pk)) == {"issue_invoice", "plan_shipments"}
    assert len(outermost_transactions) == 1
    # Both follow-ups were read and locked with one statement.
    assert sum(q["sql"].startswith("SELECT") and 'FROM "workflow_followup"' in q["sql"]
               for q in captured.captured_queries) == 1
    assert kinds_and_states(order) == [("issue_invoice", "done"), ("plan_shipments", "done")]


def test_a_notification_reaches_the_gateway_in_a_transaction_of_its_own(
        api, django_capture_on_commit_callbacks, outermost_transactions, settings, monkeypatch):
    """Once a gateway took a message, only its own "done" may be lost to a failed commit: the invoice
    and shipments committed before it, and the next notification is not undone with it."""
    from logistics.notifications import MemoryBackend

    settings.OMS_NOTIFICATION_BACKENDS = ["logistics.notifications.MemoryBackend"]
    monkeypatch.setattr(MemoryBackend, "outbox", [])
    order = submit(api, django_capture_on_commit_callbacks)
    first = pending_notification(order, "a")
    pending_notification(order, "b")
    real_save = FollowUp.save

    def commit_of_the_first_fails(self, *args, **kwargs):
        if self.pk == first.pk and "done_at" in (kwargs.get("update_fields") or ()):
            raise ConnectionError("database went away before the commit")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(FollowUp, "save", commit_of_the_first_fails)
    outermost_transactions.clear()
    outcomes = follow_ups.run(order.pk)
    # invoice and shipments; the first notification, rolled back, then its failed attempt recorded;
    # the second notification
    assert len(outermost_transactions) == 4
    first.refresh_from_db()
    assert first.attempts == 1 and "database went away" in first.last_error
    assert outcomes["notify_customer:a"].startswith("failed:") and outcomes["notify_customer:b"].startswith("sent")
    assert kinds_and_states(order) == [("issue_invoice", "done"), ("plan_shipments", "done"),
                                       ("notify_customer", "pending"), ("notify_customer", "done")]
    assert order.invoices.count() == 1 and Shipment.objects.filter(order=order).count() == 1
    assert len(MemoryBackend.outbox) == 2


def test_a_lone_notification_costs_one_transaction(api, django_capture_on_commit_callbacks,
                                                   outermost_transactions, settings, monkeypatch):
    from logistics.notifications import MemoryBackend

    settings.OMS_NOTIFICATION_BACKENDS = ["logistics.notifications.MemoryBackend"]
    monkeypatch.setattr(MemoryBackend, "outbox", [])
    order = submit(api, django_capture_on_commit_callbacks)
    follow_ups.run(order.pk)
    pending_notification(order, "a")
    outermost_transactions.clear()
    assert follow_ups.run(order.pk)["notify_customer:a"].startswith("sent")
    assert len(outermost_transactions) == 1 and len(MemoryBackend.outbox) == 1
