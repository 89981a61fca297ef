"""Partial credit (after-sales returns and allowances): void the invoice, issue it again for what stays."""

from decimal import Decimal

import pytest

from core.actors import SYSTEM
from finance.models import Invoice, InvoiceKind, InvoiceStatus
from finance.services import invoice_issue, invoice_reissue
from finance.tests.factories import assert_ledger_ok, paid_order

pytestmark = pytest.mark.django_db


def test_returned_units_leave_the_invoice_and_the_rest_is_issued_again():
    order = paid_order()  # 2 × 199.00 + shipping 10.00
    invoice = invoice_issue(order=order, actor=SYSTEM)
    credit_note, new = invoice_reissue(invoice=invoice, remaining={1: (1, Decimal("199.00"))}, reason="退货一件",
                                       actor=SYSTEM)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOIDED and credit_note.total == -invoice.total
    assert credit_note.kind == InvoiceKind.CREDIT_NOTE and credit_note.original == invoice
    assert [(line.position, line.quantity, line.gross) for line in new.lines.all()] == [
        (1, 1, Decimal("199.00")), (2, 1, Decimal("10.00"))]
    assert new.total == Decimal("209.00") and new.net_total + new.tax_total == new.total
    assert (new.buyer_name, new.seller) == (invoice.buyer_name, invoice.seller)
    assert Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED).get() == new
    assert_ledger_ok()


def test_an_allowance_keeps_the_quantity_and_lowers_the_amount():
    order = paid_order()
    invoice = invoice_issue(order=order, actor=SYSTEM)
    _credit, new = invoice_reissue(invoice=invoice, remaining={1: (2, Decimal("350.00"))}, reason="补偿", actor=SYSTEM)
    line = new.lines.get(position=1)
    assert (line.quantity, line.gross, line.discount) == (2, Decimal("350.00"), Decimal("48.00"))


def test_nothing_left_means_only_the_credit_note():
    order = paid_order()
    invoice = invoice_issue(order=order, actor=SYSTEM)
    credit_note, new = invoice_reissue(invoice=invoice, remaining={1: (0, 0), 2: (0, 0)}, reason="全部退货",
                                       actor=SYSTEM)
    assert new is None and credit_note.total == -invoice.total
    assert_ledger_ok()
