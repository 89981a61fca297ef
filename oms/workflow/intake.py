"""Order intake: what must be true when a channel's `POST /api/v1/orders` answers 201.

Read top-down, in one transaction, all or nothing:

1. the order, its lines and its customer (`orders`);
2. the payment the channel reports, with its journal entry and the order's funds summary (`finance`);
3. the automatic review, with the order locked once: the checks (rules from a cache), then the
   stock reservation (`inventory`) — short stock is a hold reason, never an oversell;
4. the decision: `awaiting_payment` / `awaiting_shipment`, or `on_hold` with its reasons;
5. the follow-ups for after commit (`oms.workflow.follow_ups`): the invoice of an order paid in
   full, the shipments (and WMS instruction) of an order released for shipment.

Nothing else runs in the request: no invoice, no shipment planning (the logistics hook's inline
planning is switched off here with `follow_ups.after_commit`), no PDF. Nested services open no
savepoints (`core.transactions.without_nested_savepoints`): any error undoes the whole order, so
each step uses a service form that reports instead of raising where the intake goes on (a shortage).

Idempotency (same channel order, same `Idempotency-Key`) is the caller's (`oms.api.services`):
a concurrent duplicate fails the order's unique constraint and the whole transaction rolls back.
"""

from __future__ import annotations

from collections import Counter

from django.db import transaction

from core import hooks
from core.bulk import write_pipeline
from core.errors import InsufficientStock
from core.money import to_money
from core.transactions import without_nested_savepoints
from finance.models import PaymentSource
from finance.services import payment_record
from inventory.services import order_stock_try_reserve
from oms.workflow.automation.engine import automation_fire
from oms.workflow.automation.models import Trigger
from oms.workflow.checks import HoldCode
from oms.workflow.follow_ups import AFTER_COMMIT_STEPS, after_commit, follow_ups_needed, follow_ups_record
from oms.workflow.registry import registered_steps
from oms.workflow.services import PaymentInput, cached_active_rules, evaluate_checks
from orders import services as order_services
from orders.events import events_written_together, write_queued_events
from orders.models import Order, OrderSource, OrderStatus
from orders.services import HoldReason, OrderInput


def intake_order(*, data: OrderInput, payment: PaymentInput | None, actor, source: str = OrderSource.API,
                 number: str = "") -> Order:
    """Create, pay, review and reserve an order in one transaction; record its follow-ups.

    Raises `ValidationFailed` / `DuplicateOrder` like `order_create` (nothing is stored then). Call it
    as the outermost transaction, or inside one that is all or nothing as well.
    """
    with transaction.atomic(), without_nested_savepoints(), after_commit(recorded_by_caller=True), \
            events_written_together():
        order = order_services.order_create(data=data, actor=actor, source=source, check_duplicate=False,
                                            history=False, number=number)
        hooks.order_submitted.fire(hooks.OrderSubmitted(order=order, actor=actor))  # e.g. outbound webhooks
        if payment is not None and to_money(payment.paid_amount) > 0:
            payment_record(order=order, amount=payment.paid_amount, method=payment.method,
                           source=PaymentSource.CHANNEL, provider=order.channel.code,
                           transaction_id=payment.transaction_id, actor=actor, new_order=True)
        # No lock to take: the order's row was inserted by this transaction, which holds it until
        # commit, and `order` is current (the services above updated it in place).
        reasons = evaluate_checks(order=order, rules=cached_active_rules())
        # Automation rules (issue 19), trigger `created`: their holds join the checks' reasons.
        order = automation_fire(order=order, trigger=Trigger.CREATED, actor=actor, holds=reasons)
        if not reasons:
            reasons = _run_steps_in_request(order=order, actor=actor)
        if reasons:
            order = order_services.order_put_on_hold(order=order, reasons=reasons, actor=actor, locked=True)
            with write_pipeline():  # the last writes read nothing back: one round trip on PostgreSQL
                order_services.order_history_record(order=order, actor=actor)  # its one row, as committed
                write_queued_events()
            return order
        order = order_services.order_pass_review(order=order, actor=actor, locked=True)
        # Automation rules, trigger `reviewed` (a hold here holds the released order: no follow-ups then).
        order = automation_fire(order=order, trigger=Trigger.REVIEWED, actor=actor)
        kinds = follow_ups_needed(order) if order.status != OrderStatus.ON_HOLD else []
        with write_pipeline():  # the last writes read nothing back: one round trip on PostgreSQL
            order_services.order_history_record(order=order, actor=actor)  # its one row, as committed
            follow_ups_record(order=order, kinds=kinds, actor=actor)
            write_queued_events()
        return order


def _run_steps_in_request(*, order: Order, actor) -> list[HoldReason]:
    """The registered review steps, as `services._run_steps` runs them, but stock is reserved with the
    non-raising service (no savepoint to roll back to) and the invoice is left to a follow-up."""
    for step in registered_steps():
        if step.code in AFTER_COMMIT_STEPS:
            continue
        if step.code == "reserve_stock":
            reserved = order_stock_try_reserve(order=order, actor=actor, locked=True, new_lines=order.created_lines)
            if isinstance(reserved, InsufficientStock):
                return [HoldReason(HoldCode.STOCK_SHORTAGE, reserved.message,
                                   {"shortages": reserved.data.get("shortages", [])})]
            # The lines as the reservation left them, so the answer renders without reading them back.
            taken = Counter()
            for row in reserved.rows:
                taken[row["line_id"]] += row["quantity"]
            for line in order.created_lines:
                line.quantity_reserved += taken[line.pk]
            continue
        reasons = step.fn(order, actor)
        if reasons:
            return reasons
    return []
