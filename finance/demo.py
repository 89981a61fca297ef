"""Demo data of the finance stage (called by `oms.workflow.demo.seed_all`). Idempotent.

The pipeline already recorded the demo orders' channel payments and issued invoices for those paid
in full; this adds what finance does by hand: partial bank transfers, printed invoices, and a voided
invoice with its credit note and replacement.
"""

from __future__ import annotations

from core.actors import SystemActor
from core.money import to_money
from finance.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from finance.services import bank_transfer_register, invoice_issue, invoice_void, invoices_mark_printed
from orders.models import Order, OrderStatus

DEMO = SystemActor("demo_data")


def seed_finance() -> dict:
    made = {"bank_transfers": 0, "printed": 0, "credit_notes": 0}
    waiting = Order.objects.filter(external_id__startswith="DEMO-", status=OrderStatus.AWAITING_PAYMENT).order_by("pk")
    for order in waiting[:2]:
        reference = f"DEMO-CMB-{order.pk:05d}"
        if not Payment.objects.filter(order=order, reference=reference).exists():
            bank_transfer_register(order=order, amount=to_money(order.total / 2), reference=reference, actor=DEMO)
            made["bank_transfers"] += 1
    issued = Invoice.objects.filter(order__external_id__startswith="DEMO-", kind=InvoiceKind.INVOICE).order_by("pk")
    if not Invoice.objects.filter(order__external_id__startswith="DEMO-", kind=InvoiceKind.CREDIT_NOTE).exists():
        first = issued.filter(status=InvoiceStatus.ISSUED).first()
        if first is not None:
            invoice_void(invoice=first, reason="购买方要求更换发票抬头", actor=DEMO)
            invoice_issue(order=first.order, actor=DEMO)
            made["credit_notes"] += 1
    if not Invoice.objects.filter(order__external_id__startswith="DEMO-", printed_at__isnull=False).exists():
        ids = list(issued.values_list("pk", flat=True))
        made["printed"] = invoices_mark_printed(invoice_ids=ids[: len(ids) // 3], actor=DEMO)
    return made

