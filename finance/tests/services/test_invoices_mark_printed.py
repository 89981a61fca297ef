import pytest

from core.actors import SYSTEM
from finance.services import invoice_issue, invoices_mark_printed
from finance.tests.factories import paid_order

pytestmark = pytest.mark.django_db


def test_mark_printed_counts_prints(manager):
    invoice = invoice_issue(order=paid_order(), actor=SYSTEM)
    invoices_mark_printed(invoice_ids=[invoice.pk], actor=manager)
    invoices_mark_printed(invoice_ids=[invoice.pk], actor=manager)
    invoice.refresh_from_db()
    assert (invoice.print_count, invoice.printed_by) == (2, manager)
    assert invoice.printed_at is not None
