"""Rollups against the hand-computed world of `fixtures.build_world`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from finance.invariants import ledger_problems
from finance.models import Account, JournalLine
from inventory.selectors import stock_drift
from oms.reports import rollups
from oms.reports.models import (
    CustomerMonth,
    CustomerSummary,
    OrderChannelDaily,
    OrderDaily,
    ProductSalesDaily,
    RefundDaily,
    RollupRun,
    SalesChannelDaily,
    SalesDaily,
    StateDaily,
    StockDaily,
)
from oms.reports.tests.fixtures import at, build_world

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world(tmp_path, django_capture_on_commit_callbacks):
    """The world without rollups (the tests here build them themselves)."""
    return build_world(tmp_path, django_capture_on_commit_callbacks)


def _sum(model, field, **filters):
    return model.objects.filter(**filters).aggregate(s=Sum(field))["s"]


def test_rebuild_counts_orders_on_their_shanghai_day(world):
    call_command("rebuild_report_rollups")
    assert _sum(OrderDaily, "orders", day=date(2026, 12, 1)) == 2      # A, and B at 23:59:59
    assert _sum(OrderDaily, "orders", day=date(2026, 12, 2)) == 1      # C at 00:00:00
    assert _sum(OrderDaily, "cod_orders", day=date(2026, 12, 1)) == 1
    assert _sum(OrderDaily, "order_value", day=date(2026, 12, 1)) == D("586.00")  # 497 + 89
    assert _sum(OrderDaily, "units", day=date(2026, 12, 1)) == 4
    legacy = OrderDaily.objects.get(day=date(2026, 11, 15))
    assert (legacy.legacy, legacy.orders, legacy.order_value, legacy.province) == (True, 1, D("210.00"), "上海市")


def test_rebuild_revenue_by_day_matches_hand_computed_figures(world):
    rollups.rollups_rebuild()
    assert _sum(SalesDaily, "revenue", day=date(2026, 12, 2)) == D("184.96") + D("78.76")
    assert _sum(SalesDaily, "revenue", day=date(2026, 12, 3)) == D("254.86") - D("176.10")
    assert _sum(SalesDaily, "returns", day=date(2026, 12, 3)) == D("176.10")
    assert _sum(SalesDaily, "units", day=date(2026, 12, 3)) == 2
    assert _sum(SalesDaily, "units_returned", day=date(2026, 12, 3)) == 1
    assert _sum(SalesDaily, "revenue", day=date(2026, 11, 15), legacy=True) == D("185.84")
    assert _sum(SalesDaily, "revenue", channel__code="jd") == D("78.76")
    assert _sum(SalesDaily, "revenue", province="北京市") == D("78.76")
    tee = world["tee"]
    assert _sum(ProductSalesDaily, "revenue", product=tee, legacy=False) == D("176.11") + D("176.10") - D("176.10")
    assert _sum(ProductSalesDaily, "revenue", product__isnull=True, legacy=False) == D("8.85")
    assert _sum(ProductSalesDaily, "revenue") == _sum(SalesDaily, "revenue") == _sum(SalesChannelDaily, "revenue")
    assert _sum(OrderChannelDaily, "order_value") == _sum(OrderDaily, "order_value")
    assert set(SalesDaily.objects.filter(legacy=False).values_list("warehouse", flat=True)) == {world["sh01"].pk}
    assert _sum(RefundDaily, "amount") == D("199.00")


@pytest.mark.parametrize("first,last", [((2026, 12, 2), (2026, 12, 2)), ((2026, 12, 1), (2026, 12, 3)),
                                        ((2026, 12, 3), (2026, 12, 3))])
def test_revenue_equals_the_journal_revenue_account(world, first, last):
    rollups.rollups_rebuild()
    start, end = at(*first), at(*last, 23, 59, 59, 999999)
    journal = JournalLine.objects.filter(account=Account.REVENUE, entry__posted_at__gte=start,
                                         entry__posted_at__lte=end).aggregate(c=Sum("credit"), d=Sum("debit"))
    expected = (journal["c"] or 0) - (journal["d"] or 0)
    report = SalesDaily.objects.filter(day__gte=date(*first), day__lte=date(*last)).aggregate(
        s=Sum("revenue"))["s"] or 0
    assert report == expected
    # The legacy order is in the books too (the import's opening entries), so every order is checked.
    assert ledger_problems() == []
    assert stock_drift() == []


def test_stock_ledger_rollup_issues_and_closing_levels(world):
    rollups.rollups_rebuild()
    tee = world["tee"]
    rows = StockDaily.objects.filter(product=tee)
    assert sum(r.received for r in rows) == 100
    assert sum(r.issued for r in rows) == 2  # A's two tees (B and C bought no tee; C not shipped)
    last = rows.order_by("-day").first()
    assert last.closing == 98


def test_state_durations_are_counted_when_a_state_is_left(world):
    rollups.rollups_rebuild()
    assert StateDaily.objects.filter(state="awaiting_shipment").aggregate(n=Sum("count"))["n"] >= 2


def test_incremental_refresh_recomputes_touched_days_like_a_rebuild(world, tmp_path):
    first = rollups.rollups_refresh()  # nothing ran before: a full rebuild
    assert first.full
    from oms.reports.tests.fixtures import import_legacy

    import_legacy(tmp_path, [dict(order_number="L0002", ordered_at="2026-11-16 00:00", status="已完成",
                                  carrier="顺丰速运", tracking_number="SF9000002", paid_amount="210.00",
                                  payment_method="支付宝", sku="MUG")])
    second = rollups.rollups_refresh()
    assert not second.full and second.days >= 1
    assert _sum(OrderDaily, "orders", day=date(2026, 11, 16)) == 1
    snapshot = _snapshot()
    rollups.rollups_rebuild()
    assert snapshot == _snapshot()
    assert RollupRun.objects.count() == 3


def _snapshot() -> dict:
    """Every row of every rollup, every column but the id: keys (channel, province, warehouse, product,
    customer) and measures alike."""
    result = {}
    for model in (*rollups.MODELS, CustomerSummary, CustomerMonth):
        names = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        result[model.__name__] = sorted(tuple(str(v) for v in row) for row in model.objects.values_list(*names))
    return result


def test_refresh_picks_up_a_shipment_made_after_the_last_run(world):
    from django.utils import timezone

    from logistics.services.shipping import shipment_ship
    from logistics.tests.factories import ACTOR, shipments_of

    rollups.rollups_refresh()
    today = timezone.localdate()
    before = _sum(SalesChannelDaily, "revenue", day=today) or 0
    shipment_ship(shipment=shipments_of(world["c"])[0], tracking_number="SF100009", actor=ACTOR)
    run = rollups.rollups_refresh()
    assert not run.full and run.days >= 1
    # C: TEE ¥199 → 176.11 net, shipping ¥10 → 8.85 net, recognised today.
    assert (_sum(SalesChannelDaily, "revenue", day=today) or 0) - before == D("184.96")
    assert _sum(StockDaily, "issued", day=today, product=world["tee"]) == 3


def test_refresh_after_a_shipment_a_costed_receipt_and_a_refund_equals_a_rebuild(world):
    """Every rollup the incremental run touches — sales, orders, stock at cost, refunds, customers —
    comes out row for row as a full rebuild computes it."""
    from inventory.services import ReceiptLine, stock_receive
    from logistics.services.shipping import shipment_ship
    from logistics.tests.factories import ACTOR, shipments_of

    rollups.rollups_refresh()
    shipment_ship(shipment=shipments_of(world["c"])[0], tracking_number="SF100010", actor=ACTOR)
    stock_receive(warehouse=world["sh01"], actor=ACTOR,
                  lines=[ReceiptLine(sku="MUG", quantity=10, unit_cost=Decimal("40.00"))])
    run = rollups.rollups_refresh()
    assert not run.full
    c = world["c"]
    summary = CustomerSummary.objects.get(customer_id=c.customer_id)
    assert summary.orders >= 1
    refreshed = _snapshot()
    rollups.rollups_rebuild()
    assert refreshed == _snapshot()
    assert _sum(StockDaily, "received_value", product=world["mug"]) >= D("400.00")
