from decimal import Decimal

import pytest

from core.actors import SYSTEM
from core.errors import ValidationFailed
from finance.models import Account
from finance.selectors import order_balances
from finance.services import cod_collect, revenue_recognise
from finance.tests.factories import assert_ledger_ok, make_order, reload

pytestmark = pytest.mark.django_db


def test_cash_on_delivery_books_a_receivable_at_shipment_and_settles_it_at_collection():
    order = make_order(cod=True)
    assert order.status == "awaiting_shipment"
    revenue_recognise(order=order, reference="SH-1", actor=SYSTEM)
    assert order_balances(order_id=order.pk)[Account.RECEIVABLE] == Decimal("408.00")
    assert_ledger_ok()
    cod_collect(order=order, amount="408.00", reference="SF-COD-1", actor=SYSTEM)
    balances = order_balances(order_id=order.pk)
    assert (balances[Account.RECEIVABLE], balances[Account.ADVANCE]) == (0, 0)
    assert balances[Account.BANK] == Decimal("408.00")
    assert reload(order).paid_amount == Decimal("408.00")
    assert_ledger_ok()


def test_cod_collection_only_for_cod_orders():
    with pytest.raises(ValidationFailed):
        cod_collect(order=make_order(), amount="1.00", reference="X", actor=SYSTEM)
