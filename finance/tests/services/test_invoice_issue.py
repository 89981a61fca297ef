from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from core.actors import SYSTEM
from core.errors import InvalidTransition
from finance.models import ImmutableRecord, Invoice, InvoiceStatus
from finance.services import invoice_issue, invoice_issue_if_due
from finance.tests.factories import assert_ledger_ok, make_order, paid_order, pay, reload

pytestmark = pytest.mark.django_db


def year() -> int:
    return timezone.localdate().year


def test_invoice_snapshots_lines_with_tax_split_and_a_yearly_number():
    order = paid_order()
    invoice = invoice_issue(order=order, actor=SYSTEM)
    assert invoice.number == f"INV-{year()}-000001"
    lines = [(line.name, line.quantity, line.gross, line.net, line.tax) for line in invoice.lines.all()]
    assert lines == [(order.lines.get().name, 2, Decimal("398.00"), Decimal("352.21"), Decimal("45.79")),
                     ("运费", 1, Decimal("10.00"), Decimal("8.85"), Decimal("1.15"))]
    assert (invoice.total, invoice.net_total, invoice.tax_total) == (Decimal("408.00"), Decimal("361.06"),
                                                                      Decimal("46.94"))
    assert (invoice.buyer_name, invoice.buyer_is_company, invoice.buyer_tax_id) == ("张三", False, "")
    assert invoice.seller["name"]
    assert reload(order).events.filter(kind="invoice_issued").count() == 1
    assert_ledger_ok()


def test_company_buyer_gets_company_name_and_tax_id():
    order = paid_order(customer_name="王堃", customer_phone="13900000001", company_name="杭州西湖科技有限公司",
                       tax_id="91330100MA2B3C4D5N")
    invoice = invoice_issue(order=order, actor=SYSTEM)
    assert (invoice.buyer_name, invoice.buyer_tax_id, invoice.buyer_is_company) == (
        "杭州西湖科技有限公司", "91330100MA2B3C4D5N", True)


def test_numbers_are_consecutive_and_one_active_invoice_per_order():
    first = invoice_issue(order=paid_order(), actor=SYSTEM)
    order = paid_order()
    second = invoice_issue(order=order, actor=SYSTEM)
    assert [first.number[-6:], second.number[-6:]] == ["000001", "000002"]
    with pytest.raises(InvalidTransition):
        invoice_issue(order=order, actor=SYSTEM)
    assert_ledger_ok()


def test_issued_automatically_only_when_paid_in_full_and_enabled():
    order = make_order()
    assert invoice_issue_if_due(order=order, actor=SYSTEM) is None
    pay(order, "100.00")
    assert invoice_issue_if_due(order=order, actor=SYSTEM) is None
    pay(order, "308.00")
    with override_settings(OMS_INVOICE_ON_PAYMENT=False):
        assert invoice_issue_if_due(order=order, actor=SYSTEM) is None
    invoice = invoice_issue_if_due(order=order, actor=SYSTEM)
    assert invoice is not None and invoice_issue_if_due(order=order, actor=SYSTEM) is None


def test_the_automatic_issue_locks_and_checks_the_order_once():
    """A follow-up job per paid order runs it: the order is locked and its active invoice looked up
    once (it used to go through `invoice_issue`, which did both again)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = paid_order()
    with CaptureQueriesContext(connection) as captured:
        invoice = invoice_issue_if_due(order=order, actor=SYSTEM)
    assert invoice is not None and invoice.total == order.total
    sql = [q["sql"] for q in captured.captured_queries]
    assert sum('FROM "orders_order"' in q for q in sql) == 1
    assert sum('FROM "finance_invoice"' in q for q in sql) == 1


def test_finance_may_issue_by_hand_before_payment():
    invoice = invoice_issue(order=make_order(), actor=SYSTEM)
    assert invoice.status == InvoiceStatus.ISSUED


def test_invoices_are_never_deleted():
    invoice = invoice_issue(order=paid_order(), actor=SYSTEM)
    with pytest.raises(ImmutableRecord):
        invoice.delete()
    assert Invoice.objects.filter(pk=invoice.pk).exists()
