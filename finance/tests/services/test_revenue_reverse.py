from decimal import Decimal

import pytest

from core.actors import SYSTEM
from core.errors import ValidationFailed
from finance.models import Account
from finance.selectors import order_balances, recognised_totals
from finance.services import revenue_recognise, revenue_reverse
from finance.tests.factories import assert_ledger_ok, paid_order

pytestmark = pytest.mark.django_db


def test_returned_goods_reverse_revenue_and_leave_the_amount_owed_to_the_customer():
    order = paid_order()
    revenue_recognise(order=order, reference="SH-1", actor=SYSTEM)
    line = order.lines.get()
    revenue_reverse(order=order, reference="RMA-1", lines={line.pk: 1}, actor=SYSTEM)
    balances = order_balances(order_id=order.pk)
    assert balances[Account.ADVANCE] == Decimal("199.00")  # owed back; refund_request pays it out
    assert recognised_totals(order_id=order.pk)["gross"] == Decimal("209.00")
    assert_ledger_ok()
    with pytest.raises(ValidationFailed):
        revenue_reverse(order=order, reference="RMA-2", lines={line.pk: 2}, actor=SYSTEM)
