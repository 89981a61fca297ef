"""Timeline entries of the funds flow: one writer per kind, through `orders.events.record_event`.

Messages are `timeline_message(gettext_lazy(...), {...})`, rendered when stored in the timeline's
language (zh-hans) whoever caused the step; `data` keeps the machine-readable facts. The payment
itself is written by the orders stage (`orders.services.order_set_funds`, kind `payment_recorded`)
with the message `payment_recorded_message` builds here.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy

from finance.models import PaymentSource
from orders.events import TimelineMessage, record_event, timeline_message
from orders.models import Order, OrderEvent, PaymentMethod


class FinanceEventKind:
    PAYMENT_RECORDED = "payment_recorded"  # written by orders.services.order_set_funds
    PAYMENT_FAILED = "payment_failed"
    REFUND_REQUESTED = "refund_requested"
    REFUND_COMPLETED = "refund_completed"
    REFUND_FAILED = "refund_failed"
    REFUND_WITHDRAWN = "refund_withdrawn"
    REFUND_APPROVAL_REQUESTED = "refund_approval_requested"
    REFUND_APPROVED = "refund_approved"
    REFUND_REJECTED = "refund_rejected"
    REVENUE_RECOGNISED = "revenue_recognised"
    REVENUE_REVERSED = "revenue_reversed"
    INVOICE_ISSUED = "invoice_issued"
    INVOICE_VOIDED = "invoice_voided"


def _cny(amount: Decimal) -> str:
    return f"{amount:,.2f}"


SOURCE_MESSAGES = {
    PaymentSource.CHANNEL: gettext_lazy("Payment of ¥%(amount)s reported by the channel (%(method)s)."),
    PaymentSource.WEBHOOK: gettext_lazy("Payment of ¥%(amount)s confirmed by %(provider)s (%(method)s)."),
    PaymentSource.MANUAL: gettext_lazy("Bank transfer of ¥%(amount)s registered, reference %(reference)s."),
    PaymentSource.COD: gettext_lazy("Cash on delivery of ¥%(amount)s collected, reference %(reference)s."),
}


def payment_recorded_message(*, amount: Decimal, source: str, method: str, provider: str,
                             reference: str) -> TimelineMessage:
    """The `payment_recorded` entry's text (the orders stage writes the entry with the funds summary)."""
    return timeline_message(SOURCE_MESSAGES[source], {
        "amount": _cny(amount), "method": PaymentMethod(method).label, "provider": provider or "-",
        "reference": reference or "-"})


def payment_failed_event(*, order: Order, actor, amount: Decimal, provider: str, data: dict) -> OrderEvent:
    return record_event(order=order, kind=FinanceEventKind.PAYMENT_FAILED, actor=actor,
                        message=timeline_message(gettext_lazy("Payment of ¥%(amount)s failed at %(provider)s."),
                                                 {"amount": _cny(amount), "provider": provider or "-"}),
                        data=data)


def refund_requested_event(*, order: Order, actor, amount: Decimal, reason: str, refund_ids: list[int]) -> OrderEvent:
    return record_event(order=order, kind=FinanceEventKind.REFUND_REQUESTED, actor=actor,
                        message=timeline_message(gettext_lazy("Refund of ¥%(amount)s requested: %(reason)s"),
                                                 {"amount": _cny(amount), "reason": reason}),
                        data={"amount": f"{amount:.2f}", "reason": reason, "refunds": refund_ids})


def refund_completed_event(*, order: Order, actor, amount: Decimal, provider: str, data: dict,
                           provider_refund_id: str | None = None) -> OrderEvent:
    """Money went back: paid out by our connector (`provider_refund_id` given), or reported by the provider."""
    if provider_refund_id is not None:
        message = timeline_message(gettext_lazy("Refund of ¥%(amount)s paid out (%(provider)s %(ref)s)."),
                                   {"amount": _cny(amount), "provider": provider or "-", "ref": provider_refund_id})
    else:
        message = timeline_message(gettext_lazy("Refund of ¥%(amount)s reported by %(provider)s."),
                                   {"amount": _cny(amount), "provider": provider})
    return record_event(order=order, kind=FinanceEventKind.REFUND_COMPLETED, actor=actor, message=message, data=data)


def refund_failed_event(*, order: Order, actor, amount: Decimal, error: str, gave_up: bool, data: dict) -> OrderEvent:
    template = (gettext_lazy("Refund of ¥%(amount)s failed and needs finance: %(error)s") if gave_up
                else gettext_lazy("Refund of ¥%(amount)s failed, will retry: %(error)s"))
    return record_event(order=order, kind=FinanceEventKind.REFUND_FAILED, actor=actor,
                        message=timeline_message(template, {"amount": _cny(amount), "error": error}), data=data)


def refund_withdrawn_event(*, order: Order, actor, amount: Decimal, reason: str, refund_id: int) -> OrderEvent:
    return record_event(order=order, kind=FinanceEventKind.REFUND_WITHDRAWN, actor=actor,
                        message=timeline_message(gettext_lazy("Refund of ¥%(amount)s withdrawn: %(reason)s"),
                                                 {"amount": _cny(amount), "reason": reason}),
                        data={"refund": refund_id, "reason": reason})


def _approval_data(approval, **extra) -> dict:
    return {"refund_approval": approval.pk, "amount": f"{approval.amount:.2f}", "reason": approval.reason,
            "requested_by": approval.requested_by.get_username(), **extra}


def refund_approval_requested_event(*, order: Order, actor, approval, limit: Decimal,
                                    earlier: Decimal) -> OrderEvent:
    """A clerk's refund above the limit (with the order's `earlier` refunds outside a return) waits for
    approval: nothing is paid or booked yet."""
    template = (gettext_lazy("Refund of ¥%(amount)s awaits approval (above ¥%(limit)s with ¥%(earlier)s refunded "
                             "before): %(reason)s") if earlier
                else gettext_lazy("Refund of ¥%(amount)s awaits approval (above ¥%(limit)s): %(reason)s"))
    return record_event(
        order=order, kind=FinanceEventKind.REFUND_APPROVAL_REQUESTED, actor=actor,
        message=timeline_message(template, {"amount": _cny(approval.amount), "limit": _cny(limit),
                                            "earlier": _cny(earlier), "reason": approval.reason}),
        data=_approval_data(approval, limit=f"{limit:.2f}", earlier=f"{earlier:.2f}"))


def refund_approved_event(*, order: Order, actor, approval) -> OrderEvent:
    """Written before the refund itself (its `refund_requested` or the cancellation follows it)."""
    return record_event(
        order=order, kind=FinanceEventKind.REFUND_APPROVED, actor=actor,
        message=timeline_message(
            gettext_lazy("Refund of ¥%(amount)s requested by %(requester)s approved by %(approver)s."),
            {"amount": _cny(approval.amount), "requester": approval.requested_by.get_username(),
             "approver": approval.decided_by.get_username()}),
        data=_approval_data(approval, approved_by=approval.decided_by.get_username(),
                            comment=approval.decision_comment))


def refund_rejected_event(*, order: Order, actor, approval) -> OrderEvent:
    return record_event(
        order=order, kind=FinanceEventKind.REFUND_REJECTED, actor=actor,
        message=timeline_message(
            gettext_lazy("Refund of ¥%(amount)s requested by %(requester)s rejected by %(approver)s: %(comment)s"),
            {"amount": _cny(approval.amount), "requester": approval.requested_by.get_username(),
             "approver": approval.decided_by.get_username(), "comment": approval.decision_comment}),
        data=_approval_data(approval, rejected_by=approval.decided_by.get_username(),
                            comment=approval.decision_comment))


def revenue_recognised_event(*, order: Order, actor, entry_number: str, reference: str, gross: Decimal,
                             from_advance: Decimal) -> OrderEvent:
    receivable = gross - from_advance
    return record_event(
        order=order, kind=FinanceEventKind.REVENUE_RECOGNISED, actor=actor,
        message=timeline_message(
            gettext_lazy("Revenue of ¥%(gross)s recognised for shipment %(reference)s (¥%(receivable)s receivable)."),
            {"gross": _cny(gross), "reference": reference, "receivable": _cny(receivable)}),
        data={"entry": entry_number, "reference": reference, "gross": f"{gross:.2f}",
              "from_advance": f"{from_advance:.2f}", "receivable": f"{receivable:.2f}"})


def revenue_reversed_event(*, order: Order, actor, entry_number: str, reference: str, gross: Decimal,
                           receivable_cleared: Decimal) -> OrderEvent:
    owed = gross - receivable_cleared
    return record_event(
        order=order, kind=FinanceEventKind.REVENUE_REVERSED, actor=actor,
        message=timeline_message(
            gettext_lazy("Revenue of ¥%(gross)s reversed (%(reference)s); ¥%(owed)s now owed to the customer."),
            {"gross": _cny(gross), "reference": reference, "owed": _cny(owed)}),
        data={"entry": entry_number, "reference": reference, "gross": f"{gross:.2f}",
              "receivable_cleared": f"{receivable_cleared:.2f}", "owed": f"{owed:.2f}"})


def invoice_issued_event(*, order: Order, actor, invoice, replaces=None, credit_note=None) -> OrderEvent:
    """An invoice was issued; with `replaces`/`credit_note`, for what stays invoiced after a credit note."""
    data = {"invoice": invoice.number, "total": f"{invoice.total:.2f}", "tax": f"{invoice.tax_total:.2f}"}
    if credit_note is None:
        message = timeline_message(gettext_lazy("Invoice %(number)s issued to %(buyer)s, ¥%(total)s."),
                                   {"number": invoice.number, "buyer": invoice.buyer_name,
                                    "total": _cny(invoice.total)})
    else:
        message = timeline_message(
            gettext_lazy("Invoice %(number)s issued for what stays invoiced after %(credit)s, ¥%(total)s."),
            {"number": invoice.number, "credit": credit_note.number, "total": _cny(invoice.total)})
        data = {"invoice": invoice.number, "replaces": replaces.number, "credit_note": credit_note.number,
                "total": data["total"], "tax": data["tax"]}
    return record_event(order=order, kind=FinanceEventKind.INVOICE_ISSUED, actor=actor, message=message, data=data)


def invoice_voided_event(*, order: Order, actor, invoice, credit_note, reason: str) -> OrderEvent:
    return record_event(
        order=order, kind=FinanceEventKind.INVOICE_VOIDED, actor=actor,
        message=timeline_message(gettext_lazy("Invoice %(number)s voided by credit note %(credit)s: %(reason)s"),
                                 {"number": invoice.number, "credit": credit_note.number, "reason": reason}),
        data={"invoice": invoice.number, "credit_note": credit_note.number, "reason": reason})


# Journal entry descriptions (stored in zh-hans by `finance.services.ledger.journal_post`, like the timeline).

def payment_description(*, order: Order, amount: Decimal, method: str) -> TimelineMessage:
    return timeline_message(gettext_lazy("Payment %(amount)s for order %(order)s (%(method)s)"),
                            {"amount": _cny(amount), "order": order.number, "method": PaymentMethod(method).label})


def refund_requested_description(*, order: Order, amount: Decimal, reason: str) -> TimelineMessage:
    return timeline_message(gettext_lazy("Refund %(amount)s requested for order %(order)s: %(reason)s"),
                            {"amount": _cny(amount), "order": order.number, "reason": reason})


def refund_paid_description(*, order: Order, amount: Decimal) -> TimelineMessage:
    return timeline_message(gettext_lazy("Refund %(amount)s paid out for order %(order)s"),
                            {"amount": _cny(amount), "order": order.number})


def refund_withdrawn_description(*, amount: Decimal, reason: str) -> TimelineMessage:
    return timeline_message(gettext_lazy("Refund %(amount)s withdrawn: %(reason)s"),
                            {"amount": _cny(amount), "reason": reason})


def revenue_description(*, order: Order, reference: str) -> TimelineMessage:
    return timeline_message(gettext_lazy("Revenue for order %(order)s, shipment %(reference)s"),
                            {"order": order.number, "reference": reference})


def return_description(*, order: Order, reference: str) -> TimelineMessage:
    return timeline_message(gettext_lazy("Return on order %(order)s (%(reference)s)"),
                            {"order": order.number, "reference": reference})


def allowance_description(*, order: Order, reference: str) -> TimelineMessage:
    return timeline_message(gettext_lazy("Allowance on order %(order)s (%(reference)s)"),
                            {"order": order.number, "reference": reference})
