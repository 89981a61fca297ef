"""The order's funds summary, which the finance stage keeps in step with its journal."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from core.money import to_money
from orders.events import EventKind, record_event
from orders.lock_objects import lock_order
from orders.models import Order, PaymentMethod, PaymentStatus


def payment_status_for(*, order: Order) -> str:
    if order.refunded_amount > 0:
        fully = order.refunded_amount >= order.paid_amount
        return PaymentStatus.REFUNDED if fully else PaymentStatus.PARTIALLY_REFUNDED
    if order.paid_amount <= 0:
        return PaymentStatus.COD if order.payment_method == PaymentMethod.COD else PaymentStatus.UNPAID
    if order.paid_amount < order.total:
        return PaymentStatus.PARTIALLY_PAID
    if order.paid_amount > order.total:
        return PaymentStatus.OVERPAID
    return PaymentStatus.PAID


@transaction.atomic
def order_set_funds(*, order: Order, paid_amount: Decimal, refunded_amount: Decimal, actor,
                    payment_method: str | None = None, message=None, data: dict | None = None,
                    locked: bool = False, save: bool = True) -> Order:
    """Update the order's funds summary. Called by the finance stage, which owns the journal.

    `locked`: the caller holds `order` locked and current in this transaction; it is updated in place.
    `save=False` (with `locked`): only the instance changes; its owner saves it once its state is
    final (the order intake saves the order once, when it is reviewed).
    """
    if not locked:
        order = lock_order(order)
        save = True
    order.paid_amount = to_money(paid_amount)
    order.refunded_amount = to_money(refunded_amount)
    if payment_method:
        order.payment_method = payment_method
    order.payment_status = payment_status_for(order=order)
    if save:
        order.save(update_fields=["paid_amount", "refunded_amount", "payment_method", "payment_status",
                                  "updated_at"])
    if message is not None:
        record_event(order=order, kind=EventKind.PAYMENT_RECORDED, message=message, actor=actor,
                     data={"paid": f"{order.paid_amount:.2f}", "refunded": f"{order.refunded_amount:.2f}",
                           **(data or {})})
    return order
