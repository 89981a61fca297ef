from decimal import Decimal

import pytest

from core.actors import SYSTEM
from core.enums import Role
from finance.models import Invoice, Refund
from finance.services import invoice_issue
from finance.tests.factories import assert_ledger_ok, make_order, paid_order, reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(make_user, client):
    user = make_user("fin", Role.FINANCE)
    client.force_login(user)
    return user


def test_funds_page_shows_payments_journal_and_timeline(clerk, client, django_assert_max_num_queries):
    order = paid_order()
    invoice_issue(order=order, actor=SYSTEM)
    with django_assert_max_num_queries(20):
        response = client.get(f"/finance/orders/{order.number}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "JE-" in page and "1002 银行存款" in page and "2203 预收账款" in page and "INV-" in page


def test_bank_transfer_from_the_funds_page_moves_the_order(clerk, client, follow_ups_run):
    order = make_order()
    with follow_ups_run():  # the invoice is the order's follow-up, issued after the request commits
        response = client.post(f"/finance/payments/orders/{order.number}/bank-transfer/",
                               {"amount": "408.00", "reference": "CMB20261124001"}, follow=True)
    assert response.status_code == 200 and "已登记银行转账" in response.content.decode()
    order = reload(order)
    assert (order.status, order.paid_amount) == ("awaiting_shipment", Decimal("408.00"))
    assert Invoice.objects.filter(order=order).count() == 1
    assert_ledger_ok()


def test_bad_bank_transfer_input_is_a_message(clerk, client):
    order = make_order()
    response = client.post(f"/finance/payments/orders/{order.number}/bank-transfer/",
                           {"amount": "-1", "reference": ""}, follow=True)
    assert response.status_code == 200 and 'class="msg msg-error"' in response.content.decode()
    assert reload(order).paid_amount == 0


def test_void_and_refund_from_the_funds_page(clerk, client, django_capture_on_commit_callbacks):
    order = paid_order()
    invoice = invoice_issue(order=order, actor=SYSTEM)
    client.post(f"/finance/invoices/{invoice.pk}/void/", {"reason": "抬头错误"})
    assert Invoice.objects.get(pk=invoice.pk).status == "voided"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/finance/orders/{order.number}/refund/", {"amount": "8.00", "reason": "运费补偿"})
    assert Refund.objects.get(order=order).amount == Decimal("8.00")
    assert reload(order).refunded_amount == Decimal("8.00")
    assert_ledger_ok()


def test_other_roles_cannot_register_payments(make_user, client):
    client.force_login(make_user("cs", Role.CUSTOMER_SERVICE))
    order = make_order()
    response = client.post(f"/finance/payments/orders/{order.number}/bank-transfer/",
                           {"amount": "408.00", "reference": "X"})
    assert response.status_code == 403
    assert reload(order).paid_amount == 0


def test_failed_refund_can_be_withdrawn_from_the_funds_page(clerk, client, settings,
                                                           django_capture_on_commit_callbacks):
    from finance.connectors import ConnectorError
    from finance.connectors.testing import ScriptedConnector
    from finance.services import refund_request

    settings.OMS_PAYMENT_CONNECTORS = {"console": "finance.connectors.testing.ScriptedConnector"}
    ScriptedConnector.reset()
    ScriptedConnector.failures = [ConnectorError("account closed", retryable=False)]
    order = paid_order()
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(order=order, amount="20.00", reason="补偿", actor=SYSTEM)
    refund = Refund.objects.get(order=order)
    page = client.get(f"/finance/orders/{order.number}/").content.decode()
    assert f"/finance/refunds/{refund.pk}/withdraw/" in page and "account closed" in page
    client.post(f"/finance/refunds/{refund.pk}/withdraw/", {"reason": "已线下转账"})
    refund.refresh_from_db()
    assert refund.status == "withdrawn"
    assert_ledger_ok()
