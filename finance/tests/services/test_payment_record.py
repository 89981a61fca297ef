from decimal import Decimal

import pytest

from core.actors import SYSTEM
from core.errors import ValidationFailed
from finance.models import Account, EntryKind, JournalEntry, Payment, PaymentSource, PaymentState
from finance.services import payment_record
from finance.tests.factories import assert_ledger_ok, make_order, pay, reload

pytestmark = pytest.mark.django_db


def test_payment_books_bank_against_advance_receipts_and_updates_the_order():
    order = make_order()
    payment = pay(order, "408.00", transaction_id="2026112422001")
    assert payment.status == PaymentState.SUCCEEDED
    entry = JournalEntry.objects.get(payment=payment)
    assert entry.kind == EntryKind.PAYMENT and entry.number.startswith("JE-")
    legs = sorted((line.account, line.debit, line.credit) for line in entry.lines.all())
    assert legs == [(Account.BANK, Decimal("408.00"), Decimal("0")), (Account.ADVANCE, Decimal("0"), Decimal("408.00"))]
    order = reload(order)
    assert (order.paid_amount, order.payment_status) == (Decimal("408.00"), "paid")
    event = order.events.get(kind="payment_recorded")
    assert event.data["entry"] == entry.number and "408.00" in event.message
    assert_ledger_ok()


def test_same_transaction_reported_twice_is_counted_once():
    order = make_order()
    first = pay(order, transaction_id="TX-1")
    again = pay(order, transaction_id="TX-1")
    assert first.pk == again.pk
    assert reload(order).paid_amount == Decimal("408.00")
    assert JournalEntry.objects.filter(order=order).count() == 1
    assert_ledger_ok()


@pytest.mark.parametrize("amount, method, field", [("0", "alipay", "amount"), ("-5", "alipay", "amount"),
                                                   ("abc", "alipay", "amount"), ("10", "bitcoin", "method")])
def test_bad_input_is_refused_with_the_field_named(amount, method, field):
    order = make_order()
    with pytest.raises(ValidationFailed) as exc:
        payment_record(order=order, amount=amount, method=method, source=PaymentSource.MANUAL, actor=SYSTEM)
    assert field in exc.value.errors
    assert not Payment.objects.exists()
