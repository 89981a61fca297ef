"""Invoices (发票) and credit notes (红字发票).

An invoice is a snapshot of the order at issue time: buyer (the customer's company name and tax ID
for a company buyer, else the customer's name), seller (`settings.OMS_SELLER`) and one line per
order line plus the shipping fee, each split into net amount and VAT at its rate. Numbers are
gapless per calendar year, `INV-2026-000001`, from `core.numbering.next_value` (a row lock on
PostgreSQL, so concurrent issuers queue and a rolled-back issue gives its number back).

Invoices are never deleted or edited. `invoice_void` marks one voided and issues a credit note
with its own gapless number series (`CN-2026-000001`) and the negated lines.

When: `invoice_issue_if_due` issues the invoice once an order is paid in full, if
`settings.OMS_INVOICE_ON_PAYMENT` (default on). The workflow calls it from its review step
`issue_invoice` (orders that arrive paid) and after a payment moved an order to awaiting shipment
(`oms.workflow.payments`). Finance can also issue one by hand (`invoice_issue`), e.g. for a cash on
delivery order or a company that asks before paying.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.actors import actor_name, actor_user
from core.errors import InvalidTransition, ValidationFailed
from core.fsm import run_transition
from core.money import ZERO, to_money
from core.numbering import next_value
from finance import events
from finance.lock_objects import lock_invoice
from finance.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from finance.selectors import active_invoice
from finance.tax import shipping_tax_rate, split_gross
from finance.vat import Buyer, buyer_for, check_buyer
from orders.lock_objects import lock_order
from orders.models import Order, OrderStatus

SHIPPING_LINE_NAME = gettext_lazy("Shipping fee")


def next_invoice_number(kind: str = InvoiceKind.INVOICE) -> str:
    prefix = "INV" if kind == InvoiceKind.INVOICE else "CN"
    year = timezone.localdate().year
    return f"{prefix}-{year}-{next_value(f'{prefix}-{year}'):06d}"


def _lines_for(order: Order) -> list[InvoiceLine]:
    lines = []
    for position, line in enumerate(order.lines.all(), start=1):
        net, tax = split_gross(line.amount, line.tax_rate)
        lines.append(InvoiceLine(position=position, sku=line.sku, name=line.name, quantity=line.quantity,
                                 unit_price=line.unit_price, discount=line.discount, gross=line.amount, net=net,
                                 tax_rate=line.tax_rate, tax=tax))
    if order.shipping_fee > 0:
        rate = shipping_tax_rate()
        net, tax = split_gross(order.shipping_fee, rate)
        with translation.override("zh-hans"):
            name = str(SHIPPING_LINE_NAME)
        lines.append(InvoiceLine(position=len(lines) + 1, name=name, quantity=1, unit_price=order.shipping_fee,
                                 gross=order.shipping_fee, net=net, tax_rate=rate, tax=tax))
    return lines


def _create(*, order: Order, kind: str, lines: list[InvoiceLine], actor, original: Invoice | None = None,
            buyer: dict | None = None, seller: dict | None = None) -> Invoice:
    if buyer is None:
        buyer = buyer_for(order).invoice_fields()
    invoice = Invoice.objects.create(
        number=next_invoice_number(kind), kind=kind, order=order, original=original, issued_by=actor_user(actor),
        actor_name=actor_name(actor), seller=seller if seller is not None else dict(settings.OMS_SELLER),
        total=sum((line.gross for line in lines), ZERO), net_total=sum((line.net for line in lines), ZERO),
        tax_total=sum((line.tax for line in lines), ZERO), **buyer,
    )
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    return invoice


def _buyer_copy(invoice: Invoice) -> dict:
    return {"buyer_name": invoice.buyer_name, "buyer_tax_id": invoice.buyer_tax_id,
            "buyer_is_company": invoice.buyer_is_company, "invoice_type": invoice.invoice_type,
            "buyer_address_phone": invoice.buyer_address_phone, "buyer_bank_account": invoice.buyer_bank_account}


@transaction.atomic
def invoice_issue(*, order: Order, actor, buyer: Buyer | None = None) -> Invoice:
    """Issue the order's invoice now (finance by hand, or `invoice_issue_if_due`).

    `buyer` is what finance confirmed on the funds page; by default the order's invoice request or
    the customer's company details (`finance.vat.buyer_for`). Checked before a number is taken.
    """
    buyer = buyer or buyer_for(order)
    check_buyer(buyer)
    order = lock_order(order)
    if order.status == OrderStatus.CANCELLED:
        raise InvalidTransition(_("A cancelled order gets no invoice."))
    current = active_invoice(order_id=order.pk)
    if current is not None:
        raise InvalidTransition(_("Order %(order)s already has invoice %(number)s; void it first.")
                                % {"order": order.number, "number": current.number})
    return _issue_checked(order=order, buyer=buyer, actor=actor)


def _issue_checked(*, order: Order, buyer: Buyer, actor) -> Invoice:
    """The invoice of a locked, not cancelled order with no active invoice, for a checked buyer."""
    if order.total <= 0:
        raise ValidationFailed(errors={"order": [_("An order with nothing to pay gets no invoice.")]})
    invoice = _create(order=order, kind=InvoiceKind.INVOICE, lines=_lines_for(order), actor=actor,
                      buyer=buyer.invoice_fields())
    events.invoice_issued_event(order=order, actor=actor, invoice=invoice)
    return invoice


def invoice_is_due(order: Order) -> bool:
    return (settings.OMS_INVOICE_ON_PAYMENT and order.status != OrderStatus.CANCELLED and order.total > 0
            and order.paid_amount - order.refunded_amount >= order.total)


@transaction.atomic
def invoice_issue_if_due(*, order: Order, actor) -> Invoice | None:
    """Issue the invoice of a fully paid order unless it has one (or the setting is off)."""
    order = lock_order(order)
    if not invoice_is_due(order) or active_invoice(order_id=order.pk) is not None:
        return None
    buyer = buyer_for(order)
    try:
        check_buyer(buyer)
    except ValidationFailed:
        # A special invoice asked for without the details (a note saying 专票), or a bad tax ID: an
        # ordinary invoice would be wrong, so finance completes the details and issues it by hand.
        return None
    # The order is locked and due (so not cancelled) and has no active invoice: issued without
    # `invoice_issue` locking and looking again (a follow-up job per paid order runs this).
    return _issue_checked(order=order, buyer=buyer, actor=actor)


@transaction.atomic
def invoice_void(*, invoice: Invoice, reason: str, actor) -> Invoice:
    """Void an invoice: it stays, marked voided, and a credit note with its own number negates it."""
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("A reason is required.")]})
    order = lock_order(invoice.order_id)
    invoice = lock_invoice(invoice.pk)
    if invoice.kind != InvoiceKind.INVOICE:
        raise InvalidTransition(_("A credit note cannot be voided."))
    if invoice.status != InvoiceStatus.ISSUED:
        raise InvalidTransition(_("Invoice %(number)s is already voided.") % {"number": invoice.number})
    run_transition(invoice, "void", actor=actor)
    invoice.void_reason = reason[:255]
    invoice.voided_at = timezone.now()
    invoice.save(update_fields=["status", "void_reason", "voided_at"])
    lines = [InvoiceLine(position=line.position, sku=line.sku, name=line.name, quantity=-line.quantity,
                         unit_price=line.unit_price, discount=-line.discount, gross=-line.gross, net=-line.net,
                         tax_rate=line.tax_rate, tax=-line.tax)
             for line in invoice.lines.all()]
    credit_note = _create(order=order, kind=InvoiceKind.CREDIT_NOTE, lines=lines, actor=actor, original=invoice,
                          seller=invoice.seller,
                          buyer=_buyer_copy(invoice))
    events.invoice_voided_event(order=order, actor=actor, invoice=invoice, credit_note=credit_note, reason=reason)
    return credit_note


@transaction.atomic
def invoices_mark_printed(*, invoice_ids, actor) -> int:
    """Record that invoices were printed (who, when, how often). Content is untouched."""
    return Invoice.objects.filter(pk__in=list(invoice_ids)).update(
        printed_at=timezone.now(), printed_by=actor_user(actor), print_count=F("print_count") + 1)


@transaction.atomic
def invoice_reissue(*, invoice: Invoice, remaining: dict[int, tuple[int, object]], reason: str, actor
                    ) -> tuple[Invoice, Invoice | None]:
    """Credit part of an invoice (a return, an allowance): void it — its credit note negates it —
    and issue a new invoice for what stays invoiced, so the credit notes of an order add up to
    what was refunded. `remaining` maps a line's position to (quantity, amount incl. tax) still
    invoiced; positions not named stay as they are. Returns (credit note, new invoice or None).
    """
    kept = []
    for line in invoice.lines.all():
        quantity, gross = remaining.get(line.position, (line.quantity, line.gross))
        gross = to_money(gross)
        if quantity <= 0 and gross <= 0:
            continue
        net, tax = split_gross(gross, line.tax_rate)
        kept.append(InvoiceLine(position=line.position, sku=line.sku, name=line.name, quantity=quantity,
                                unit_price=line.unit_price, discount=max(line.unit_price * quantity - gross, ZERO),
                                gross=gross, net=net, tax_rate=line.tax_rate, tax=tax))
    credit_note = invoice_void(invoice=invoice, reason=reason, actor=actor)
    if not kept:
        return credit_note, None
    order = lock_order(invoice.order_id)
    new = _create(order=order, kind=InvoiceKind.INVOICE, lines=kept, actor=actor, seller=invoice.seller,
                  buyer=_buyer_copy(invoice))
    events.invoice_issued_event(order=order, actor=actor, invoice=new, replaces=invoice, credit_note=credit_note)
    return credit_note, new
