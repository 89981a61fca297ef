"""Follow-ups: what an order's intake leaves for after commit, recorded so that nothing is lost.

The intake (`oms.workflow.intake.intake_order`) commits what must be true when the channel gets its
`201` — the order, its payment and journal entry, the review decision, the stock reservation —
and records here, in the same transaction, what can follow: issuing the invoice, planning the
shipments (with the WMS instruction they write to the outbox). After commit one django-q2 job per
order runs them (`run`); the schedule `run_overdue` (every minute, migration `0003_follow_ups`)
runs every follow-up still pending after `GRACE`, so a worker that died, a broker that lost the
job or a failing service only delays the work. Each kind calls an idempotent service and a
follow-up is marked done in the same transaction as its work, so running one twice (the job and
the schedule racing, a retry after a crash) does nothing twice.

Read the pending ones with `oms.workflow.selectors.order_follow_ups(order)`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from core.actors import SystemActor, actor_name, actor_user
from core.bulk import insert_objects
from core.errors import DomainError
from oms.workflow.models import FollowUp
from orders.models import Order

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=30)  # how long a pending follow-up waits for its job before the schedule runs it
MAX_ATTEMPTS = 8  # then it is marked failed and shown as such on the order page
OVERDUE_BATCH = 500


def _issue_invoice(order_id: int, actor) -> str:
    from finance.services import invoice_issue_if_due

    invoice = invoice_issue_if_due(order=order_id, actor=actor)
    return invoice.number if invoice is not None else "not due or already issued"


def _plan_shipments(order_id: int, actor) -> str:
    from logistics.services import order_shipments_create

    shipments = order_shipments_create(order=order_id, actor=actor)
    return ", ".join(s.number for s in shipments) or "nothing left to plan"


HANDLERS: dict[str, Callable[[int, object], str]] = {
    FollowUp.Kind.ISSUE_INVOICE: _issue_invoice,
    FollowUp.Kind.PLAN_SHIPMENTS: _plan_shipments,
}
# Invoice first: the timeline then reads "invoice issued, shipments planned", as it did inline.
ORDER_OF_KINDS = [FollowUp.Kind.ISSUE_INVOICE, FollowUp.Kind.PLAN_SHIPMENTS]


def follow_ups_record(*, order: Order, kinds: list[str], actor) -> list[FollowUp]:
    """Record follow-ups in the caller's transaction and queue their job for after it commits."""
    if not kinds:
        return []
    now = timezone.now()
    user = actor_user(actor)
    rows = [FollowUp(order=order, kind=kind, created_at=now, actor=user, actor_name=actor_name(actor))
            for kind in sorted(set(kinds), key=ORDER_OF_KINDS.index)]
    insert_objects(FollowUp, rows)  # no ids read back: may join the caller's write pipeline
    order_id = order.pk
    transaction.on_commit(lambda: enqueue(order_id))
    return rows


def enqueue(order_id: int) -> None:
    """Hand an order's pending follow-ups to a worker. A failure to enqueue loses nothing: the schedule
    runs them after the grace period."""
    from django_q.tasks import async_task

    try:
        async_task("oms.workflow.follow_ups.run", order_id, task_name=f"follow_ups:{order_id}", group="follow_ups")
    except Exception:  # the broker is down: the order is committed, the schedule will catch up
        log.exception("could not enqueue follow-ups of order %s", order_id)


def _actor_of(follow_up: FollowUp):
    if follow_up.actor_id:
        return get_user_model().objects.filter(pk=follow_up.actor_id).first() or SystemActor(follow_up.actor_name)
    return SystemActor(follow_up.actor_name or "system")


def _lock_pending(order_id: int) -> list[FollowUp]:
    qs = FollowUp.objects.filter(order_id=order_id, status=FollowUp.Status.PENDING)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)  # another worker runs them right now: leave them to it
    rows = list(qs)
    return sorted(rows, key=lambda f: ORDER_OF_KINDS.index(f.kind))


def _attempt_failed(follow_up_id: int, error: str) -> None:
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up_id)
        if follow_up.status != FollowUp.Status.PENDING:
            return
        follow_up.attempts += 1
        follow_up.attempted_at = timezone.now()
        follow_up.last_error = error[:2000]
        if follow_up.attempts >= MAX_ATTEMPTS:
            follow_up.status = FollowUp.Status.FAILED
        follow_up.save(update_fields=["attempts", "attempted_at", "last_error", "status"])


def run(order_id: int) -> dict[str, str]:
    """Run an order's pending follow-ups, each in its own transaction with its row locked.

    A domain refusal (the order was cancelled or put on hold meanwhile, so there is nothing to plan)
    settles the follow-up as done with the refusal as its outcome; any other error counts an attempt
    and leaves it pending for the schedule.
    """
    outcomes: dict[str, str] = {}
    kinds = [f.kind for f in FollowUp.objects.filter(order_id=order_id, status=FollowUp.Status.PENDING)]
    for kind in sorted(kinds, key=ORDER_OF_KINDS.index):
        follow_up_id = None
        try:
            with transaction.atomic():
                rows = [f for f in _lock_pending(order_id) if f.kind == kind]
                if not rows:
                    continue  # done meanwhile by another worker
                follow_up = rows[0]
                follow_up_id = follow_up.pk
                try:
                    with transaction.atomic():
                        outcome = HANDLERS[kind](order_id, _actor_of(follow_up))
                except DomainError as exc:
                    outcome = f"skipped: {exc}"
                now = timezone.now()
                follow_up.status = FollowUp.Status.DONE
                follow_up.outcome = outcome[:255]
                follow_up.attempts += 1
                follow_up.attempted_at = follow_up.done_at = now
                follow_up.save(update_fields=["status", "outcome", "attempts", "attempted_at", "done_at"])
                outcomes[kind] = outcome
        except Exception as exc:  # noqa: BLE001 — recorded on the row, retried by the schedule
            log.exception("follow-up %s of order %s failed", kind, order_id)
            if follow_up_id is not None:
                _attempt_failed(follow_up_id, f"{type(exc).__name__}: {exc}")
            outcomes[kind] = f"failed: {exc}"
    return outcomes


def run_overdue(*, grace: timedelta = GRACE, limit: int = OVERDUE_BATCH) -> int:
    """The schedule: run follow-ups still pending `grace` after they were recorded (or last tried).

    Returns how many orders it ran follow-ups for.
    """
    cutoff = timezone.now() - grace
    order_ids = list(
        FollowUp.objects.filter(status=FollowUp.Status.PENDING, created_at__lte=cutoff)
        .exclude(attempted_at__gt=cutoff)
        .order_by("order_id").values_list("order_id", flat=True).distinct()[:limit]
    )
    for order_id in order_ids:
        run(order_id)
    return len(order_ids)
