from decimal import Decimal

import pytest

from core.actors import SYSTEM
from finance.models import EntryKind, JournalEntry, Refund, RefundStatus
from finance.services import (
    refund_record_external,
    refund_request,
    revenue_recognise,
)
from finance.tests.factories import assert_ledger_ok, paid_order, reload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scripted_connector")]


def test_provider_confirmation_of_our_refund_changes_nothing(django_capture_on_commit_callbacks):
    order = paid_order()
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(order=order, amount="408.00", reason="退款", actor=SYSTEM)
    refund_record_external(order=order, amount="408.00", provider="alipay", actor=SYSTEM)
    assert Refund.objects.count() == 1 and Refund.objects.get().confirmed_at is not None
    assert reload(order).refunded_amount == Decimal("408.00")
    assert_ledger_ok()


def test_provider_refund_completes_a_pending_refund():
    order = paid_order()
    refund_request(order=order, amount="408.00", reason="退款", actor=SYSTEM)  # on_commit never runs here
    refund_record_external(order=order, amount="408.00", provider="alipay", actor=SYSTEM)
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert reload(order).refunded_amount == Decimal("408.00")
    assert_ledger_ok()


def test_refund_made_at_the_provider_after_shipment_becomes_an_allowance():
    order = paid_order()
    revenue_recognise(order=order, reference="SH-1", actor=SYSTEM)
    refund_record_external(order=order, amount="50.00", provider="alipay", actor=SYSTEM)
    assert reload(order).refunded_amount == Decimal("50.00")
    assert JournalEntry.objects.filter(order=order, kind=EntryKind.REVENUE_REVERSAL).count() == 1
    assert_ledger_ok()
