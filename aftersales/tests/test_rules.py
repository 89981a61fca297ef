"""The rules' arithmetic and look-ups, on their own."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.models import ReturnPolicy, ReturnReason, ReturnRequest, ReturnStatus
from aftersales.rules import (
    SlaLevel,
    allocate,
    line_amount_for_units,
    policy_for,
    sla_level,
    window_problem,
)
from aftersales.selectors import QueueFilters, attach_sla, return_request_queue, sla_filter
from aftersales.tests.factories import delivered_order, request_for
from orders.models import Channel, OrderLine


def test_allocate_spreads_cents_and_gives_the_rest_to_the_largest_share():
    assert allocate(Decimal("100.00"), [Decimal("1"), Decimal("1"), Decimal("1")]) == [
        Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(allocate(Decimal("180.00"), [Decimal("200"), Decimal("50"), Decimal("10")])) == Decimal("180.00")
    assert allocate(Decimal("5.00"), [Decimal("0"), Decimal("0")]) == [Decimal("5.00"), Decimal("0.00")]
    assert allocate(Decimal("5.00"), []) == []


def test_units_of_a_line_add_up_to_its_amount_exactly():
    line = OrderLine(quantity=3, amount=Decimal("100.00"))
    firsts = [line_amount_for_units(line, n) - line_amount_for_units(line, n - 1) for n in range(1, 4)]
    assert firsts == [Decimal("33.33"), Decimal("33.34"), Decimal("33.33")]
    assert sum(firsts) == Decimal("100.00") and line_amount_for_units(line, 0) == 0


def test_window_counts_days_after_delivery_and_reasons_can_override_it():
    policy = ReturnPolicy(return_window_days=7, fault_window_days=15)
    no_reason, quality = ReturnReason(seller_fault=False), ReturnReason(seller_fault=True)
    delivered = timezone.now() - timedelta(days=8)
    assert window_problem(policy=policy, reason=no_reason, delivered_at=delivered).code == "outside_window"
    assert window_problem(policy=policy, reason=quality, delivered_at=delivered) is None
    assert window_problem(policy=policy, reason=ReturnReason(window_days=10), delivered_at=delivered) is None
    assert window_problem(policy=policy, reason=no_reason, delivered_at=None) is None
    edge = timezone.now() - timedelta(days=7) + timedelta(minutes=1)
    assert window_problem(policy=policy, reason=no_reason, delivered_at=edge) is None


def test_sla_levels():
    policy = ReturnPolicy(sla_review_hours=24)
    now = timezone.now()
    assert sla_level(policy, ReturnStatus.REQUESTED, now - timedelta(hours=1), now)[0] == SlaLevel.OK
    assert sla_level(policy, ReturnStatus.REQUESTED, now - timedelta(hours=19), now)[0] == SlaLevel.DUE_SOON
    level, deadline = sla_level(policy, ReturnStatus.REQUESTED, now - timedelta(hours=25), now)
    assert level == SlaLevel.OVERDUE and deadline == now - timedelta(hours=1)
    assert sla_level(policy, ReturnStatus.CLOSED, now - timedelta(days=99), now) == (SlaLevel.NONE, None)


@pytest.mark.django_db
def test_policy_of_the_channel_else_the_default():
    order = delivered_order(channel_code="jd")
    default = ReturnPolicy.objects.get(channel__isnull=True)
    assert policy_for(order) == default
    jd = ReturnPolicy.objects.create(channel=Channel.objects.get(code="jd"), return_window_days=30)
    assert policy_for(order) == jd


@pytest.mark.django_db
def test_sla_filter_in_sql_agrees_with_the_levels_shown():
    from catalog.tests.factories import ProductFactory

    ReturnPolicy.objects.create(channel=Channel.objects.get(code="jd"), sla_review_hours=2)
    now = timezone.now()
    for code in ("tmall", "jd"):
        order = delivered_order(channel_code=code, lines=[(ProductFactory(), 5, "10.00")])
        sku = order.lines.get().sku
        for hours in (0, 1, 2, 19, 25):
            rma = request_for(order, lines=[(sku, 1)])
            ReturnRequest.objects.filter(pk=rma.pk).update(status_changed_at=now - timedelta(hours=hours, minutes=1))
    queue = return_request_queue(filters=QueueFilters())
    shown = {r.pk: r.sla.level for r in attach_sla(queue, now=now)}
    assert set(shown.values()) == {SlaLevel.OK, SlaLevel.DUE_SOON, SlaLevel.OVERDUE}
    for level, wanted in ((SlaLevel.OVERDUE, {SlaLevel.OVERDUE}),
                          (SlaLevel.DUE_SOON, {SlaLevel.DUE_SOON, SlaLevel.OVERDUE})):
        in_sql = set(sla_filter(queue, level, now=now).values_list("pk", flat=True))
        assert in_sql == {pk for pk, shown_level in shown.items() if shown_level in wanted}, level
