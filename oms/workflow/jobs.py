"""Background jobs of the order pipeline (django-q2).

Jobs are plain functions that django-q2 runs by dotted path; enqueue them only after the
transaction that caused them commits, so a worker never sees (or misses) uncommitted data.
"""

from __future__ import annotations

from django.db import transaction

from oms.core.actors import SystemActor
from oms.core.hooks import StockReplenished

BACKORDER_ACTOR = SystemActor("backorder_queue")


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
