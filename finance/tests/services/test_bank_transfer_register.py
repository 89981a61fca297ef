from decimal import Decimal

import pytest

from core.actors import SYSTEM
from core.errors import ValidationFailed
from finance.models import Account, Payment, PaymentSource
from finance.selectors import order_balances
from finance.services import bank_transfer_register
from finance.tests.factories import assert_ledger_ok, make_order, reload

pytestmark = pytest.mark.django_db


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
