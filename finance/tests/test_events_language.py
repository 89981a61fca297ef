"""Journal descriptions and funds-flow timeline entries are stored in zh-hans, whoever's language
caused them (the project's timeline rule: `timeline_message`, never `gettext_lazy(...) % {...}`)."""

import pytest
from django.utils import translation

from core.actors import SYSTEM
from finance.models import JournalEntry
from finance.services import refund_request
from finance.tests.factories import make_order, pay, reload

pytestmark = pytest.mark.django_db


def test_an_english_clerk_writes_chinese_journal_descriptions_and_timeline_entries():
    order = make_order()
    with translation.override("en"):
        payment = pay(order, "408.00")
        refund_request(order=reload(order), reason="客户要求", amount="8.00", actor=SYSTEM)
    entry = JournalEntry.objects.get(payment=payment, kind="payment")
    assert entry.description.startswith(f"收到订单 {order.number} 货款 408.00"), entry.description
    assert "支付宝" in entry.description
    requested = JournalEntry.objects.get(kind="refund_requested", order=order)
    assert requested.description == f"订单 {order.number} 申请退款 8.00：客户要求"
    messages = list(reload(order).events.filter(kind__in=["payment_recorded", "refund_requested"])
                    .values_list("message", flat=True))
    assert len(messages) == 2 and all("¥" in m and "Payment" not in m and "Refund" not in m for m in messages)
