from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from core.errors import ValidationFailed
from finance.models import Invoice, Payment, PaymentSource
from finance.tests.factories import assert_ledger_ok, make_order, reload
from oms.workflow.payments import receive_payment
from oms.workflow.services import PaymentInput, approve_order, submit_order
from orders.models import OrderStatus, PaymentMethod
from orders.services import order_cancel
from orders.tests.factories import order_input

# Review reserves stock (inventory's `reserve_stock` step); these tests are about something else, so
# every product made by ProductFactory comes with stock.
# a transfer finance registers from the bank statement (`oms.workflow.payment_views.bank_transfer`)
BANK_TRANSFER = {"method": PaymentMethod.BANK_TRANSFER, "source": PaymentSource.MANUAL, "allow_partial": True}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]


def test_order_arriving_paid_gets_its_invoice_after_commit(follow_ups_run):
    with follow_ups_run():
        order = submit_order(data=order_input(lines=[(ProductFactory(), 2, "199.00")]),
                             payment=PaymentInput(method="alipay", paid_amount=Decimal("408.00"), transaction_id="T1"),
                             actor=SYSTEM)
        assert order.status == OrderStatus.AWAITING_SHIPMENT
        assert not Invoice.objects.filter(order=order).exists()  # not in the request: a follow-up
    payment = Payment.objects.get(order=order)
    assert (payment.source, payment.provider, payment.amount) == ("channel", "tmall", Decimal("408.00"))
    assert Invoice.objects.get(order=order).total == Decimal("408.00")
    assert_ledger_ok()


def test_channel_payment_mismatch_is_recorded_and_held_by_review():
    order = submit_order(data=order_input(lines=[(ProductFactory(), 2, "199.00")]),
                         payment=PaymentInput(method="alipay", paid_amount=Decimal("400.00")), actor=SYSTEM)
    assert (order.status, order.hold_reasons) == (OrderStatus.ON_HOLD, ["payment_mismatch"])
    assert reload(order).paid_amount == Decimal("400.00")
    assert not Invoice.objects.filter(order=order).exists()
    assert_ledger_ok()


def test_partial_bank_transfers_keep_the_order_waiting_until_paid(follow_ups_run):
    order = make_order()
    order = receive_payment(order=order, amount="200.00", **BANK_TRANSFER, reference="B1", actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_PAYMENT
    with follow_ups_run():
        order = receive_payment(order=order, amount="208.00", **BANK_TRANSFER, reference="B2", actor=SYSTEM)
        assert not Invoice.objects.filter(order=order).exists()  # the invoice follows after commit
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    assert [f.kind for f in order.follow_ups.filter(status="done")] == ["issue_invoice", "plan_shipments"]
    assert Invoice.objects.filter(order=order, status="issued").count() == 1
    assert_ledger_ok()


def test_overpayment_holds_the_order():
    order = make_order()
    order = receive_payment(order=order, amount="500.00", **BANK_TRANSFER, reference="B1", actor=SYSTEM)
    assert (order.status, order.hold_reasons) == (OrderStatus.ON_HOLD, ["payment_mismatch"])
    assert_ledger_ok()


def test_held_order_approved_after_payment_is_completed_gets_its_invoice(finance_director, follow_ups_run):
    order = make_order()
    order = receive_payment(order=order, amount="400.00", method="alipay", source="webhook", transaction_id="A1",
                            actor=SYSTEM)
    assert order.status == OrderStatus.ON_HOLD
    order = receive_payment(order=order, amount="8.00", **BANK_TRANSFER, reference="B2", actor=SYSTEM)
    assert order.status == OrderStatus.ON_HOLD  # a reviewer decides
    with follow_ups_run():
        order = approve_order(order=reload(order), actor=finance_director, comment="差额已补")
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    assert Invoice.objects.filter(order=order, status="issued").exists()
    assert_ledger_ok()


def test_money_for_a_cancelled_order_is_sent_back(manager, django_capture_on_commit_callbacks):
    order = make_order()
    order_cancel(order=order, reason="缺货", actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        receive_payment(order=reload(order), amount="408.00", method="alipay", source="webhook",
                        transaction_id="LATE", actor=SYSTEM)
    order = reload(order)
    assert order.status == OrderStatus.CANCELLED
    assert (order.paid_amount, order.refunded_amount) == (Decimal("408.00"), Decimal("408.00"))
    assert_ledger_ok()


def test_bad_amount_is_refused():
    with pytest.raises(ValidationFailed):
        receive_payment(order=make_order(), amount="0", **BANK_TRANSFER, reference="B", actor=SYSTEM)
