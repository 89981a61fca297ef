"""Drill: the process paying out a refund is killed (SIGKILL) after the provider paid and before OMS
recorded it. The refund schedule's recovery asks the provider again under the same idempotency key:
the customer is refunded exactly once, the journal books it once, stock and ledger are clean."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.actors import SYSTEM
from finance.invariants import ledger_problems
from finance.models import EntryKind, JournalEntry, Refund, RefundStatus
from finance.services import refunds as refund_services
from finance.tests.factories import paid_order, reload
from orders.models import OrderStatus
from orders.services import order_cancel
from tests.drills.helpers import kill_when, start_child
from tests.drills.provider import BOOK, HANG, payouts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PROVIDER = "tests.drills.provider.FileProvider"
WORKER = f"""
from django.conf import settings
settings.OMS_PAYMENT_CONNECTORS = {{code: {PROVIDER!r} for code in ("console", "alipay", "wechat")}}
from finance.services.refunds import refund_execute
refund_execute(refund_id=%d)
"""


def test_refund_killed_after_the_provider_paid_is_recovered_and_paid_once(settings, tmp_path, monkeypatch):
    book = tmp_path / "provider-book.jsonl"
    monkeypatch.setenv(BOOK, str(book))
    settings.OMS_PAYMENT_CONNECTORS = {code: PROVIDER for code in ("console", "alipay", "wechat")}
    order = paid_order()
    # The refund the cancellation earmarks is paid out "after commit" — here by a child process.
    sent_after_commit = []
    monkeypatch.setattr(refund_services, "refund_execute", lambda *, refund_id: sent_after_commit.append(refund_id))
    order_cancel(order=order, reason="客户要求取消", actor=SYSTEM)
    monkeypatch.undo()
    monkeypatch.setenv(BOOK, str(book))
    settings.OMS_PAYMENT_CONNECTORS = {code: PROVIDER for code in ("console", "alipay", "wechat")}
    [refund] = Refund.objects.filter(order=order)
    assert sent_after_commit == [refund.pk] and refund.status == RefundStatus.PENDING

    child = start_child(WORKER % refund.pk, **{BOOK: str(book), HANG: "1"})
    kill_when(child, lambda: len(payouts(book)) == 1, what="the provider paid out")

    refund.refresh_from_db()
    assert refund.status == RefundStatus.PENDING  # the provider paid; OMS never heard of it
    assert not JournalEntry.objects.filter(kind=EntryKind.REFUND_PAID).exists()

    # The refund schedule (every few minutes) finds it pending past ten minutes and sends it again.
    assert refund_services.retry_failed_refunds(now=timezone.now() + timedelta(minutes=11)) == 1

    refund.refresh_from_db()
    [payout] = payouts(book)  # still one payout: the provider recognised the idempotency key
    assert refund.status == RefundStatus.SUCCEEDED and refund.provider_refund_id == payout["id"]
    assert payout["amount"] == f"{refund.amount:.2f}"
    order = reload(order)
    assert order.status == OrderStatus.CANCELLED and order.refunded_amount == order.paid_amount
    assert JournalEntry.objects.filter(kind=EntryKind.REFUND_PAID, refund=refund).count() == 1
    assert refund_services.retry_failed_refunds(now=timezone.now() + timedelta(hours=1)) == 0
    call_command("check_stock")
    assert ledger_problems() == []
