"""Settling a request: refunds (full or partial, shipping fee by rule) and exchanges (a replacement order).

Refunds after shipment go back through the payment connector of the original method, with a
credit note for the invoiced amount and reversing journal entries (the finance stage's
services). A refund asked for before anything shipped cancels the order instead; the finance
stage refunds a cancelled order's payments itself.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales import funds, replacements
from aftersales.events import AftersalesEventKind, record_return_event
from aftersales.lock_objects import lock_return_request
from aftersales.models import ReturnLine, ReturnRequest, ReturnStatus
from aftersales.rules import allocate, refund_quote, refund_units
from aftersales.services.common import mark_status_changed, require_comment
from core.actors import SYSTEM
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from core.fsm import run_transition
from core.money import format_cny, to_money
from orders.models import OrderStatus


@transaction.atomic
def return_request_refund(*, request: ReturnRequest, actor, comment: str,
                          amount: Decimal | str | None = None) -> ReturnRequest:
    """Refund an inspected return, or an approved refund without return.

    `amount` defaults to the rules' quote (goods that passed QC, damaged ones when the seller is
    at fault, the shipping fee when the policy says so, never more than paid minus refunded); a
    smaller amount is a partial refund and is spread over the lines in proportion.
    """
    comment = require_comment(comment)
    request = lock_return_request(request)
    if request.before_shipment:
        return _refund_by_cancellation(request=request, actor=actor, comment=comment)
    source = request.status
    transition = "refund_without_return" if request.is_refund_only() else "refund"
    # State and permission first (an error rolls the whole step back), then the amount.
    run_transition(request, transition, actor=actor)
    lines = list(request.lines.select_related("order_line").order_by("pk"))
    quote = refund_quote(request, lines=lines)
    wanted = quote.total if amount in (None, "") else _parse_amount(amount)
    if wanted > quote.total:
        raise ValidationFailed(
            _("At most %(max)s can be refunded for %(number)s.") % {"max": format_cny(quote.total),
                                                                    "number": request.number},
            errors={"amount": [_("At most %(max)s.") % {"max": format_cny(quote.total)}]})
    if wanted <= 0:
        raise ValidationFailed(
            _("Nothing to refund for %(number)s; close it with a comment instead.") % {"number": request.number},
            errors={"amount": [_("Must be more than zero.")]})
    weights = [q.amount for q in quote.lines] + [quote.shipping_fee]
    full = quote.goods + quote.shipping_fee
    shares = allocate(wanted, weights) if wanted != full else weights
    for q, share in zip(quote.lines, shares[:-1], strict=True):
        q.return_line.refund_amount = share
        q.return_line.quantity_refunded = q.units
    ReturnLine.objects.bulk_update([q.return_line for q in quote.lines], ["refund_amount", "quantity_refunded"])
    request.refund_amount = wanted
    request.shipping_fee_refunded = shares[-1]
    request.settled_at = timezone.now()
    outcome = funds.refund_return(
        request=request, amount=wanted, shipping_fee=shares[-1], full=wanted == quote.total,
        lines=[(q.return_line, q.units, share) for q, share in zip(quote.lines, shares[:-1], strict=True)],
        actor=actor, comment=comment,
    )
    request.refund_ids = outcome.refund_ids
    request.awaiting_manual_refund = outcome.manual
    request.credit_note_number = outcome.credit_note
    mark_status_changed(request, "refund_amount", "shipping_fee_refunded", "settled_at", "refund_ids",
                        "awaiting_manual_refund", "credit_note_number")
    partial = wanted < quote.total

    def message():
        text = _("%(number)s refunded %(amount)s") % {"number": request.number, "amount": format_cny(wanted)}
        if request.shipping_fee_refunded:
            text += _(" (shipping fee %(fee)s)") % {"fee": format_cny(request.shipping_fee_refunded)}
        if partial:
            text += _(", partial: the rules allow %(max)s") % {"max": format_cny(quote.total)}
        if outcome.credit_note:
            text += _("; invoice credited by %(credit_note)s") % {"credit_note": outcome.credit_note}
        if outcome.manual:
            text += _("; finance transfers it by bank and confirms")
        return _("%(text)s. %(comment)s") % {"text": text, "comment": comment}

    record_return_event(
        request=request, kind=AftersalesEventKind.REFUNDED, source=source, actor=actor, message=message,
        amount=f"{wanted:.2f}", quoted=f"{quote.total:.2f}", shipping_fee=f"{request.shipping_fee_refunded:.2f}",
        partial=partial, comment=comment, refunds=outcome.refund_ids, manual=outcome.manual,
        credit_note=outcome.credit_note, journal_entry=outcome.reversal,
        lines=[{"sku": q.return_line.order_line.sku, "units": q.units, "amount": f"{q.return_line.refund_amount:.2f}"}
               for q in quote.lines],
    )
    return request


def _parse_amount(value) -> Decimal:
    try:
        return to_money(value)
    except (TypeError, ValueError):
        raise ValidationFailed(errors={"amount": [_("Not an amount of money.")]})


def _refund_by_cancellation(*, request: ReturnRequest, actor, comment: str) -> ReturnRequest:
    """Before shipment a refund is a cancellation: the order is cancelled (stock released, payments
    refunded by the stages that own them) and the request records what came back."""
    source = request.status
    if source != ReturnStatus.APPROVED:
        raise InvalidTransition(_("Only an approved request can be refunded."))
    with translation.override("zh-hans"):
        reason = _("Refund before shipment (%(number)s): %(comment)s") % {"number": request.number,
                                                                          "comment": comment}
    order, refunded = funds.cancel_order_for_refund(order=request.order, actor=actor, reason=reason)
    request.order = order
    run_transition(request, "refund_without_return", actor=actor)
    lines = list(request.lines.select_related("order_line"))
    for line in lines:
        line.quantity_refunded = line.quantity
        line.refund_amount = line.order_line.amount
    ReturnLine.objects.bulk_update(lines, ["quantity_refunded", "refund_amount"])
    request.refund_amount = refunded
    request.shipping_fee_refunded = min(order.shipping_fee, refunded)
    request.settled_at = timezone.now()
    mark_status_changed(request, "refund_amount", "shipping_fee_refunded", "settled_at")
    record_return_event(
        request=request, kind=AftersalesEventKind.REFUNDED, source=source, actor=actor,
        message=lambda: _("%(number)s settled by cancelling the order before shipment; %(amount)s refunded.")
        % {"number": request.number, "amount": format_cny(refunded)},
        amount=f"{refunded:.2f}", comment=comment, cancelled=True,
    )
    return request


def exchange_units(request: ReturnRequest, line: ReturnLine) -> int:
    """Units of a line that get a replacement: the same units a return would refund."""
    return refund_units(request, line)


@transaction.atomic
def return_request_exchange(*, request: ReturnRequest, actor, comment: str) -> ReturnRequest:
    """Send replacements for the inspected units: a replacement order at no charge, linked to the
    request, reserved and shipped through the normal goods stages."""
    comment = require_comment(comment)
    request = lock_return_request(request)
    source = request.status
    lines = list(request.lines.select_related("order_line", "order_line__product", "exchange_product")
                 .order_by("pk"))
    units = [(line, exchange_units(request, line)) for line in lines]
    units = [(line, n) for line, n in units if n > 0]
    run_transition(request, "exchange", actor=actor)
    if not units:
        raise ValidationFailed(_("No unit of %(number)s passed QC: nothing to exchange; close it with a comment.")
                               % {"number": request.number}, errors={"lines": [_("Nothing to exchange.")]})
    replacement = replacements.create_replacement_order(request=request, units=units, actor=actor)
    request.replacement_order = replacement
    request.settled_at = timezone.now()
    mark_status_changed(request, "replacement_order", "settled_at")
    record_return_event(
        request=request, kind=AftersalesEventKind.EXCHANGED, source=source, actor=actor,
        message=lambda: _("%(number)s exchanged: replacement order %(replacement)s (%(lines)s), no charge. "
                          "%(comment)s") % {
            "number": request.number, "replacement": replacement.number, "comment": comment,
            "lines": "，".join(f"{(line.exchange_product or line.order_line.product).sku}×{n}" for line, n in units)},
        replacement_order=replacement.number, comment=comment,
        lines=[{"sku": line.order_line.sku, "replacement_sku": (line.exchange_product or line.order_line.product).sku,
                "quantity": n} for line, n in units],
    )
    return request


@transaction.atomic
def return_request_confirm_refund(*, request: ReturnRequest, reference: str, actor) -> ReturnRequest:
    """Finance transferred a bank-transfer or cash-on-delivery refund by hand: record the payout
    with its bank reference and close the request."""
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed(errors={"reference": [_("The bank reference is required.")]})
    if not actor.has_perm("aftersales.confirm_refund"):
        raise PermissionDenied(_("Only finance can confirm refunds transferred by hand."))
    request = lock_return_request(request)
    if request.status != ReturnStatus.REFUNDED or not request.awaiting_manual_refund:
        raise InvalidTransition(_("%(number)s has no refund waiting for a bank transfer.") % {"number": request.number})
    source = request.status
    request.refund_ids = funds.confirm_manual_refund(request=request, reference=reference, actor=actor)
    request.refund_reference = reference
    request.awaiting_manual_refund = False
    run_transition(request, "close", actor=None)  # closing on confirmation is part of finance's step
    request.closed_at = timezone.now()
    mark_status_changed(request, "refund_ids", "refund_reference", "awaiting_manual_refund", "closed_at")
    record_return_event(
        request=request, kind=AftersalesEventKind.CLOSED, source=source, actor=actor, settled=True,
        message=lambda: _("Refund of %(amount)s for %(number)s transferred by bank (reference %(reference)s); "
                          "request closed.") % {"amount": format_cny(request.refund_amount),
                                                "number": request.number, "reference": reference},
        reference=reference, refunds=request.refund_ids,
    )
    return request


def return_requests_close_settled(*, actor=SYSTEM) -> list[str]:
    """Close what is settled for good: refunds paid out by their providers, exchanges whose
    replacement left the warehouse. Run by the django-q2 schedule (`close_settled_returns`)."""
    closed = []
    candidates = list(ReturnRequest.objects.filter(status__in=[ReturnStatus.REFUNDED, ReturnStatus.EXCHANGED])
                      .select_related("replacement_order").order_by("pk"))
    for candidate in candidates:
        if candidate.status == ReturnStatus.REFUNDED:
            done = candidate.before_shipment or funds.refunds_paid_out(candidate)
            why = _("Refund paid out.")
        else:
            replacement = candidate.replacement_order
            done = replacement is not None and replacement.status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED)
            why = _("Replacement shipped.")
        if not done:
            continue
        with transaction.atomic():
            request = lock_return_request(candidate)
            if request.status not in (ReturnStatus.REFUNDED, ReturnStatus.EXCHANGED):
                continue
            source = request.status
            run_transition(request, "close", actor=None)
            request.closed_at = timezone.now()
            mark_status_changed(request, "closed_at")
            record_return_event(request=request, kind=AftersalesEventKind.CLOSED, source=source, actor=actor,
                                settled=True, automatic=True,
                                message=lambda request=request, why=why: _("%(number)s closed: %(comment)s") % {
                                    "number": request.number, "comment": why})
            closed.append(request.number)
    return closed
