"""Drill: the WMS endpoint is down for an hour (simulated clock, the `deliver_outbox` schedule run
every minute). Shipping instructions are retried with back-off, none is lost or given up, and each
is delivered exactly once when the WMS is back; stock and ledger stay clean.

Runs on SQLite and PostgreSQL alike: nothing here depends on row locks or a second process."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from finance.invariants import ledger_problems
from inventory.tests.factories import priority
from logistics.tests.factories import product, released_order, wms_warehouse
from oms.integrations import outbox
from oms.integrations.models import OutboundEndpoint, OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db


def test_wms_down_for_an_hour_then_every_instruction_arrives_exactly_once(closed_url, fake_wms):
    gz = wms_warehouse("GZ01")
    priority("广东省", gz)
    orders = [released_order([(product(stock=20, at=gz), 2, "80.00")], province="广东省", city="广州市",
                             district="天河区") for _ in range(3)]
    endpoint = OutboundEndpoint.objects.create(kind="wms", code="GZ01", url=closed_url)
    messages = OutboxMessage.objects.filter(topic="shipping_instruction.ship")
    assert messages.count() == len(orders)

    start = timezone.now()
    minute = 0
    while minute <= 60:  # the schedule, once a minute, while nothing listens
        outbox.deliver_due(now=start + timedelta(minutes=minute))
        minute += 1
    assert fake_wms.received == []
    for message in messages:
        attempts = list(message.attempt_log.order_by("pk").values_list("started_at", flat=True))
        # Back-off of 1, 2, 4, 8, 16 minutes after each failed attempt, picked up by the next run of the
        # once-a-minute schedule; nothing given up.
        gaps = [round((b - a).total_seconds() / 60) for a, b in zip(attempts, attempts[1:], strict=False)]
        assert gaps == [2, 3, 5, 9, 17]
        message.refresh_from_db()
        assert message.status == OutboxStatus.FAILED and message.attempts == 6 < outbox.MAX_ATTEMPTS

    endpoint.url = fake_wms.url  # the WMS is back
    endpoint.save()
    while OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists() and minute <= 180:
        outbox.deliver_due(now=start + timedelta(minutes=minute))
        minute += 1
    assert minute - 1 == 69  # the next back-off step (32 minutes after the attempt at minute 36) delivered all three
    assert sorted(r["json"]["order_number"] for r in fake_wms.received) == sorted(o.number for o in orders)
    assert len({r["headers"]["X-OMS-Message-Id"] for r in fake_wms.received}) == len(orders)
    for _ in range(5):  # the schedule runs on: nothing is sent again
        outbox.deliver_due(now=start + timedelta(minutes=minute))
        minute += 1
    assert len(fake_wms.received) == len(orders)
    call_command("check_stock")
    assert ledger_problems() == []
