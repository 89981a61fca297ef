"""Background jobs of the order pipeline (django-q2).

Jobs are plain functions that django-q2 runs by dotted path; enqueue them only after the
transaction that caused them commits, so a worker never sees (or misses) uncommitted data.
"""

from __future__ import annotations

from django.db import transaction

from core.actors import SystemActor
from core.hooks import StockReplenished

BACKORDER_ACTOR = SystemActor("backorder_queue")
SHIPMENT_PLANNER = SystemActor("shipment_planner")


def retry_backorders_job(product_ids: list[int] | None = None) -> dict:
    """Retry allocation for orders waiting for stock, first ordered first served."""
    from oms.workflow.services import retry_backorders

    result = retry_backorders(product_ids=product_ids, actor=BACKORDER_ACTOR)
    return {"released": result.released, "still_waiting": result.still_waiting, "held": result.held}


def enqueue_backorder_retry(payload: StockReplenished) -> None:
    """`stock_replenished` handler: after commit, queue one retry of the backorder queue."""
    product_ids = sorted(payload.product_ids)

    def enqueue():
        from django_q.tasks import async_task

        async_task("oms.workflow.jobs.retry_backorders_job", product_ids, task_name="retry_backorders",
                   group="backorders")

    transaction.on_commit(enqueue)


def plan_shipments_job(order_ids: list[int]) -> dict:
    """Plan shipments for orders that reached `awaiting_shipment` without a status change (imported).

    Each order in its own transaction; one that moved on meanwhile (held, cancelled, shipped) is
    skipped, and planning twice creates nothing twice.
    """
    from core.errors import DomainError
    from logistics.services import order_shipments_create

    planned, skipped = [], []
    for order_id in order_ids:
        try:
            with transaction.atomic():
                shipments = order_shipments_create(order=order_id, actor=SHIPMENT_PLANNER)
        except DomainError:
            skipped.append(order_id)
        else:
            (planned if shipments else skipped).append(order_id)
    return {"planned": planned, "skipped": skipped}


def enqueue_shipment_planning(order_ids: list[int], *, chunk: int = 500) -> None:
    """After commit, queue `plan_shipments_job` in chunks (a worker's timeout bounds one job)."""
    order_ids = list(order_ids)
    if not order_ids:
        return

    def enqueue():
        from django_q.tasks import async_task

        for start in range(0, len(order_ids), chunk):
            async_task("oms.workflow.jobs.plan_shipments_job", order_ids[start:start + chunk],
                       task_name="plan_shipments", group="shipments")

    transaction.on_commit(enqueue)
