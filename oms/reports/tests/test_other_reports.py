"""Inventory, customer and fulfilment figures against the hand-computed world (fixtures.build_world)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from oms.reports.analysis import (
    average_stock,
    cohort_table,
    customer_report,
    fulfilment_report,
    inventory_report,
    rfm_segment,
)
from orders.selectors import customer_list_with_totals

pytestmark = pytest.mark.django_db
D = Decimal


def test_average_stock_holds_each_level_until_the_next_movement():
    # Opening 10 on the 1st–2nd, 4 from the 3rd, 0 from the 5th: (10+10+4+4+0) / 5.
    rows = [(date(2026, 12, 3), 4), (date(2026, 12, 5), 0)]
    assert average_stock(rows, 10, date(2026, 12, 1), date(2026, 12, 5)) == D("5.60")


def test_inventory_turnover_from_the_ledger(world):
    today = timezone.localdate()
    report = inventory_report(start=today, end=today)
    tee = next(r for r in report.rows if r["sku"] == "TEE")
    # Received 100 and issued 2 today (the world's stock arrives the day the test runs): average = closing = 98.
    assert (tee["received"], tee["issued"], tee["closing"], tee["average"]) == (100, 2, 98, D("98.00"))
    assert tee["turnover_units"] == (D(2) / D(98)).quantize(D("0.01"))
    assert tee["days_units"] == D("49.0")  # 98 on hand ÷ 2 a day
    # The world's stock came in without a cost and TEE has no standard cost: nothing to turn over in cost.
    assert (tee["cogs"], tee["average_value"], tee["turnover"], tee["days"]) == (D("0.00"), D("0.00"), None, None)


def test_customer_value_and_segments(world):
    report = customer_report(now=timezone.make_aware(timezone.datetime(2026, 12, 10)))
    # One customer (same phone on every order): A, B, C and the legacy order; none cancelled.
    assert report.customers == 1 and report.repeat_rate == D("100.0")
    top = report.top[0]
    assert top["orders"] == 4
    assert top["spend"] == D("497.00") - D("199.00") + D("89.00") + D("209.00") + D("210.00")
    assert top["segment"] == "champion"
    assert rfm_segment(recency_days=200, frequency=5) == "lost"
    assert rfm_segment(recency_days=100, frequency=2) == "at_risk"
    assert rfm_segment(recency_days=3, frequency=1) == "new"
    cohorts = cohort_table(months=2)
    assert cohorts[0]["month"] == "2026-11" and cohorts[0]["size"] == 1 and cohorts[0]["cells"][0][0] == 1


def test_customer_admin_list_shows_orders_spend_and_last_order(world, client, manager):
    row = customer_list_with_totals().get(pk=world["a"].customer_id)
    assert row.order_count == 4 and row.spend == D("806.00")
    assert row.last_order_at == world["c"].ordered_at
    client.force_login(manager)
    html = client.get(reverse("admin:orders_customer_changelist")).content.decode()
    assert "¥806.00" in html


def test_fulfilment_returns_and_lateness(world):
    today = timezone.localdate()
    report = fulfilment_report(start=today - timedelta(days=40), end=today)
    # Orders A and B were placed on 1 December and shipped on the day the test runs.
    assert report.late["late"] + report.late["on_time"] == 3  # A's two shipments and B's
    states = {s["state"]: s["count"] for s in report.states}
    assert states.get("pending_review", 0) >= 3
    assert {r["sku"] for r in report.returns} == {"TEE", "MUG"}


def test_segments_counted_in_the_database_match_rfm_segment(db):
    """The page counts segments in SQL (`segment_case`); every boundary agrees with `rfm_segment`."""
    from collections import Counter

    from oms.reports.models import CustomerSummary

    today = date(2026, 12, 10)
    rows, expected = [], Counter()
    for index, (recency, frequency) in enumerate((r, f) for r in (0, 29, 30, 31, 89, 90, 91, 180, 181, 400)
                                                 for f in (1, 2, 3, 7)):
        last = today - timedelta(days=recency)
        rows.append(CustomerSummary(customer_id=index + 1, first_day=last, last_day=last, orders=frequency,
                                    revenue=D("10.00")))
        expected[rfm_segment(recency_days=recency, frequency=frequency)] += 1
    CustomerSummary.objects.bulk_create(rows)
    report = customer_report(now=timezone.make_aware(timezone.datetime(2026, 12, 10, 12)))
    assert {s["code"]: s["customers"] for s in report.segments if s["customers"]} == dict(expected)
    assert report.customers == 40 and report.lifetime_value == D("10.00") and report.repeat_rate == D("75.0")
