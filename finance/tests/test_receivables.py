from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.actors import SYSTEM
from core.enums import Role
from finance.selectors import receivables_aging
from finance.services import cod_collect, revenue_recognise
from finance.tests.factories import assert_ledger_ok, make_order

pytestmark = pytest.mark.django_db


def shipped_cod_order(**kwargs):
    order = make_order(cod=True, **kwargs)
    revenue_recognise(order=order, reference=f"SH-{order.pk}", actor=SYSTEM)
    return order


def test_aging_buckets_and_fifo_settlement():
    fresh = shipped_cod_order()
    old = shipped_cod_order()
    settled = shipped_cod_order()
    cod_collect(order=old, amount="100.00", reference="R-1", actor=SYSTEM)
    cod_collect(order=settled, amount="408.00", reference="R-2", actor=SYSTEM)
    rows, totals = receivables_aging(as_of=timezone.now() + timedelta(days=45))
    by_number = {row.order_number: row for row in rows}
    assert set(by_number) == {fresh.number, old.number}
    assert by_number[old.number].balance == Decimal("308.00")
    assert by_number[old.number].buckets == [0, Decimal("308.00"), 0, 0]
    assert totals == [0, Decimal("716.00"), 0, 0]
    assert receivables_aging(as_of=timezone.now() + timedelta(days=100))[1][3] == Decimal("716.00")
    assert_ledger_ok()


def test_aging_report_costs_constant_queries(django_assert_max_num_queries):
    shipped_cod_order()
    with django_assert_max_num_queries(2):
        receivables_aging()
    for _ in range(3):
        shipped_cod_order()
    with django_assert_max_num_queries(2):
        rows, _totals = receivables_aging()
    assert len(rows) == 4


def test_aging_page_is_for_finance(make_user, client):
    shipped_cod_order()
    client.force_login(make_user("wh", Role.WAREHOUSE))
    assert client.get("/finance/receivables/").status_code == 403
    client.force_login(make_user("fin", Role.FINANCE))
    response = client.get("/finance/receivables/")
    assert response.status_code == 200 and "¥408.00" in response.content.decode()
