from decimal import Decimal

import pytest

from core.actors import SYSTEM
from finance.models import JournalEntry, PaymentState
from finance.tests.factories import assert_ledger_ok, make_order, reload

pytestmark = pytest.mark.django_db


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
