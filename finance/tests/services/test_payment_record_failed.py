import pytest

from core.actors import SYSTEM
from finance.models import JournalEntry, PaymentState
from finance.services import payment_record_failed
from finance.tests.factories import assert_ledger_ok, make_order, reload

pytestmark = pytest.mark.django_db


def test_failed_payment_is_recorded_without_money():
    order = make_order()
    payment = payment_record_failed(order=order, amount="408.00", method="alipay", provider="alipay",
                                    transaction_id="F1", reason="insufficient funds", actor=SYSTEM)
    assert payment.status == PaymentState.FAILED
    assert not JournalEntry.objects.filter(order=order).exists()
    assert reload(order).paid_amount == 0
    assert order.events.filter(kind="payment_failed").count() == 1
    assert_ledger_ok()
