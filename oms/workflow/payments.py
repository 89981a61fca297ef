"""Payments in the order pipeline: record the money (finance), then move the order (orders).

`receive_payment` is the one entry point for money arriving after an order was reviewed — the
payment-provider webhook, a bank transfer registered by finance. It records the payment through
`finance.services.payment_record` and then decides what the order does:

- `awaiting_payment` and now paid exactly in full → `awaiting_shipment` (`order_mark_paid`); the
  invoice (when `OMS_INVOICE_ON_PAYMENT` is on) and the shipments follow after commit
  (`oms.workflow.follow_ups`);
- `awaiting_payment` and paid less (a provider notification, not a partial bank transfer) or
  more than the total, or `awaiting_shipment` and now overpaid → `on_hold` with `payment_mismatch`;
- `cancelled` → the money is refunded at once;
- `pending_review` / `on_hold` → recorded only; the review (check `payment_match`) decides.

Orders that arrive already paid get their invoice from the review step `issue_invoice` below,
which runs after the inventory stage reserved stock.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy

from finance import services as finance
from finance.models import PaymentSource
from finance.services.refunds import PAID_AFTER_CANCELLATION
from oms.workflow.automation.engine import automation_fire
from oms.workflow.automation.models import Trigger
from oms.workflow.checks import HoldCode
from oms.workflow.follow_ups import deferred, deferring
from oms.workflow.registry import review_step
from orders import services as order_services
from orders.events import timeline_message
from orders.lock_objects import lock_order
from orders.models import Order, OrderStatus, PaymentMethod
from orders.services import HoldReason


def _mismatch(order: Order) -> HoldReason:
    return HoldReason(HoldCode.PAYMENT_MISMATCH,
                      timeline_message(gettext_lazy("Paid ¥%(paid)s but the order total is ¥%(total)s."),
                                       {"paid": f"{order.paid_amount:,.2f}", "total": f"{order.total:,.2f}"}),
                      {"paid": f"{order.paid_amount:.2f}", "total": f"{order.total:.2f}"})


def settle_after_payment(*, order: Order, actor, allow_partial: bool) -> Order:
    order = lock_order(order)
    if order.status == OrderStatus.AWAITING_PAYMENT:
        if order.paid_amount == order.total:
            order = order_services.order_mark_paid(order=order, actor=actor)
            if not deferring():  # otherwise the release records the invoice as a follow-up
                finance.invoice_issue_if_due(order=order, actor=actor)
            # Automation rules (issue 19), trigger `paid`.
            order = automation_fire(order=order, trigger=Trigger.PAID, actor=actor)
        elif order.paid_amount > order.total or not allow_partial:
            order = order_services.order_put_on_hold(order=order, reasons=[_mismatch(order)], actor=actor)
    elif order.status == OrderStatus.AWAITING_SHIPMENT and order.paid_amount > order.total \
            and order.payment_method != PaymentMethod.COD:
        order = order_services.order_put_on_hold(order=order, reasons=[_mismatch(order)], actor=actor)
    elif order.status == OrderStatus.CANCELLED:
        with translation.override("zh-hans"):
            reason = str(PAID_AFTER_CANCELLATION)
        finance.refund_request(order=order, actor=actor, reason=reason)
    return order


@deferred
@transaction.atomic
def receive_payment(*, order: Order, amount, method: str, source: str, actor, provider: str = "",
                    transaction_id: str = "", reference: str = "", paid_at=None, allow_partial: bool = False) -> Order:
    """Record money for an order and move the order on. Idempotent on (order, transaction_id).

    A transfer finance registers from the bank statement (`source=MANUAL`, `method=bank_transfer`)
    is booked by `finance.bank_transfer_register` (the bank reference is required and never reused);
    with `allow_partial` a partial transfer leaves the order awaiting payment until the rest arrives.
    """
    if source == PaymentSource.MANUAL and method == PaymentMethod.BANK_TRANSFER:
        finance.bank_transfer_register(order=order, amount=amount, reference=reference, paid_at=paid_at, actor=actor)
    else:
        finance.payment_record(order=order, amount=amount, method=method, source=source, provider=provider,
                               transaction_id=transaction_id, reference=reference, paid_at=paid_at, actor=actor)
    return settle_after_payment(order=order, actor=actor, allow_partial=allow_partial)


def record_provider_payment(*, order: Order, provider: str, status: str, amount, actor, transaction_id: str = "",
                            paid_at=None) -> Order:
    """A payment provider's notification (`succeeded`, `failed` or `refunded`), as the webhook delivers it."""
    method = provider if provider in PaymentMethod.values else (order.payment_method or PaymentMethod.ALIPAY)
    if status == "succeeded":
        return receive_payment(order=order, amount=amount, method=method, source=PaymentSource.WEBHOOK,
                               provider=provider, transaction_id=transaction_id, paid_at=paid_at, actor=actor)
    if status == "failed":
        finance.payment_record_failed(order=order, amount=amount, method=method, provider=provider,
                                      transaction_id=transaction_id, actor=actor)
        return order
    if status == "refunded":
        finance.refund_record_external(order=order, amount=amount, provider=provider, actor=actor,
                                       transaction_id=transaction_id)
        return order
    raise ValueError(f"unknown payment status {status!r}")


@review_step("issue_invoice", position=90)
def issue_invoice_step(order: Order, actor) -> list[HoldReason]:
    """Orders that pass review already paid in full get their invoice (setting OMS_INVOICE_ON_PAYMENT)."""
    finance.invoice_issue_if_due(order=order, actor=actor)
    return []
