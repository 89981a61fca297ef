from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from core.errors import InvalidTransition, ValidationFailed
from finance.models import InvoiceKind, InvoiceStatus
from finance.services import invoice_issue, invoice_void
from finance.tests.factories import assert_ledger_ok, paid_order, reload

pytestmark = pytest.mark.django_db


def year() -> int:
    return timezone.localdate().year


def test_voiding_issues_a_credit_note_with_its_own_number_and_negated_lines(manager):
    order = paid_order(lines=[(ProductFactory(tax_rate=Decimal("0.090")), 1, "109.00")])
    invoice = invoice_issue(order=order, actor=SYSTEM)
    credit = invoice_void(invoice=invoice, reason="开票信息有误", actor=manager)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOIDED and invoice.void_reason == "开票信息有误"
    assert credit.kind == InvoiceKind.CREDIT_NOTE and credit.number == f"CN-{year()}-000001"
    assert credit.original_id == invoice.pk
    assert (credit.total, credit.net_total, credit.tax_total) == (-invoice.total, -invoice.net_total,
                                                                  -invoice.tax_total)
    assert [line.gross for line in credit.lines.all()] == [-line.gross for line in invoice.lines.all()]
    assert reload(order).events.filter(kind="invoice_voided").count() == 1
    # A new invoice may now be issued, with the next number of the invoice series.
    assert invoice_issue(order=order, actor=SYSTEM).number == f"INV-{year()}-000002"
    assert_ledger_ok()


def test_credit_notes_and_voided_invoices_cannot_be_voided_again(manager):
    invoice = invoice_issue(order=paid_order(), actor=SYSTEM)
    credit = invoice_void(invoice=invoice, reason="错误", actor=manager)
    with pytest.raises(InvalidTransition):
        invoice_void(invoice=invoice, reason="again", actor=manager)
    with pytest.raises(InvalidTransition):
        invoice_void(invoice=credit, reason="again", actor=manager)
    with pytest.raises(ValidationFailed):
        invoice_void(invoice=invoice_issue(order=paid_order(), actor=SYSTEM), reason=" ", actor=manager)
