"""What a cancelled order means for the money (registered on `core.hooks.order_cancelled`)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from core import hooks
from finance.models import Invoice, InvoiceKind, InvoiceStatus
from finance.selectors import order_advance_balance
from finance.services.invoices import invoice_void
from finance.services.refunds import refund_request


def on_order_cancelled(payload: hooks.OrderCancelled) -> None:
    """Void the order's invoice (a credit note is issued) and refund what the customer paid.

    Runs inside the cancellation's transaction: the reversing entries commit with it, and the
    connector is called after commit (see `refunds`).
    """
    order, actor = payload.order, payload.actor
    with translation.override("zh-hans"):
        reason = _("Order cancelled: %(reason)s") % {"reason": payload.reason}
    for invoice in Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED):
        invoice_void(invoice=invoice, reason=reason, actor=actor)
    if order_advance_balance(order_id=order.pk) > 0:
        refund_request(order=order, reason=reason, actor=actor)
