from decimal import Decimal

import pytest

from core.actors import SYSTEM
from core.errors import ValidationFailed
from finance.models import Account, EntryKind, JournalEntry, Payment, PaymentSource, PaymentState
from finance.selectors import order_balances
from finance.services import bank_transfer_register, payment_record, payment_record_failed
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


def test_partial_bank_transfers_add_up():
    order = make_order()
    bank_transfer_register(order=order, amount="200.00", reference="CMB-0001", actor=SYSTEM)
    assert reload(order).payment_status == "partially_paid"
    assert_ledger_ok()
    bank_transfer_register(order=order, amount="208.00", reference="CMB-0002", actor=SYSTEM)
    order = reload(order)
    assert (order.paid_amount, order.payment_status) == (Decimal("408.00"), "paid")
    assert order_balances(order_id=order.pk)[Account.ADVANCE] == Decimal("408.00")
    assert list(Payment.objects.filter(order=order).values_list("source", flat=True)) == [PaymentSource.MANUAL] * 2
    assert_ledger_ok()


def test_bank_transfer_needs_a_fresh_reference():
    order = make_order()
    with pytest.raises(ValidationFailed) as exc:
        bank_transfer_register(order=order, amount="1.00", reference=" ", actor=SYSTEM)
    assert "reference" in exc.value.errors
    bank_transfer_register(order=order, amount="1.00", reference="R1", actor=SYSTEM)
    with pytest.raises(ValidationFailed):
        bank_transfer_register(order=order, amount="1.00", reference="R1", actor=SYSTEM)
    assert reload(order).paid_amount == Decimal("1.00")
    assert_ledger_ok()


@pytest.mark.parametrize("amount, method, field", [("0", "alipay", "amount"), ("-5", "alipay", "amount"),
                                                   ("abc", "alipay", "amount"), ("10", "bitcoin", "method")])
def test_bad_input_is_refused_with_the_field_named(amount, method, field):
    order = make_order()
    with pytest.raises(ValidationFailed) as exc:
        payment_record(order=order, amount=amount, method=method, source=PaymentSource.MANUAL, actor=SYSTEM)
    assert field in exc.value.errors
    assert not Payment.objects.exists()


def test_failed_payment_is_recorded_without_money():
    order = make_order()
    payment = payment_record_failed(order=order, amount="408.00", method="alipay", provider="alipay",
                                    transaction_id="F1", reason="insufficient funds", actor=SYSTEM)
    assert payment.status == PaymentState.FAILED
    assert not JournalEntry.objects.filter(order=order).exists()
    assert reload(order).paid_amount == 0
    assert order.events.filter(kind="payment_failed").count() == 1
    assert_ledger_ok()


def test_authorised_payment_is_captured_through_the_connector(settings):
    from finance.connectors import ConnectorError
    from finance.connectors.testing import ScriptedConnector
    from finance.services import payment_authorize, payment_capture

    settings.OMS_PAYMENT_CONNECTORS = {"console": "finance.connectors.testing.ScriptedConnector"}
    ScriptedConnector.reset()
    order = make_order()
    payment = payment_authorize(order=order, amount="408.00", method="unionpay", provider="unionpay",
                                transaction_id="AUTH-1", actor=SYSTEM)
    assert payment.status == PaymentState.PENDING and reload(order).paid_amount == 0
    assert_ledger_ok()
    payment = payment_capture(payment=payment, actor=SYSTEM)
    assert payment.status == PaymentState.SUCCEEDED
    assert ScriptedConnector.calls == [("capture", order.number, Decimal("408.00"), f"payment-{payment.pk}")]
    assert reload(order).paid_amount == Decimal("408.00")
    assert JournalEntry.objects.filter(payment=payment).count() == 1
    assert payment_capture(payment=payment, actor=SYSTEM).status == PaymentState.SUCCEEDED  # once only
    assert len(ScriptedConnector.calls) == 1
    assert_ledger_ok()

    refused = payment_authorize(order=make_order(), amount="10.00", method="unionpay", provider="unionpay",
                                actor=SYSTEM)
    ScriptedConnector.failures = [ConnectorError("authorisation expired", retryable=False)]
    refused = payment_capture(payment=refused, actor=SYSTEM)
    assert (refused.status, refused.failure_reason) == (PaymentState.FAILED, "authorisation expired")
    assert not JournalEntry.objects.filter(payment=refused).exists()
    assert_ledger_ok()
