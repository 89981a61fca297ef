"""Money going back: refunds through the payment connector.

Two steps, so that the journal always says where the money is:

1. `refund_request` (inside the caller's transaction — e.g. a cancellation): allocates the amount to
   the order's payments, newest first, creates `Refund` rows and posts Dr advance receipts /
   Cr refunds payable. The customer's money is now earmarked, not yet gone.
2. After commit, `refund_execute` calls the connector outside any transaction. On success
   `refund_complete` posts Dr refunds payable / Cr bank and updates the order's refunded amount; on
   failure `refund_fail` records the error, and `finance.tasks.retry_failed_refunds` (a django-q2
   schedule) tries again, up to `MAX_REFUND_ATTEMPTS`.

Only money we hold for the customer (advance receipts) can be refunded. After shipment, revenue
must first be reversed (`revenue.revenue_reverse` for returns, `revenue.revenue_allowance` for a
price allowance) — that is what a credit note records — which moves the amount back to advance
receipts.

A refund that the provider reports itself (webhook `refunded`) is `refund_record_external`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import hooks
from core.actors import SYSTEM, actor_name, actor_user
from core.errors import ValidationFailed
from core.fsm import run_transition
from core.money import to_money
from finance import events
from finance.connectors import ConnectorError, connector_for
from finance.lock_objects import lock_payments, lock_refund
from finance.models import Account, EntryKind, JournalEntry, Payment, Refund, RefundStatus
from finance.selectors import order_advance_balance, recognised_totals, refundable_payments
from finance.services.ledger import Cr, Dr, journal_post
from finance.services.revenue import revenue_allowance
from orders.lock_objects import lock_order
from orders.models import Order
from orders.services import order_set_funds

logger = logging.getLogger("oms.payments")

MAX_REFUND_ATTEMPTS = 6
PAID_AFTER_CANCELLATION = gettext_lazy("Payment received for a cancelled order.")


def _allocate(order: Order, amount) -> list[tuple[Payment, object]]:
    allocation, left = [], amount
    for payment in refundable_payments(order_id=order.pk):
        if left <= 0:
            break
        part = min(left, payment.available)
        allocation.append((payment, part))
        left -= part
    if left > 0:
        raise ValidationFailed(errors={"amount": [_("More than the payments of this order can refund.")]})
    return allocation


def check_refund_amount(*, wanted: Decimal, held: Decimal) -> None:
    """A refund takes more than nothing and no more than is still held for the customer."""
    if wanted <= 0:
        raise ValidationFailed(errors={"amount": [_("Must be greater than zero.")]})
    if wanted > held:
        raise ValidationFailed(errors={"amount": [
            _("Only ¥%(held)s is held for the customer. Reverse the revenue first (return or allowance).")
            % {"held": f"{held:,.2f}"}]})


@transaction.atomic
def refund_request(*, order: Order, reason: str, actor, amount=None) -> list[Refund]:
    """Earmark a refund of `amount` (default: everything held for the customer) and send it after commit."""
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("A reason is required.")]})
    order = lock_order(order)
    held = order_advance_balance(order_id=order.pk)
    amount = held if amount is None else to_money(amount)
    check_refund_amount(wanted=amount, held=held)
    refunds = []
    for payment, part in _allocate(order, amount):
        refund = Refund.objects.create(order=order, payment=payment, amount=part, reason=reason[:255],
                                       requested_by=actor_user(actor), actor_name=actor_name(actor))
        journal_post(kind=EntryKind.REFUND_REQUESTED, order=order, refund=refund, payment=payment,
                     reference=f"refund:{refund.pk}", actor=actor,
                     legs=[Dr(Account.ADVANCE, part), Cr(Account.REFUNDS_PAYABLE, part)],
                     description=events.refund_requested_description(order=order, amount=part, reason=reason))
        refunds.append(refund)
        transaction.on_commit(partial(refund_execute, refund_id=refund.pk), robust=True)
    events.refund_requested_event(order=order, actor=actor, amount=amount, reason=reason,
                                  refund_ids=[r.pk for r in refunds])
    return refunds


def refund_execute(*, refund_id: int) -> Refund:
    """Ask the provider to pay a refund out; runs outside a transaction (after commit or in a job)."""
    refund = Refund.objects.select_related("payment", "order").get(pk=refund_id)
    if refund.status not in (RefundStatus.PENDING, RefundStatus.FAILED):
        return refund
    try:
        result = connector_for(refund.payment.provider).refund(
            order_number=refund.order.number, amount=refund.amount, transaction_id=refund.payment.transaction_id,
            idempotency_key=f"refund-{refund.pk}", reason=refund.reason,
        )
    except ConnectorError as exc:
        logger.warning("refund %s failed: %s", refund.pk, exc)
        return refund_fail(refund=refund, error=str(exc), retryable=exc.retryable)
    except Exception as exc:  # noqa: BLE001 — a broken connector must not leave the refund pending forever
        logger.exception("refund %s: connector error", refund.pk)
        return refund_fail(refund=refund, error=f"{type(exc).__name__}: {exc}", retryable=True)
    return refund_complete(refund=refund, provider_refund_id=result.provider_refund_id, actor=SYSTEM)


def _pay_out(*, order: Order, refund: Refund, actor, legs) -> JournalEntry:
    entry = journal_post(kind=EntryKind.REFUND_PAID, order=order, refund=refund, payment=refund.payment,
                         reference=f"refund:{refund.pk}", actor=actor, legs=legs,
                         description=events.refund_paid_description(order=order, amount=refund.amount))
    Payment.objects.filter(pk=refund.payment_id).update(refunded_amount=F("refunded_amount") + refund.amount)
    order_set_funds(order=order, paid_amount=order.paid_amount, refunded_amount=order.refunded_amount + refund.amount,
                    actor=actor)
    return entry


@transaction.atomic
def refund_complete(*, refund: Refund, provider_refund_id: str, actor) -> Refund:
    order = lock_order(refund.order_id)
    refund = lock_refund(refund.pk)
    if refund.status == RefundStatus.SUCCEEDED:
        return refund
    lock_payments([refund.payment_id])
    run_transition(refund, "succeed")
    refund.provider_refund_id = provider_refund_id
    refund.completed_at = timezone.now()
    refund.attempts += 1
    refund.save()
    entry = _pay_out(order=order, refund=refund, actor=actor,
                     legs=[Dr(Account.REFUNDS_PAYABLE, refund.amount), Cr(Account.BANK, refund.amount)])
    events.refund_completed_event(order=order, actor=actor, amount=refund.amount, provider=refund.payment.provider,
                                  provider_refund_id=provider_refund_id,
                                  data={"refund": refund.pk, "amount": f"{refund.amount:.2f}", "entry": entry.number,
                                        "provider_refund_id": provider_refund_id})
    hooks.refund_completed.fire(hooks.RefundCompleted(order=order, actor=actor, amount=refund.amount))
    return refund


@transaction.atomic
def refund_fail(*, refund: Refund, error: str, retryable: bool = True) -> Refund:
    order = lock_order(refund.order_id)
    refund = lock_refund(refund.pk)
    if refund.status not in (RefundStatus.PENDING, RefundStatus.FAILED):
        return refund
    run_transition(refund, "fail")
    refund.attempts = refund.attempts + 1 if retryable else MAX_REFUND_ATTEMPTS
    refund.last_error = error
    refund.save()
    gave_up = refund.attempts >= MAX_REFUND_ATTEMPTS
    if refund.attempts == 1 or gave_up:
        events.refund_failed_event(order=order, actor=SYSTEM, amount=refund.amount, error=error, gave_up=gave_up,
                                   data={"refund": refund.pk, "error": error, "attempts": refund.attempts,
                                         "gave_up": gave_up})
    return refund


@transaction.atomic
def refund_withdraw(*, refund: Refund, reason: str, actor) -> Refund:
    """Finance gives up a refund that cannot be paid through the provider: the earmark is reversed
    (Dr refunds payable / Cr advance receipts), so the amount is again held for the customer."""
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("A reason is required.")]})
    order = lock_order(refund.order_id)
    refund = lock_refund(refund.pk)
    run_transition(refund, "withdraw", actor=actor)
    refund.last_error = reason
    refund.save()
    requested = JournalEntry.objects.get(kind=EntryKind.REFUND_REQUESTED, order=order, reference=f"refund:{refund.pk}")
    journal_post(kind=EntryKind.REFUND_WITHDRAWN, order=order, refund=refund, payment=refund.payment,
                 reference=f"refund:{refund.pk}", reverses=requested, actor=actor,
                 legs=[Dr(Account.REFUNDS_PAYABLE, refund.amount), Cr(Account.ADVANCE, refund.amount)],
                 description=events.refund_withdrawn_description(amount=refund.amount, reason=reason))
    events.refund_withdrawn_event(order=order, actor=actor, amount=refund.amount, reason=reason, refund_id=refund.pk)
    return refund


@transaction.atomic
def refund_record_external(*, order: Order, amount, provider: str, actor, transaction_id: str = "",
                           provider_refund_id: str = "", reason: str = "") -> list[Refund]:
    """The provider reports money refunded (by us earlier, or from its own console).

    Repeated notifications are filtered by the webhook inbox (unique event id). A refund we
    requested and are waiting for is completed; one we already paid out with the same amount is
    marked confirmed. Otherwise the refund is recorded as paid out at once; if it exceeds what we
    hold for the customer after shipment, the difference is booked as a price allowance (revenue
    and VAT reduced) first.
    """
    amount = to_money(amount)
    if amount <= 0:
        raise ValidationFailed(errors={"amount": [_("Must be greater than zero.")]})
    order = lock_order(order)
    waiting = (Refund.objects.filter(order=order, amount=amount, status__in=[RefundStatus.PENDING, RefundStatus.FAILED])
               .order_by("requested_at", "pk").first())
    if waiting is not None:
        refund = refund_complete(refund=waiting, provider_refund_id=provider_refund_id or transaction_id, actor=actor)
        Refund.objects.filter(pk=refund.pk).update(confirmed_at=timezone.now())
        return [refund]
    # The notification for a refund we already paid out through the connector: confirm, move nothing.
    ours = (Refund.objects.filter(order=order, amount=amount, status=RefundStatus.SUCCEEDED, external=False,
                                  confirmed_at__isnull=True).order_by("completed_at", "pk").first())
    if ours is not None:
        Refund.objects.filter(pk=ours.pk).update(confirmed_at=timezone.now())
        return [ours]
    held = order_advance_balance(order_id=order.pk)
    reason = reason or _("Refunded at %(provider)s") % {"provider": provider}
    if amount > held:
        if recognised_totals(order_id=order.pk)["gross"] <= 0:
            raise ValidationFailed(errors={"amount": [_("More than the payments of this order can refund.")]})
        revenue_allowance(order=order, amount=amount - held, actor=actor,
                          reference=f"allowance:{provider}:{provider_refund_id or transaction_id or amount}")
    refunds = []
    for payment, part in _allocate(order, amount):
        refund = Refund.objects.create(order=order, payment=payment, amount=part, reason=reason[:255], external=True,
                                       provider_refund_id=provider_refund_id, requested_by=actor_user(actor),
                                       actor_name=actor_name(actor))
        run_transition(refund, "succeed")
        refund.completed_at = refund.confirmed_at = timezone.now()
        refund.save()
        _pay_out(order=order, refund=refund, actor=actor, legs=[Dr(Account.ADVANCE, part), Cr(Account.BANK, part)])
        order.refresh_from_db(fields=["paid_amount", "refunded_amount"])
        refunds.append(refund)
    events.refund_completed_event(order=order, actor=actor, amount=amount, provider=provider,
                                  data={"amount": f"{amount:.2f}", "provider": provider,
                                        "transaction_id": transaction_id, "provider_refund_id": provider_refund_id,
                                        "refunds": [r.pk for r in refunds]})
    hooks.refund_completed.fire(hooks.RefundCompleted(order=order, actor=actor, amount=amount))
    return refunds


def retry_failed_refunds(*, now=None) -> int:
    """Run by the django-q2 schedule: try failed refunds again (each at most MAX_REFUND_ATTEMPTS
    times), and refunds still pending ten minutes after they were requested (the process that
    should have sent them after commit died)."""
    forgotten = (now or timezone.now()) - timedelta(minutes=10)
    ids = list(Refund.objects.filter(Q(status=RefundStatus.FAILED, attempts__lt=MAX_REFUND_ATTEMPTS)
                                     | Q(status=RefundStatus.PENDING, requested_at__lt=forgotten))
               .order_by("pk").values_list("pk", flat=True))
    for refund_id in ids:
        refund_execute(refund_id=refund_id)
    return len(ids)

