"""Follow-ups: what an order's release leaves for after commit, recorded so that nothing is lost.

Every path that releases an order for shipment — the API intake (`oms.workflow.intake`), the
review of a connector's order (`services.review_order`), a reviewer's approval, a payment arriving
after review (`payments.settle_after_payment`), the backorder queue, an exchange's replacement
order — commits what must be true (state, money, reservation) and records here, in the same
transaction, what can follow. `follow_ups_needed` is the one decision: the invoice of an order paid
in full, the shipments (with the WMS instruction they write to the outbox) of an order awaiting
shipment. Customer notifications (`logistics.notifications.notify`) are recorded the same way, one
per order and key. After commit one django-q2 job per order runs them (`run`); the schedule
`run_overdue` (every minute, migration `0003_follow_ups`) runs every follow-up still pending after
`GRACE`, so a worker that died, a broker that lost the job or a failing service only delays the
work. Each kind calls an idempotent service and a follow-up is marked done in the same transaction
as its work, so running one twice (the job and the schedule racing, a retry after a crash) does
nothing twice.

Where the work is deferred: inside `after_commit()` — every web request (`FollowUpsAfterCommit`
middleware), the workflow's services and jobs. A release inside that block reaches `on_status_change`
(hook `order_status_changed`), which records the follow-ups; the logistics hook then plans nothing
itself. Outside it (a shell, a lower stage's own test) the logistics hook plans inline as before.

Read the pending ones with `oms.workflow.selectors.order_follow_ups(order)`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from core.actors import SystemActor, actor_name, actor_user
from core.bulk import insert_objects
from core.errors import DomainError
from core.hooks import CustomerNotificationRequested, OrderStatusChanged
from logistics.handlers import shipments_planned_by_caller
from oms.workflow.models import FollowUp
from orders.models import Order, OrderStatus

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=30)  # how long a pending follow-up waits for its job before the schedule runs it
MAX_ATTEMPTS = 8  # then it is marked failed and shown as such on the order page
OVERDUE_BATCH = 500


def _issue_invoice(follow_up: FollowUp, actor) -> str:
    from finance.services import invoice_issue_if_due

    invoice = invoice_issue_if_due(order=follow_up.order_id, actor=actor)
    return invoice.number if invoice is not None else "not due or already issued"


def _plan_shipments(follow_up: FollowUp, actor) -> str:
    from logistics.services import order_shipments_create

    shipments = order_shipments_create(order=follow_up.order_id, actor=actor)
    return ", ".join(s.number for s in shipments) or "nothing left to plan"


def _notify_customer(follow_up: FollowUp, actor) -> str:
    """Every configured backend gets it; one that fails is logged, not retried (the others must not
    hear it twice). Only when none took it does the follow-up count a failed attempt and retry.

    If the transaction that marks it done fails after a gateway took it, it is sent again: with the
    same message id (the follow-up's), so a gateway or mail system that de-duplicates keeps one."""
    from logistics.notifications import backends, deliver

    sent = deliver(follow_up.payload, message_id=f"oms-notify-{follow_up.pk}")
    if backends() and not sent:
        raise RuntimeError("no notification backend took it")
    return f"sent through {sent} backend(s)"


HANDLERS: dict[str, Callable[[FollowUp, object], str]] = {
    FollowUp.Kind.ISSUE_INVOICE: _issue_invoice,
    FollowUp.Kind.PLAN_SHIPMENTS: _plan_shipments,
    FollowUp.Kind.NOTIFY_CUSTOMER: _notify_customer,
}
# Invoice first: the timeline then reads "invoice issued, shipments planned", as it did inline.
ORDER_OF_KINDS = [FollowUp.Kind.ISSUE_INVOICE, FollowUp.Kind.PLAN_SHIPMENTS, FollowUp.Kind.NOTIFY_CUSTOMER]

# None: not deferring (the logistics hook plans inline); "hook": a release records its follow-ups
# (`on_status_change`); "caller": the caller records them itself (the intake, in its write pipeline).
_deferring: ContextVar[str | None] = ContextVar("follow_ups_deferring", default=None)


@contextmanager
def after_commit(*, recorded_by_caller: bool = False) -> Iterator[None]:
    """Inside this block an order released for shipment gets its invoice and shipments as follow-ups
    run after commit, never inline. Nestable; an inner block can only defer more."""
    mode = "caller" if recorded_by_caller else (_deferring.get() if _deferring.get() == "caller" else "hook")
    token = _deferring.set(mode)
    try:
        with shipments_planned_by_caller():
            yield
    finally:
        _deferring.reset(token)


def deferred(fn):
    """Decorator: the service runs inside `after_commit()` (its releases become follow-ups)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with after_commit():
            return fn(*args, **kwargs)
    return wrapper


# Review steps whose work is a follow-up when deferring (see `follow_ups_needed`).
AFTER_COMMIT_STEPS = {"issue_invoice"}


def deferring() -> bool:
    return _deferring.get() is not None


def follow_ups_needed(order: Order) -> list[str]:
    """The one decision, for an order that was just released (passed review, paid, approved, let out
    of the backorder queue): which work follows after commit."""
    from finance.services.invoices import invoice_is_due
    from oms.workflow.registry import registered_steps

    kinds = []
    if invoice_is_due(order) and any(s.code == "issue_invoice" for s in registered_steps()):
        kinds.append(FollowUp.Kind.ISSUE_INVOICE)
    if order.status == OrderStatus.AWAITING_SHIPMENT:
        kinds.append(FollowUp.Kind.PLAN_SHIPMENTS)
    return kinds


def on_status_change(payload: OrderStatusChanged) -> None:
    """`order_status_changed` handler: inside `after_commit()`, an order reaching `awaiting_shipment`
    records what `follow_ups_needed` says (the logistics hook plans nothing there)."""
    if _deferring.get() == "hook" and payload.target == OrderStatus.AWAITING_SHIPMENT:
        follow_ups_record(order=payload.order, kinds=follow_ups_needed(payload.order), actor=payload.actor,
                          again=True)


def on_notification(payload: CustomerNotificationRequested) -> None:
    """`customer_notification_requested` handler: a follow-up per order and key, recorded once (a
    second request with the same key is dropped: the customer hears it once)."""
    row = FollowUp(order_id=payload.order_id, kind=FollowUp.Kind.NOTIFY_CUSTOMER, key=payload.key[:100],
                   payload=payload.data, created_at=timezone.now(), actor=actor_user(payload.actor),
                   actor_name=actor_name(payload.actor))
    FollowUp.objects.bulk_create([row], ignore_conflicts=True)
    _enqueue_after_commit(payload.order_id)


def follow_ups_record(*, order: Order, kinds: list[str], actor, again: bool = False) -> list[FollowUp]:
    """Record follow-ups in the caller's transaction and queue their job for after it commits.

    `again`: the order may have had these follow-ups before (released, held, released again): a
    done one is set pending again (each kind is idempotent, so it redoes only what is missing).
    Without it the rows are inserted without reading anything back (the intake's new order).
    """
    if not kinds:
        return []
    now = timezone.now()
    user = actor_user(actor)
    rows = [FollowUp(order=order, kind=kind, key="", created_at=now, actor=user, actor_name=actor_name(actor))
            for kind in sorted(set(kinds), key=ORDER_OF_KINDS.index)]
    if again:
        FollowUp.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["order", "kind", "key"],
            update_fields=["status", "attempts", "last_error", "created_at", "attempted_at", "actor", "actor_name"])
    else:
        insert_objects(FollowUp, rows)  # no ids read back: may join the caller's write pipeline
    _enqueue_after_commit(order.pk)
    return rows


def _enqueue_after_commit(order_id: int) -> None:
    transaction.on_commit(lambda: enqueue(order_id))


_broker = None


def _process_broker():
    """One django-q2 broker per process: `async_task` without one opens a new broker connection (a
    TCP connect and a health check on Redis) for every order. The broker's connection pool notices a
    fork, so a forked web worker gets its own connections."""
    global _broker
    if _broker is None:
        from django_q.brokers import get_broker

        _broker = get_broker()
    return _broker


def enqueue(order_id: int) -> None:
    """Hand an order's pending follow-ups to a worker. A failure to enqueue loses nothing: the schedule
    runs them after the grace period.

    `save=False`: the follow-up rows are the record of what ran (the order page shows them), so a
    successful job leaves no django-q `Success` row — saving one takes a lock over the last
    `save_limit` successes and prunes them, for every order. A failed job is still saved."""
    from django_q.tasks import async_task

    try:
        async_task("oms.workflow.follow_ups.run", order_id, task_name=f"follow_ups:{order_id}", group="follow_ups",
                   save=False, broker=_process_broker())
    except Exception:  # the broker is down: the order is committed, the schedule will catch up
        log.exception("could not enqueue follow-ups of order %s", order_id)


def _actor_of(follow_up: FollowUp):
    if follow_up.actor_id:
        return get_user_model().objects.filter(pk=follow_up.actor_id).first() or SystemActor(follow_up.actor_name)
    return SystemActor(follow_up.actor_name or "system")


def _lock_pending(order_id: int, *, pk: int | None = None) -> list[FollowUp]:
    """The order's pending follow-ups (or the one with `pk`), locked, in the order they run. Rows
    another worker holds right now are skipped: it runs them."""
    qs = FollowUp.objects.filter(order_id=order_id, status=FollowUp.Status.PENDING)
    if pk is not None:
        qs = qs.filter(pk=pk)
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    return sorted(qs, key=lambda row: (ORDER_OF_KINDS.index(row.kind), row.pk))


def _count_failed_attempt(follow_up: FollowUp, error: str, now) -> None:
    follow_up.attempts += 1
    follow_up.attempted_at = now
    follow_up.last_error = error[:2000]
    if follow_up.attempts >= MAX_ATTEMPTS:
        follow_up.status = FollowUp.Status.FAILED
    follow_up.save(update_fields=["attempts", "attempted_at", "last_error", "status"])


def _attempts_failed(follow_up_ids: list[int], error: str) -> None:
    """After a transaction of the job rolled back: each follow-up it ran counts a failed attempt."""
    with transaction.atomic():
        for follow_up in FollowUp.objects.select_for_update().filter(pk__in=follow_up_ids,
                                                                     status=FollowUp.Status.PENDING):
            _count_failed_attempt(follow_up, error, timezone.now())


def _label(follow_up: FollowUp) -> str:
    return f"{follow_up.kind}:{follow_up.key}" if follow_up.key else follow_up.kind


# Work that reaches outside the database (an SMS gateway, a mail server): each runs in a transaction
# of its own, so that once a gateway took it, only its own "done" can be lost with a failed commit.
OUTSIDE_KINDS = {FollowUp.Kind.NOTIFY_CUSTOMER}


def _settle(follow_up: FollowUp, actor, outcomes: dict[str, str]) -> None:
    """Run one locked follow-up in a savepoint and record its outcome on its row, in the caller's
    transaction: done (a domain refusal counts as done), or a failed attempt."""
    label = _label(follow_up)
    try:
        with transaction.atomic():
            outcome = HANDLERS[follow_up.kind](follow_up, actor)
    except DomainError as exc:
        outcome = f"skipped: {exc}"
    except Exception as exc:  # noqa: BLE001 — recorded on the row, retried by the schedule
        log.exception("follow-up %s of order %s failed", label, follow_up.order_id)
        _count_failed_attempt(follow_up, f"{type(exc).__name__}: {exc}", timezone.now())
        outcomes[label] = f"failed: {exc}"
        return
    now = timezone.now()
    follow_up.status = FollowUp.Status.DONE
    follow_up.outcome = outcome[:255]
    follow_up.attempts += 1
    follow_up.attempted_at = follow_up.done_at = now
    follow_up.save(update_fields=["status", "outcome", "attempts", "attempted_at", "done_at"])
    outcomes[label] = outcome


def _run_locked(order_id: int, actors: dict, outcomes: dict[str, str], *, pk: int | None = None) -> list[FollowUp]:
    """One transaction: lock the order's pending follow-ups (or the one with `pk`) and settle them
    together, but for `OUTSIDE_KINDS` (only the first, when nothing else is pending); returns the
    locked ones left for transactions of their own. If the transaction fails, nothing of it is kept
    and each follow-up it ran counts a failed attempt."""
    ran: dict[int, str] = {}
    try:
        with transaction.atomic():
            follow_ups = _lock_pending(order_id, pk=pk)
            together = [row for row in follow_ups if row.kind not in OUTSIDE_KINDS] or follow_ups[:1]
            for follow_up in together:
                ran[follow_up.pk] = _label(follow_up)
                key = (follow_up.actor_id, follow_up.actor_name)
                if key not in actors:
                    actors[key] = _actor_of(follow_up)
                _settle(follow_up, actors[key], outcomes)
    except Exception as exc:  # noqa: BLE001 — rolled back; the schedule tries again
        log.exception("follow-ups of order %s rolled back", order_id)
        _attempts_failed(list(ran), f"{type(exc).__name__}: {exc}")
        outcomes.update({label: f"failed: {exc}" for label in ran.values()})
        return []
    return [row for row in follow_ups if row.pk not in ran]


def run(order_id: int) -> dict[str, str]:
    """Run an order's pending follow-ups: the database-only ones (invoice, shipments) together in one
    transaction, each in a savepoint of its own; each notification in a transaction of its own.

    One transaction rather than one per follow-up: a prepaid order's invoice and shipments then cost
    one commit (one wait for the disk) and one read of the follow-ups, in the job that runs after
    every order. A follow-up that fails rolls back to its savepoint and counts a failed attempt
    (pending for the schedule, failed after `MAX_ATTEMPTS`) without undoing the others. A domain
    refusal (the order was cancelled or put on hold meanwhile, so there is nothing to plan) settles
    it as done with the refusal as its outcome. Should a transaction itself fail (the database went
    away, the process is killed), nothing of it is kept: each follow-up it ran stays pending, with a
    failed attempt counted when the process is still there to count it.

    Returns outcomes by kind (and key, for notifications).
    """
    outcomes: dict[str, str] = {}
    actors: dict[tuple, object] = {}
    for left in _run_locked(order_id, actors, outcomes):
        _run_locked(order_id, actors, outcomes, pk=left.pk)
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
