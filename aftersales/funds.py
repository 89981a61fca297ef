"""The funds flow of after-sales, through the finance stage's services.

A refund after shipment is three movements, in this order, inside the refund step's transaction:

1. Revenue: a refund of returned goods as the rules quote it reverses the revenue recognised for
   those units (and the shipping fee when it is refunded) with reversing journal entries
   (`revenue_reverse`); a refund with a deduction, or without return (goods kept), is a price
   allowance of the refunded amount plus whatever the customer still owed (`revenue_allowance`).
   Either way the amount moves to advance receipts: owed back.
2. Invoice: a credit note (红字发票) for the refunded amount. When the order is refunded in full the
   invoice is voided (`invoice_void`); otherwise it is voided and issued again for what stays
   invoiced (`invoice_reissue`), so the order's credit notes less its new invoices add up to
   exactly what was refunded.
3. Money: through the payment connector of the original payments (`refund_request`, called after
   commit, retried on failure). Bank transfers and cash on delivery have no connector: finance
   pays the customer by bank and confirms the payout with its bank reference
   (`refund_record_external`), which closes the request.

Before shipment a refund is a cancellation; the finance stage voids the invoice and refunds the
payments on `hooks.order_cancelled` itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.models import ReturnKind, ReturnRequest, ReturnStatus
from core.actors import SystemActor, actor_name
from core.errors import ValidationFailed
from core.money import ZERO, to_money
from finance.models import Account, RefundStatus
from finance.selectors import (
    active_invoice,
    order_advance_balance,
    order_balances,
    recognised_quantities,
    recognised_totals,
    refundable_payments,
    shipping_recognised,
)
from finance.services import (
    invoice_reissue,
    invoice_void,
    refund_record_external,
    refund_request,
    revenue_allowance,
    revenue_reverse,
)
from orders.models import Order, PaymentMethod
from orders.services import order_cancel

# Payment methods whose money no connector can send back: finance transfers it and confirms.
MANUAL_METHODS = (PaymentMethod.BANK_TRANSFER, PaymentMethod.COD)
MANUAL_PROVIDERS = ("bank", "cod")


def refundable_funds(order: Order, *, exclude_request_id: int | None = None) -> Decimal:
    """What can still go back to the customer: the payments' money not refunded or on its way back,
    less refunds approved but waiting for finance to transfer them by hand."""
    available = sum((p.available for p in refundable_payments(order_id=order.pk)), ZERO)
    waiting = ReturnRequest.objects.filter(order=order, awaiting_manual_refund=True)
    if exclude_request_id is not None:
        waiting = waiting.exclude(pk=exclude_request_id)
    waiting_total = sum((r.refund_amount for r in waiting), ZERO)
    return max(to_money(available - waiting_total), ZERO)


def is_manual(order: Order) -> bool:
    payments = refundable_payments(order_id=order.pk)
    if payments:
        return all(p.method in MANUAL_METHODS or p.provider in MANUAL_PROVIDERS for p in payments)
    return order.payment_method in MANUAL_METHODS


@dataclass
class RefundOutcome:
    refund_ids: list[int] = field(default_factory=list)
    manual: bool = False
    credit_note: str = ""
    reversal: str = ""


def _reason(request: ReturnRequest, comment: str) -> str:
    with translation.override("zh-hans"):
        return _("After-sales %(number)s: %(comment)s") % {"number": request.number, "comment": comment}


def refund_return(*, request: ReturnRequest, amount: Decimal, shipping_fee: Decimal, lines, full: bool, actor,
                  comment: str) -> RefundOutcome:
    """Move `amount` back to the customer for `request`; `lines` are (return line, units, amount) and
    `full` says the amount is everything the rules allow for those units (no deduction)."""
    order = request.order
    outcome = RefundOutcome()
    reason = _reason(request, comment)
    if request.kind == ReturnKind.RETURN and full:
        recognised = recognised_quantities(order_id=order.pk)
        reverse = {}
        for line, units, _amount in lines:
            units = min(units, recognised.get(line.order_line_id, 0))
            if units > 0:
                reverse[line.order_line_id] = units
        with_shipping = shipping_fee > 0 and shipping_recognised(order_id=order.pk) > 0
        if reverse or with_shipping:
            entry = revenue_reverse(order=order, reference=request.number, actor=actor, lines=reverse,
                                    include_shipping=with_shipping)
            outcome.reversal = entry.number
    else:
        # The allowance first clears what the customer still owes (cash on delivery not yet
        # collected), then puts `amount` into advance receipts for the payout.
        owed = max(order_balances(order_id=order.pk)[Account.RECEIVABLE], ZERO)
        allowance = min(amount + owed, max(recognised_totals(order_id=order.pk)["gross"], ZERO))
        if allowance > 0:
            entry = revenue_allowance(order=order, amount=allowance, reference=request.number, actor=actor)
            outcome.reversal = entry.number
    invoice = active_invoice(order_id=order.pk)
    if invoice is not None:
        fully_refunded = refundable_funds(order, exclude_request_id=request.pk) - amount <= 0
        if fully_refunded:
            outcome.credit_note = invoice_void(invoice=invoice, reason=reason, actor=actor).number
        else:
            credit_note, _new = invoice_reissue(invoice=invoice, reason=reason, actor=actor,
                                                remaining=_still_invoiced(invoice, request, lines, shipping_fee))
            outcome.credit_note = credit_note.number
    if is_manual(order):
        outcome.manual = True  # finance transfers the money and confirms it (`confirm_manual_refund`)
        held = order_advance_balance(order_id=order.pk)
        if held < amount:
            raise ValidationFailed(errors={"amount": [_("Only ¥%(held)s is held for the customer.")
                                                      % {"held": f"{held:,.2f}"}]})
        return outcome
    outcome.refund_ids = [refund.pk for refund in refund_request(order=order, reason=reason, actor=actor,
                                                                 amount=amount)]
    return outcome


def _still_invoiced(invoice, request: ReturnRequest, lines, shipping_fee: Decimal) -> dict[int, tuple[int, Decimal]]:
    """What stays on the invoice after this refund, by invoice line position: returned units leave
    the invoice with their refunded amount; an allowance (goods kept) lowers the amount only."""
    order = request.order
    position_of = {line.pk: position for position, line in enumerate(order.lines.order_by("pk"), start=1)}
    by_position = {line.position: line for line in invoice.lines.all()}
    remaining: dict[int, tuple[int, Decimal]] = {}
    for return_line, units, share in lines:
        current = by_position.get(position_of.get(return_line.order_line_id))
        if current is None:
            continue
        quantity = current.quantity if request.kind == ReturnKind.REFUND_ONLY else max(current.quantity - units, 0)
        remaining[current.position] = (quantity, max(current.gross - share, ZERO))
    shipping_line = next((line for line in invoice.lines.all() if not line.sku and line.position > len(position_of)),
                         None)
    if shipping_line is not None and shipping_fee > 0:
        gross = max(shipping_line.gross - shipping_fee, ZERO)
        remaining[shipping_line.position] = (1 if gross > 0 else 0, gross)
    return remaining


def confirm_manual_refund(*, request: ReturnRequest, reference: str, actor) -> list[int]:
    """Finance transferred a refund by hand: record the payout (journal: advance receipts → bank)."""
    refunds = refund_record_external(order=request.order, amount=request.refund_amount, provider="bank",
                                     actor=actor, transaction_id=reference, provider_refund_id=reference,
                                     reason=_reason(request, reference))
    return [refund.pk for refund in refunds]


def refunds_paid_out(request: ReturnRequest) -> bool:
    """Every finance refund of the request has been paid out by its provider."""
    from finance.models import Refund

    if request.status != ReturnStatus.REFUNDED or request.awaiting_manual_refund or not request.refund_ids:
        return False
    statuses = set(Refund.objects.filter(pk__in=request.refund_ids).values_list("status", flat=True))
    return statuses == {RefundStatus.SUCCEEDED}


def cancel_order_for_refund(*, order: Order, actor, reason: str) -> tuple[Order, Decimal]:
    """A refund before shipment: cancel the order; the stages release stock and refund payments.

    Returns the order and the amount the finance stage earmarked for the customer.
    """
    held_before = sum((p.available for p in refundable_payments(order_id=order.pk)), ZERO)
    # The refund step's own permission was checked; the cancellation is part of it, so it runs as
    # after-sales on behalf of the clerk (named on the timeline) without a general right to cancel.
    order_cancel(order=order, actor=SystemActor(f"aftersales:{actor_name(actor)}"), reason=reason)
    order.refresh_from_db()
    held_after = sum((p.available for p in refundable_payments(order_id=order.pk)), ZERO)
    return order, max(to_money(held_before - held_after), ZERO)
