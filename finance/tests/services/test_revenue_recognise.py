from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from core.errors import ValidationFailed
from finance.models import Account, EntryKind, JournalEntry, RecognisedLine
from finance.selectors import order_balances, recognised_totals
from finance.services import revenue_recognise
from finance.tests.factories import assert_ledger_ok, paid_order, reload

pytestmark = pytest.mark.django_db


def test_shipment_of_a_prepaid_order_clears_advance_receipts_into_revenue_and_vat():
    order = paid_order()  # 2 × 199.00 at 13 % + 10.00 shipping
    entry = revenue_recognise(order=order, reference="SH-1", actor=SYSTEM)
    balances = order_balances(order_id=order.pk)
    assert balances[Account.ADVANCE] == 0
    assert balances[Account.RECEIVABLE] == 0
    assert balances[Account.REVENUE] == Decimal("352.21") + Decimal("8.85")
    assert balances[Account.OUTPUT_VAT] == Decimal("45.79") + Decimal("1.15")
    assert entry.kind == EntryKind.REVENUE
    assert reload(order).events.filter(kind="revenue_recognised").count() == 1
    assert_ledger_ok()


def test_lines_are_split_by_their_own_tax_rate():
    food = ProductFactory(tax_rate=Decimal("0.090"))
    order = paid_order(lines=[(ProductFactory(), 1, "113.00"), (food, 1, "109.00")], shipping_fee="0.00")
    revenue_recognise(order=order, reference="SH-1", actor=SYSTEM)
    rates = {line.tax_rate: (line.net, line.tax) for line in RecognisedLine.objects.filter(order=order)}
    assert rates == {Decimal("0.130"): (Decimal("100.00"), Decimal("13.00")),
                     Decimal("0.090"): (Decimal("100.00"), Decimal("9.00"))}
    assert_ledger_ok()


def test_partial_shipments_add_up_exactly_to_the_line():
    product = ProductFactory()
    order = paid_order(lines=[(product, 3, "100.00")], shipping_fee="0.00")  # 300.00: 265.49 + 34.51
    line = order.lines.get()
    revenue_recognise(order=order, reference="SH-1", lines={line.pk: 1}, actor=SYSTEM)
    assert_ledger_ok()
    revenue_recognise(order=order, reference="SH-2", lines={line.pk: 1}, actor=SYSTEM)
    revenue_recognise(order=order, reference="SH-3", lines={line.pk: 1}, actor=SYSTEM)
    totals = recognised_totals(order_id=order.pk)
    assert totals == {"gross": Decimal("300.00"), "net": Decimal("265.49"), "tax": Decimal("34.51")}
    assert_ledger_ok()
    with pytest.raises(ValidationFailed):
        revenue_recognise(order=order, reference="SH-4", lines={line.pk: 1}, actor=SYSTEM)


def test_the_same_shipment_reported_twice_posts_once():
    order = paid_order()
    first = revenue_recognise(order=order, reference="SH-1", actor=SYSTEM)
    again = revenue_recognise(order=order, reference="SH-1", actor=SYSTEM)
    assert first.pk == again.pk
    assert JournalEntry.objects.filter(order=order, kind=EntryKind.REVENUE).count() == 1
    assert_ledger_ok()
