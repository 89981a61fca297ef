"""Money coming in: payments reported by channels and providers, bank transfers registered by
finance, cash collected on delivery.

Providers that authorise first and capture later: `payment_authorize` records a pending payment
(no money), `payment_capture` asks the connector and books it.

Each succeeded payment is one `Payment` row, one journal entry (Dr bank; Cr accounts receivable up
to what the customer owes for goods already shipped, the rest Cr advance receipts) and one update
of the order's funds summary through `orders.services.order_set_funds`, which writes the timeline
event. Moving the order on (paid → awaiting shipment, mismatch → on hold) is the workflow's job
(`oms.workflow.payments`), not this module's.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import actor_name, actor_user
from core.errors import ValidationFailed
from core.fsm import run_transition
from core.money import ZERO, to_money
from finance import events
from finance.connectors import ConnectorError, connector_for
from finance.lock_objects import lock_payments
from finance.models import Account, EntryKind, Payment, PaymentSource, PaymentState
from finance.selectors import order_balances
from finance.services.ledger import Cr, Dr, journal_post
from orders.lock_objects import lock_order
from orders.models import Order, PaymentMethod
from orders.services import order_set_funds


def _validate(*, amount, method: str, source: str) -> None:
    errors: dict[str, list[str]] = {}
    try:
        value = to_money(amount)
    except (TypeError, ValueError):
        errors["amount"] = [_("Not an amount of money.")]
    else:
        if value <= 0:
            errors["amount"] = [_("Must be greater than zero.")]
    if method not in PaymentMethod.values:
        errors["method"] = [_("Unknown payment method.")]
    if source not in PaymentSource.values:
        errors["source"] = [_("Unknown payment source.")]
    if errors:
        raise ValidationFailed(errors=errors)


@transaction.atomic
def payment_record(*, order: Order, amount, method: str, source: str, actor, provider: str = "",
                   transaction_id: str = "", reference: str = "", paid_at=None, new_order: bool = False) -> Payment:
    """Record money received for an order. Idempotent on (order, transaction_id).

    The same transaction reported twice (by the channel with the order and again by the
    provider's webhook) is counted once: the existing payment is returned unchanged.

    `new_order=True`: the caller created `order` in this very transaction (the order intake), so
    nobody else can see it, it has no payment and no journal entry yet: it is neither locked nor
    looked up again (three queries less). `order`'s funds summary is updated in place and not saved:
    the caller saves the order when its intake is done (the payment and journal rows are written).
    """
    _validate(amount=amount, method=method, source=source)
    amount = to_money(amount)
    if not new_order:
        order = lock_order(order)
    transaction_id = (transaction_id or "").strip()
    if transaction_id and not new_order:
        existing = Payment.objects.filter(order=order, transaction_id=transaction_id,
                                          status=PaymentState.SUCCEEDED).first()
        if existing is not None:
            return existing
    payment = Payment.objects.create(
        order=order, method=method, source=source, provider=provider, transaction_id=transaction_id,
        reference=reference.strip(), amount=amount, status=PaymentState.SUCCEEDED,
        paid_at=paid_at or timezone.now(), recorded_by=actor_user(actor), actor_name=actor_name(actor),
    )
    _book(order=order, payment=payment, actor=actor, new_order=new_order)
    return payment


def _method_after(order: Order, payment: Payment) -> str | None:
    """The order's payment method once this payment is in: the channel's guess at ordering time
    (Alipay) gives way to what the customer actually paid with (WeChat Pay) on the first payment,
    so the order and its payment never say two different things. Cash on delivery stays."""
    if not order.payment_method:
        return payment.method
    if (order.paid_amount == 0 and order.payment_method != PaymentMethod.COD
            and payment.method != order.payment_method):
        return payment.method
    return None


def _book(*, order: Order, payment: Payment, actor, new_order: bool = False) -> None:
    """The journal entry and the order's funds summary of a succeeded payment (order locked)."""
    amount = payment.amount
    receivable = ZERO if new_order else max(order_balances(order_id=order.pk)[Account.RECEIVABLE], ZERO)
    to_receivable = min(amount, receivable)
    entry = journal_post(
        kind=EntryKind.PAYMENT, order=order, payment=payment, reference=f"payment:{payment.pk}", actor=actor,
        posted_at=payment.paid_at,
        legs=[Dr(Account.BANK, amount), Cr(Account.RECEIVABLE, to_receivable),
              Cr(Account.ADVANCE, amount - to_receivable)],
        description=events.payment_description(order=order, amount=amount, method=payment.method),
    )
    message = events.payment_recorded_message(amount=amount, source=payment.source, method=payment.method,
                                              provider=payment.provider, reference=payment.reference)
    order_set_funds(
        order=order, paid_amount=order.paid_amount + amount, refunded_amount=order.refunded_amount,
        payment_method=_method_after(order, payment), actor=actor, message=message,
        locked=new_order, save=not new_order,
        data={"amount": f"{amount:.2f}", "method": payment.method, "source": payment.source,
              "provider": payment.provider, "transaction_id": payment.transaction_id,
              "reference": payment.reference, "payment": payment.pk, "entry": entry.number},
    )


@transaction.atomic
def payment_authorize(*, order: Order, amount, method: str, provider: str, actor,
                      transaction_id: str = "") -> Payment:
    """An authorisation the provider holds for us: a pending payment, no money yet (capture later)."""
    _validate(amount=amount, method=method, source=PaymentSource.WEBHOOK)
    order = lock_order(order)
    return Payment.objects.create(
        order=order, method=method, source=PaymentSource.WEBHOOK, provider=provider,
        transaction_id=(transaction_id or "").strip(), amount=to_money(amount), status=PaymentState.PENDING,
        recorded_by=actor_user(actor), actor_name=actor_name(actor),
    )


def payment_capture(*, payment: Payment, actor) -> Payment:
    """Capture an authorised payment through its connector. Call outside a transaction: the
    provider is asked first, then the result is recorded (booked, or marked failed)."""
    payment = Payment.objects.select_related("order").get(pk=payment.pk)
    if payment.status != PaymentState.PENDING:
        return payment
    try:
        result = connector_for(payment.provider).capture(
            order_number=payment.order.number, amount=payment.amount, transaction_id=payment.transaction_id,
            idempotency_key=f"payment-{payment.pk}")
    except ConnectorError as exc:
        return _capture_recorded(payment=payment, actor=actor, transaction_id="", error=str(exc))
    return _capture_recorded(payment=payment, actor=actor, transaction_id=result.transaction_id, error="")


@transaction.atomic
def _capture_recorded(*, payment: Payment, actor, transaction_id: str, error: str) -> Payment:
    order = lock_order(payment.order_id)
    payment = lock_payments([payment.pk])[payment.pk]
    if payment.status != PaymentState.PENDING:
        return payment
    if error:
        run_transition(payment, "fail")
        payment.failure_reason = error[:255]
        payment.save()
        events.payment_failed_event(order=order, actor=actor, amount=payment.amount, provider=payment.provider,
                                    data={"payment": payment.pk, "reason": error})
        return payment
    run_transition(payment, "succeed")
    payment.transaction_id = transaction_id or payment.transaction_id
    payment.paid_at = timezone.now()
    payment.save()
    _book(order=order, payment=payment, actor=actor)
    return payment


@transaction.atomic
def payment_record_failed(*, order: Order, amount, method: str, actor, provider: str = "",
                          transaction_id: str = "", reason: str = "") -> Payment:
    """A provider reports a failed payment attempt: kept for the record, no money, no journal entry."""
    _validate(amount=amount, method=method, source=PaymentSource.WEBHOOK)
    amount = to_money(amount)
    order = lock_order(order)
    if transaction_id:
        existing = Payment.objects.filter(order=order, transaction_id=transaction_id,
                                          status=PaymentState.FAILED).first()
        if existing is not None:
            return existing
    payment = Payment.objects.create(
        order=order, method=method, source=PaymentSource.WEBHOOK, provider=provider,
        transaction_id=(transaction_id or "").strip(), amount=amount, status=PaymentState.FAILED,
        failure_reason=reason[:255], recorded_by=actor_user(actor), actor_name=actor_name(actor),
    )
    events.payment_failed_event(order=order, actor=actor, amount=amount, provider=provider,
                                data={"amount": f"{amount:.2f}", "provider": provider, "transaction_id": transaction_id,
                                      "payment": payment.pk, "reason": reason})
    return payment


def _refuse_reused_reference(*, order: Order, transaction_id: str) -> None:
    if Payment.objects.filter(order=order, transaction_id=transaction_id, status=PaymentState.SUCCEEDED).exists():
        raise ValidationFailed(errors={"reference": [_("This reference is already registered for this order.")]})


def bank_transfer_register(*, order: Order, amount, reference: str, actor, paid_at=None) -> Payment:
    """Finance registers a bank transfer from the bank statement; partial amounts are fine."""
    if not (reference or "").strip():
        raise ValidationFailed(errors={"reference": [_("The bank reference is required.")]})
    _refuse_reused_reference(order=order, transaction_id=f"bank:{reference.strip()}")
    return payment_record(order=order, amount=amount, method=PaymentMethod.BANK_TRANSFER,
                          source=PaymentSource.MANUAL, provider="bank", reference=reference,
                          transaction_id=f"bank:{reference.strip()}", paid_at=paid_at, actor=actor)


def cod_collect(*, order: Order, amount, reference: str, actor, collected_at=None) -> Payment:
    """The carrier remitted cash collected on delivery: settles the receivable booked at shipment."""
    if order.payment_method != PaymentMethod.COD:
        raise ValidationFailed(errors={"order": [_("This order is not cash on delivery.")]})
    if not (reference or "").strip():
        raise ValidationFailed(errors={"reference": [_("The remittance reference is required.")]})
    _refuse_reused_reference(order=order, transaction_id=f"cod:{reference.strip()}")
    return payment_record(order=order, amount=amount, method=PaymentMethod.COD, source=PaymentSource.COD,
                          provider="cod", reference=reference, transaction_id=f"cod:{reference.strip()}",
                          paid_at=collected_at, actor=actor)
