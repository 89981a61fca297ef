"""The sales report and the query engine against the hand-computed world (see fixtures.build_world)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from core.errors import ValidationFailed
from finance.models import Account, JournalLine
from oms.reports.analysis import sales_report
from oms.reports.queries import Query, compare, run
from oms.reports.tests.fixtures import at

pytestmark = pytest.mark.django_db
D = Decimal


def journal_revenue(first: date, last: date) -> Decimal:
    agg = JournalLine.objects.filter(account=Account.REVENUE,
                                     entry__posted_at__gte=at(first.year, first.month, first.day),
                                     entry__posted_at__lte=at(last.year, last.month, last.day, 23, 59, 59, 999999)
                                     ).aggregate(c=Sum("credit"), d=Sum("debit"))
    return (agg["c"] or 0) - (agg["d"] or 0)


def test_revenue_by_day_reconciles_with_the_journal_with_split_shipments_returns_and_refunds(world):
    result = run(Query(measure="revenue", dimension="day", start=date(2026, 12, 1), end=date(2026, 12, 4),
                       filters={"legacy": False}))
    by_day = {r.key: r.value for r in result.rows}
    assert by_day == {date(2026, 12, 1): 0, date(2026, 12, 2): D("263.72"), date(2026, 12, 3): D("78.76"),
                      date(2026, 12, 4): 0}
    for day, value in by_day.items():
        assert value == journal_revenue(day, day)
    assert result.total == journal_revenue(date(2026, 12, 1), date(2026, 12, 4)) == D("342.48")
    # 263.72 net for A (two shipments, one tee back) + 78.76 for B (cash on delivery).


def test_legacy_orders_count_in_revenue_orders_and_units(world):
    november = dict(start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert run(Query(measure="revenue", **november)).total == D("185.84")
    assert run(Query(measure="orders", **november)).total == 1
    assert run(Query(measure="units", **november)).total == 2
    december = run(Query(measure="revenue", dimension="legacy", start=date(2026, 11, 1), end=date(2026, 12, 31)))
    assert {r.key: r.value for r in december.rows} == {True: D("185.84"), False: D("342.48")}


def test_orders_units_and_aov_by_channel_on_shanghai_days(world):
    first = run(Query(measure="orders", dimension="channel", start=date(2026, 12, 1), end=date(2026, 12, 1)))
    assert {r.label: r.value for r in first.rows} == {"天猫": 1, "京东": 1}
    aov = run(Query(measure="aov", start=date(2026, 12, 1), end=date(2026, 12, 1)))
    assert aov.total == D("293.00")  # (497 + 89) / 2
    assert run(Query(measure="refunds", start=date(2026, 12, 1), end=date(2026, 12, 31))).total == D("199.00")


def test_revenue_by_product_and_the_shipping_fee(world):
    result = run(Query(measure="revenue", dimension="product", start=date(2026, 12, 1), end=date(2026, 12, 31),
                       filters={"legacy": False}))
    values = {r.label.split(" ")[0]: r.value for r in result.rows}
    assert values["TEE"] == D("176.11")
    assert values["MUG"] == D("78.76") * 2
    assert result.total == D("342.48")


def test_comparisons_with_the_previous_period_and_last_year(world):
    c = compare(Query(measure="orders", start=date(2026, 12, 1), end=date(2026, 12, 2)))
    assert (c.current, c.previous, c.last_year) == (3, 0, 0)
    c = compare(Query(measure="revenue", start=date(2026, 11, 16), end=date(2026, 12, 15)))
    assert c.previous == D("185.84")  # 2026-10-17 … 2026-11-15 holds the legacy order
    assert c.vs_previous == ((D("342.48") - D("185.84")) / D("185.84") * 100).quantize(D("0.1"))


def test_a_measure_cannot_be_broken_down_by_a_dimension_its_rollup_lacks(world):
    with pytest.raises(ValidationFailed):
        run(Query(measure="orders", dimension="product"))
    with pytest.raises(ValidationFailed):
        run(Query(measure="refunds", dimension="warehouse"))


def test_sales_report_summary_and_table(world):
    report = sales_report(start=date(2026, 12, 1), end=date(2026, 12, 31), grain="week", dimension="channel")
    summary = {s["code"]: s["value"] for s in report.summary}
    assert summary["orders"] == 3 and summary["revenue"] == D("342.48") and summary["refunds"] == D("199.00")
    rows = {r["label"]: r["values"] for r in report.rows}
    assert rows["天猫"]["revenue"] == D("263.72") and rows["京东"]["revenue"] == D("78.76")
    assert rows["天猫"]["orders"] == 2
    header, data = report.table_for_export()
    assert len(data) == 2 and len(header) == len(report.columns) + 1


def test_drill_url_lists_exactly_the_orders_behind_a_bar(world, client, manager):
    client.force_login(manager)
    result = run(Query(measure="revenue", dimension="channel", start=date(2026, 12, 1), end=date(2026, 12, 31)))
    jd = next(r for r in result.rows if r.label == "京东")
    response = client.get(jd.drill)
    assert response.status_code == 200
    assert [o.number for o in response.context["page"].object_list] == [world["b"].number]
    tmall = next(r for r in result.rows if r.label == "天猫")
    numbers = {o.number for o in client.get(tmall.drill).context["page"].object_list}
    assert numbers == {world["a"].number}  # C was not shipped: no revenue, not behind the bar
