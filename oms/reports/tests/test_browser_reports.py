"""A manager in Chromium (Chinese UI): opens the reports home, builds "revenue by channel this month",
clicks the 京东 bar and lands on the orders behind it. Screenshots go to test-artifacts/reports-*.png."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Category
from conftest import ARTIFACTS
from core.enums import Role
from finance.models import JournalEntry
from oms.reports.rollups import rollups_rebuild
from oms.reports.tests.fixtures import build_world, move_posting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def close_playwright_context_connection(browser_page):
    yield
    connection.close()


def shot(page, name):
    page.screenshot(path=os.path.join(ARTIFACTS, f"reports-{name}.png"), full_page=True)


def test_manager_builds_revenue_by_channel_and_drills_into_a_bar(browser_page, login, make_user, tmp_path,
                                                                   django_capture_on_commit_callbacks,
                                                                   close_playwright_context_connection):
    world = build_world(tmp_path, django_capture_on_commit_callbacks)
    # Revenue posted today, so "this month" holds it whatever day the suite runs.
    for entry in JournalEntry.objects.filter(kind__in=["revenue", "revenue_reversal"]):
        move_posting(entry, timezone.now())
    rollups_rebuild()
    make_user("boss", Role.MANAGER, is_staff=True)
    page = browser_page
    login("boss")
    page.goto("/reports/")
    page.wait_for_selector("#today-panel")
    assert "今日订单" in page.inner_text("#today-panel")
    shot(page, "home")

    page.fill("#id_name", "经营看板")
    page.click("#new-dashboard button[type=submit]")
    page.wait_for_selector("#widget-form")
    page.select_option("#id_measure", "revenue")
    page.select_option("#id_dimension", "channel")
    page.select_option("#id_chart", "bar")
    page.select_option("#id_period", "this_month")
    page.fill("#id_title", "本月各渠道收入")
    page.click("#add-widget")
    page.wait_for_selector(".widget-chart canvas")
    page.wait_for_function("document.querySelector('.widget-chart').chart !== undefined")
    shot(page, "dashboard")
    dashboard_url = page.url

    # The pixel centre of the 京东 bar, from the chart itself.
    point = page.evaluate("""() => {
        const el = document.querySelector('.widget-chart');
        const option = el.chart.getOption();
        const index = option.xAxis[0].data.indexOf('京东');
        const value = option.series[0].data[index];
        const [x, y] = el.chart.convertToPixel({seriesIndex: 0}, [index, value / 2]);
        const box = el.getBoundingClientRect();
        return {x: box.left + x, y: box.top + y, index};
    }""")
    assert point["index"] >= 0
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/reports/orders/**")
    table = page.inner_text("#drill-orders")
    assert world["b"].number in table and world["a"].number not in table
    assert "京东" in page.inner_text("#drill-filters")
    shot(page, "drill")

    # Revenue by category: TEE filed under 服装 › 上装, MUG under 家居 › 厨房; its 厨房 bar drills to A and B.
    apparel = Category.objects.create(code="APPAREL", name="服装")
    world["tee"].category = Category.objects.create(code="TOPS", name="上装", parent=apparel)
    world["tee"].save()
    world["mug"].category = Category.objects.create(code="KITCHEN", name="厨房",
                                                    parent=Category.objects.create(code="HOME", name="家居"))
    world["mug"].save()
    page.goto(dashboard_url)
    page.select_option("#id_measure", "revenue")
    page.select_option("#id_dimension", "category")
    page.select_option("#id_chart", "bar")
    page.fill("#id_title", "本月各品类收入")
    page.click("#add-widget")
    page.wait_for_function("document.querySelectorAll('.widget-chart').length === 2 && "
                           "document.querySelectorAll('.widget-chart')[1].chart !== undefined")
    shot(page, "category-widget")
    point = page.evaluate("""() => {
        const el = document.querySelectorAll('.widget-chart')[1];
        const option = el.chart.getOption();
        const index = option.xAxis[0].data.indexOf('家居 › 厨房');
        const value = option.series[0].data[index];
        const [x, y] = el.chart.convertToPixel({seriesIndex: 0}, [index, value / 2]);
        const box = el.getBoundingClientRect();
        return {x: box.left + x, y: box.top + y, index, labels: option.xAxis[0].data};
    }""")
    assert point["index"] >= 0, point
    assert "服装 › 上装" in point["labels"]
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/reports/orders/**")
    table = page.inner_text("#drill-orders")
    assert world["a"].number in table and world["b"].number in table and world["c"].number not in table
    assert "家居 › 厨房" in page.inner_text("#drill-filters")
    shot(page, "category-drill")

    page.goto("/reports/sales/")
    page.wait_for_selector("#sales-summary")
    shot(page, "sales")
    for name in ("inventory", "customers", "fulfilment"):
        page.goto(f"/reports/{name}/")
        page.wait_for_load_state("networkidle")
        shot(page, name)
