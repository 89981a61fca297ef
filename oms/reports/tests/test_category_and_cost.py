"""Sales by product category, stock turnover in cost, and exports carrying every table of a report.

Category figures are checked against the hand-computed world (fixtures.build_world); the cost figures
against a small ledger of their own, computed here by hand in the docstrings.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Category
from inventory.services import ReceiptLine, stock_receive
from logistics.services.shipping import shipment_ship
from logistics.tests.factories import ACTOR, product, released_order, shipments_of, warehouse
from oms.reports import services
from oms.reports.analysis import inventory_report
from oms.reports.exports import result_table
from oms.reports.queries import Query, run
from oms.reports.rollups import rollups_rebuild
from oms.reports.selectors import drill_orders

pytestmark = pytest.mark.django_db
D = Decimal
PERIOD = {"start": date(2026, 11, 1), "end": date(2026, 12, 31)}


@pytest.fixture
def categories(world):
    """服装 › 上装 holds TEE, 家居 › 厨房 holds MUG (filed after the rollups were built: a category is
    joined in when the report runs)."""
    apparel = Category.objects.create(code="APPAREL", name="服装")
    tops = Category.objects.create(code="TOPS", name="上装", parent=apparel)
    home = Category.objects.create(code="HOME", name="家居")
    kitchen = Category.objects.create(code="KITCHEN", name="厨房", parent=home)
    world["tee"].category = tops
    world["tee"].save()
    world["mug"].category = kitchen
    world["mug"].save()
    return {"apparel": apparel, "tops": tops, "home": home, "kitchen": kitchen}


def test_revenue_by_category_from_hand_computed_figures(world, categories):
    """TEE: A's first shipment 176.11, its second 176.10 less the return 176.10, legacy L 176.99 → 353.10.
    MUG: A 78.76 + B 78.76 → 157.52. Shipping fees A 8.85 + L 8.85 → 17.70, under "no category"."""
    with translation.override("zh-hans"):
        result = run(Query(measure="revenue", dimension="category", **PERIOD))
    by_key = {r.key: (r.label, r.value) for r in result.rows}
    assert by_key == {categories["tops"].pk: ("服装 › 上装", D("353.10")),
                      categories["kitchen"].pk: ("家居 › 厨房", D("157.52")),
                      None: ("无分类（含运费）", D("17.70"))}
    assert [r.key for r in result.rows] == [categories["tops"].pk, categories["kitchen"].pk, None]  # largest first
    assert result.total == D("353.10") + D("157.52") + D("17.70")
    # A parent category holds its children's sales; units likewise (TEE 2 + 1 − 1 + 2 legacy = 4 sold net).
    parent = run(Query(measure="revenue", filters={"category": categories["apparel"].pk}, **PERIOD))
    assert parent.total == D("353.10")
    units = run(Query(measure="units", filters={"category": categories["apparel"].pk}, **PERIOD))
    assert units.total == 4
    assert run(Query(measure="revenue", filters={"category": "none"}, **PERIOD)).total == D("17.70")


def test_orders_cannot_be_filtered_by_category(world, categories):
    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        run(Query(measure="orders", filters={"category": categories["tops"].pk}, **PERIOD))


def test_drill_through_by_category_lists_the_orders_behind_the_figure(world, categories, client, manager):
    apparel = drill_orders(measure="revenue", filters={"category": str(categories["apparel"].pk)}, **PERIOD)
    assert {o.pk for o in apparel} == {world["a"].pk, world["legacy"].pk}  # C was not shipped
    kitchen = drill_orders(measure="revenue", filters={"category": str(categories["kitchen"].pk)}, **PERIOD)
    assert {o.pk for o in kitchen} == {world["a"].pk, world["b"].pk}
    result = run(Query(measure="revenue", dimension="category", **PERIOD))
    bar = next(r for r in result.rows if r.key == categories["kitchen"].pk)
    client.force_login(manager)
    with translation.override("zh-hans"):
        response = client.get(bar.drill)
    assert response.status_code == 200
    assert {o.number for o in response.context["page"].object_list} == {world["a"].number, world["b"].number}
    assert "家居 › 厨房" in response.content.decode()


def test_a_category_widget_renders_and_exports(world, categories, client, manager):
    board = services.dashboard_create(name="品类", actor=manager)
    widget = services.widget_add(dashboard=board, measure="revenue", dimension="category", chart="bar",
                                 period="this_year", filters={"category": str(categories["home"].pk)}, actor=manager)
    assert widget.filters == {"category": categories["home"].pk}
    client.force_login(manager)
    with translation.override("zh-hans"):
        page = client.get(reverse("reports:dashboard", args=[board.pk]))
        response = client.get(reverse("reports:widget-export", args=[widget.pk, "xlsx"]))
        header, rows = result_table(run(Query(measure="revenue", dimension="category",
                                              filters={"category": categories["home"].pk}, **PERIOD)))
    assert page.status_code == 200 and "id_f_category" in page.content.decode()
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == header[0] == "品类"
    assert rows == [["家居 › 厨房", D("157.52")]]  # the HOME filter keeps its child KITCHEN only


# -- turnover in cost -------------------------------------------------------------------------------------

@pytest.fixture
def costed():
    """COST (standard cost ¥30) in SH01: lot 1 ten units at ¥20, lot 2 ten at ¥25, lot 3 five with no cost
    (→ ¥30). One order of 12 ships today: FIFO by lot takes 10 × 20 + 2 × 25 = ¥250.
    Closing 13 units: 8 × 25 + 5 × 30 = ¥350."""
    sh01 = warehouse()
    item = product("COST", stock=0, price=D("100.00"), standard_cost=D("30.00"))
    now = timezone.now()
    stock_receive(warehouse=sh01, actor=ACTOR, received_at=now - timedelta(hours=3),
                  lines=[ReceiptLine(sku="COST", quantity=10, batch_number="L1", unit_cost=D("20.00"))])
    stock_receive(warehouse=sh01, actor=ACTOR, received_at=now - timedelta(hours=2),
                  lines=[ReceiptLine(sku="COST", quantity=10, batch_number="L2", unit_cost=D("25.00"))])
    order = released_order([(item, 12, "100.00")])
    stock_receive(warehouse=sh01, actor=ACTOR, lines=[ReceiptLine(sku="COST", quantity=5, batch_number="L3")])
    for shipment in shipments_of(order):
        shipment_ship(shipment=shipment, tracking_number="SF200001", actor=ACTOR)
    rollups_rebuild()
    return item


def test_turnover_and_days_of_inventory_in_cost_fifo_by_lot(costed):
    today = timezone.localdate()
    row = next(r for r in inventory_report(start=today, end=today).rows if r["sku"] == "COST")
    assert (row["received"], row["issued"], row["closing"]) == (25, 12, 13)
    assert row["cogs"] == D("250.00")
    assert row["closing_value"] == row["average_value"] == D("350.00")
    assert row["turnover"] == D("0.71")          # 250 / 350
    assert row["days"] == D("1.4")               # 350 × 1 day / 250
    assert row["turnover_units"] == D("0.92")    # 12 / 13
    assert row["days_units"] == D("1.1")         # 13 × 1 / 12


def test_turnover_in_cost_averages_the_value_over_the_period(costed):
    """Yesterday nothing was on hand (0), today ¥350: average ¥175 over two days."""
    today = timezone.localdate()
    row = next(r for r in inventory_report(start=today - timedelta(days=1), end=today).rows if r["sku"] == "COST")
    assert row["average_value"] == D("175.00")
    assert row["turnover"] == D("1.43")          # 250 / 175
    assert row["days"] == D("1.4")               # 175 × 2 days / 250


def test_receipt_rejects_a_negative_or_fractional_cent_cost():
    from core.errors import DomainError

    sh01 = warehouse()
    product("NEG", stock=0)
    for bad in (D("-1"), D("1.234"), "abc"):
        with pytest.raises(DomainError) as caught:
            stock_receive(warehouse=sh01, actor=ACTOR, lines=[ReceiptLine(sku="NEG", quantity=1, unit_cost=bad)])
        assert "lines.0.unit_cost" in caught.value.errors


# -- exports carry every table --------------------------------------------------------------------------

@pytest.mark.parametrize("name,sheets", [
    ("reports:inventory", ["库存周转与库存天数", "滞销商品", "缺货", "缺货待发账龄", "30 天内到期的批次"]),
    ("reports:fulfilment", ["发货超时", "各订单状态停留时间", "仓库与承运环节", "物流异常", "各商品退货率与原因"]),
    ("reports:customers", ["概览", "RFM 客户分群", "按首单月份的同期群", "客户列表"]),
])
def test_report_exports_write_every_table_with_chinese_headers(world, client, manager, name, sheets):
    client.force_login(manager)
    with translation.override("zh-hans"):
        xlsx = client.get(reverse(name), {"export": "xlsx"})
        csv = client.get(reverse(name), {"export": "csv"})
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == [s[:28] for s in sheets]
    for sheet in book.worksheets:
        header = [c.value for c in sheet[1]]
        # every header in Chinese, except codes that are the same in both languages
        assert all(not h.isascii() or h == "SKU" or h.startswith("+") for h in header), header
        assert sheet["A1"].font.bold
    assert csv["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(csv.content))
    assert [n.split("-", 1)[1][:-4] for n in archive.namelist()] == [s[:25] for s in sheets]
    for member in archive.namelist():
        assert archive.read(member).startswith("\ufeff".encode())


def test_inventory_export_rows_equal_the_page_figures(world, client, manager):
    client.force_login(manager)
    today = timezone.localdate()
    response = client.get(reverse("reports:inventory"), {"export": "xlsx", "period": "custom",
                                                         "start": today.isoformat(), "end": today.isoformat()})
    turnover = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = {r[1]: r for r in turnover.iter_rows(min_row=2, values_only=True)}
    assert rows["TEE"][3:7] == (2, 100, 98, 98)  # issued, received, average, closing (units)
