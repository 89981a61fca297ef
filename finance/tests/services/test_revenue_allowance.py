from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from finance.selectors import recognised_totals
from finance.services import revenue_allowance, revenue_recognise
from finance.tests.factories import assert_ledger_ok, paid_order

pytestmark = pytest.mark.django_db


def test_allowance_reduces_revenue_and_vat_in_proportion():
    order = paid_order(shipping_fee="0.00", lines=[(ProductFactory(), 1, "113.00")])
    revenue_recognise(order=order, reference="SH-1", actor=SYSTEM)
    revenue_allowance(order=order, amount="11.30", reference="ALLOW-1", actor=SYSTEM)
    totals = recognised_totals(order_id=order.pk)
    assert totals == {"gross": Decimal("101.70"), "net": Decimal("90.00"), "tax": Decimal("11.70")}
    assert_ledger_ok()
