from decimal import Decimal

import pytest

from core.actors import SYSTEM
from core.errors import ValidationFailed
from finance.connectors import ConnectorError
from finance.connectors.testing import ScriptedConnector
from finance.models import Account, EntryKind, Invoice, JournalEntry, Refund, RefundStatus
from finance.selectors import order_balances
from finance.services import (
    invoice_issue,
    refund_record_external,
    refund_request,
    refund_withdraw,
    retry_failed_refunds,
    revenue_recognise,
)
from finance.services.refunds import MAX_REFUND_ATTEMPTS
from finance.tests.factories import assert_ledger_ok, make_order, paid_order, pay, reload
from orders.services import order_cancel

pytestmark = pytest.mark.django_db



@pytest.fixture(autouse=True)
def scripted_connector(scripted_connector):
    return scripted_connector


def test_cancelling_a_paid_order_refunds_through_the_connector_after_commit(
        django_capture_on_commit_callbacks, manager):
    order = paid_order()
    invoice = invoice_issue(order=order, actor=SYSTEM)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_cancel(order=order, reason="客户不要了", actor=manager)
    # Inside the cancellation: money earmarked, invoice voided, nothing sent yet.
    assert ScriptedConnector.calls == []
    refund = Refund.objects.get(order=order)
    assert refund.status == RefundStatus.PENDING
    assert order_balances(order_id=order.pk)[Account.REFUNDS_PAYABLE] == Decimal("408.00")
    assert Invoice.objects.get(pk=invoice.pk).status == "voided"
    assert_ledger_ok()
    for callback in callbacks:
        callback()
    assert [call[0] for call in ScriptedConnector.calls] == ["refund"]
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    order = reload(order)
    assert (order.refunded_amount, order.payment_status) == (Decimal("408.00"), "refunded")
    balances = order_balances(order_id=order.pk)
    assert (balances[Account.BANK], balances[Account.ADVANCE], balances[Account.REFUNDS_PAYABLE]) == (0, 0, 0)
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds[-4:] == ["invoice_voided", "refund_requested", "cancelled", "refund_completed"]
    assert_ledger_ok()


def test_cancelling_an_unpaid_order_moves_no_money(django_capture_on_commit_callbacks, manager):
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, reason="重复下单", actor=manager)
    assert not Refund.objects.exists()
    assert ScriptedConnector.calls == []
    assert_ledger_ok()


def test_a_failing_provider_is_retried_by_the_job(django_capture_on_commit_callbacks):
    order = paid_order()
    ScriptedConnector.failures = [ConnectorError("timeout"), ConnectorError("timeout")]
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(order=order, amount="100.00", reason="部分退款", actor=SYSTEM)
    refund = Refund.objects.get(order=order)
    assert (refund.status, refund.attempts, refund.last_error) == (RefundStatus.FAILED, 1, "timeout")
    assert reload(order).refunded_amount == 0
    assert_ledger_ok()
    assert retry_failed_refunds() == 1  # fails again
    assert retry_failed_refunds() == 1  # succeeds
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (RefundStatus.SUCCEEDED, 3)
    assert reload(order).refunded_amount == Decimal("100.00")
    assert reload(order).events.filter(kind="refund_failed").count() == 1
    assert_ledger_ok()


def test_a_refused_refund_is_not_retried_and_can_be_withdrawn(django_capture_on_commit_callbacks, manager):
    order = paid_order()
    ScriptedConnector.failures = [ConnectorError("card closed", retryable=False)]
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(order=order, amount="408.00", reason="退款", actor=SYSTEM)
    refund = Refund.objects.get(order=order)
    assert refund.attempts == MAX_REFUND_ATTEMPTS
    assert retry_failed_refunds() == 0
    refund_withdraw(refund=refund, reason="已线下退款给客户", actor=manager)
    assert order_balances(order_id=order.pk)[Account.ADVANCE] == Decimal("408.00")
    assert JournalEntry.objects.get(kind=EntryKind.REFUND_WITHDRAWN).reverses.kind == EntryKind.REFUND_REQUESTED
    assert_ledger_ok()


def test_only_money_held_for_the_customer_can_be_refunded():
    order = paid_order()
    revenue_recognise(order=order, reference="SH-1", actor=SYSTEM)
    with pytest.raises(ValidationFailed) as exc:
        refund_request(order=order, amount="10.00", reason="x", actor=SYSTEM)
    assert "amount" in exc.value.errors
    assert not Refund.objects.exists()


def test_refund_is_spread_over_payments_newest_first(django_capture_on_commit_callbacks):
    order = make_order()
    pay(order, "300.00")
    pay(order, "108.00")
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(order=order, amount="200.00", reason="退款", actor=SYSTEM)
    assert sorted(Refund.objects.values_list("amount", flat=True)) == [Decimal("92.00"), Decimal("108.00")]
    assert reload(order).refunded_amount == Decimal("200.00")
    assert_ledger_ok()


def test_refund_cannot_exceed_what_was_paid():
    order = make_order()
    with pytest.raises(ValidationFailed):
        refund_record_external(order=order, amount="1.00", provider="alipay", actor=SYSTEM)


def test_a_refund_whose_sender_died_is_picked_up_by_the_job():
    from datetime import timedelta

    from django.utils import timezone

    order = paid_order()
    refund_request(order=order, amount="408.00", reason="退款", actor=SYSTEM)  # after-commit call never ran
    assert retry_failed_refunds() == 0  # may still be on its way
    assert retry_failed_refunds(now=timezone.now() + timedelta(minutes=11)) == 1
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert_ledger_ok()


def test_an_unexpected_connector_error_is_a_retryable_failure(django_capture_on_commit_callbacks):
    order = paid_order()
    ScriptedConnector.failures = [RuntimeError("TLS handshake")]
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(order=order, amount="408.00", reason="退款", actor=SYSTEM)
    refund = Refund.objects.get()
    assert (refund.status, refund.attempts) == (RefundStatus.FAILED, 1) and "TLS handshake" in refund.last_error
    assert_ledger_ok()
