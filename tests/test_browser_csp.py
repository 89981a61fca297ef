"""An administrator in Chromium walks OMS under its real Content-Security-Policy (no 'unsafe-inline'
for styles or scripts) and the browser reports no violation: every link of the navigation, the pages
behind them (order, funds, print centre, an import, a dashboard, rules, admin forms, history, export,
API docs, the public survey), with chart tooltips shown. Screenshots: test-artifacts/csp-*.png."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command
from django.db import connection

from conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Runs in every page before its own HTML is parsed (DevTools, not subject to the page's policy), so
# violations from the markup itself (a style="" attribute) are caught as well as later ones.
COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" +
                    e.lineNumber + " " + (e.sample || ""));
});
"""


@pytest.fixture
def close_playwright_context_connection(browser_page):
    yield
    connection.close()


def _world(make_user):
    """Demo orders in every state, plus the things the walk opens that the demo has none of."""
    from django.utils import timezone

    from catalog.models import Product
    from finance.models import PrintJob, PrintJobStatus
    from oms.imports.models import ImportBatch
    from oms.reports.models import Dashboard, Widget
    from oms.reports.rollups import rollups_rebuild
    from oms.workflow.automation.models import AutomationRule, SatisfactionSurvey
    from oms.workflow.automation.survey import survey_token
    from orders.models import Order, OrderStatus

    call_command("demo_data", orders=12)
    rollups_rebuild()  # the reports read the daily roll-ups
    root = make_user("root", is_staff=True, is_superuser=True)
    order = Order.objects.filter(status=OrderStatus.SHIPPED).first() or Order.objects.first()
    pending = Order.objects.filter(status__in=[OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD]).first()
    batch = ImportBatch.objects.create(file_name="legacy.xlsx", created_by=root, status=ImportBatch.Status.DONE,
                                       mode=ImportBatch.Mode.IMPORT, rows_total=120, rows_done=120, rows=120,
                                       orders=40, imported=38, duplicates=2, finished_at=timezone.now())
    running = ImportBatch.objects.create(file_name="half.xlsx", created_by=root, status=ImportBatch.Status.FAILED,
                                         rows_total=200, rows_done=80, failure="worker stopped")
    PrintJob.objects.create(created_by=root, status=PrintJobStatus.FAILED, total=10, done=4, error="font")
    PrintJob.objects.create(created_by=root, status=PrintJobStatus.DONE, total=3, done=3)
    dashboard = Dashboard.objects.create(name="经营看板", owner=root)
    Widget.objects.create(dashboard=dashboard, title="各渠道订单", measure="orders", dimension="channel", chart="bar")
    Widget.objects.create(dashboard=dashboard, title="各渠道收入", measure="revenue", dimension="channel", chart="pie")
    rule = AutomationRule.objects.order_by("pk").first()
    survey = SatisfactionSurvey.objects.create(order=order)
    product = Product.objects.order_by("pk").first()
    pages = {
        "order": f"/orders/{order.number}/",
        "funds": f"/finance/orders/{order.number}/",
        "order-change": f"/admin/orders/order/{order.pk}/change/",
        "order-history": f"/admin/orders/order/{order.pk}/history/",
        "order-export": "/admin/orders/order/export/",
        "product-change": f"/admin/catalog/product/{product.pk}/change/",
        "product-history": f"/admin/catalog/product/{product.pk}/history/",
        "product-import": "/admin/catalog/product/import/",
        "import-done": f"/imports/{batch.pk}/",
        "import-failed": f"/imports/{running.pk}/",
        "dashboard": f"/reports/dashboards/{dashboard.pk}/",
        "sales": "/reports/sales/",
        "report-inventory": "/reports/inventory/",
        "report-customers": "/reports/customers/",
        "report-fulfilment": "/reports/fulfilment/",
        "rule-change": f"/admin/workflow/automationrule/{rule.pk}/change/",
        "rule-versions": f"/admin/workflow/automationrule/{rule.pk}/versions/",
        "rule-replay": f"/admin/workflow/automationrule/{rule.pk}/replay/",
        "rule-dry-run": "/admin/workflow/automationrule/dry-run/",
        "process-map": "/admin/workflow/automationrule/process/",
        "stocktake": "/inventory/stocktakes/import/",
        "receipt": "/inventory/receipts/new/",
        "api-docs": "/api/docs/",
        "survey": f"/survey/{survey_token(survey)}/",
    }
    if pending:
        pages["review"] = f"/workflow/review/{pending.number}/"
    return pages


def _hover_charts(page, name):
    """Show a tooltip of each chart (ECharts draws them on the canvas, see reports.js); the first one
    is photographed."""
    for index, handle in enumerate(page.query_selector_all(".widget-chart, #process-map")):
        box = handle.bounding_box()
        if not box or not box["height"]:
            continue
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        for fx, fy in ((0.5, 0.6), (0.3, 0.5), (0.5, 0.5)):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_timeout(150)
        if index == 0:
            page.screenshot(path=os.path.join(ARTIFACTS, f"csp-{name}-tooltip.png"))


def test_administrator_walks_every_screen_without_a_csp_violation(browser_page, login, make_user,
                                                                  close_playwright_context_connection):
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    console = []
    page.on("console", lambda m: console.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text else None)
    page.add_init_script(COLLECT_VIOLATIONS)
    deep = _world(make_user)
    login("root")

    violations: dict[str, list[str]] = {}
    visited: list[str] = []

    def visit(name, url):
        response = page.goto(url)
        assert response is not None and response.status < 400, (name, url, response and response.status)
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}, url
        page.wait_for_load_state("networkidle")
        _hover_charts(page, name)
        page.mouse.move(1, 1)
        page.screenshot(path=os.path.join(ARTIFACTS, f"csp-{name}.png"), full_page=True)
        found = page.evaluate("window.__csp || []")
        if found:
            violations[url] = found
        visited.append(url)

    # Every screen of the navigation, as an administrator sees it.
    page.goto("/")
    links = page.eval_on_selector_all(
        "nav.mainnav a[href]", "els => els.map(a => [a.dataset.nav || a.textContent.trim(), a.getAttribute('href')])")
    assert len(links) >= 10, links
    for key, href in [("home", "/"), *links]:
        if href not in visited:
            visit(f"nav-{key}", href)
    for name, url in deep.items():
        visit(name, url)
        if name == "order-export":
            # The export form's "select all" box, bound by oms/import_export.js instead of onchange=.
            page.uncheck("input.select-toggle")
            assert not page.is_checked(".selectable-field-export-row input[type=checkbox]:not(.select-toggle)")
    # The admin's own screens: its index, and the list of rules with its links.
    visit("admin-index", "/admin/")
    visit("rules", "/admin/workflow/automationrule/")

    # Widths computed on the server reach the page without a style="" attribute (data-percent).
    page.goto("/finance/invoices/print/")
    widths = page.eval_on_selector_all(
        ".progress > span",
        "els => els.map(e => Math.round(100 * e.offsetWidth / e.parentElement.clientWidth))")
    assert sorted(widths) == [40, 100], widths

    assert not violations, "\n".join(f"{url}: {v}" for url, found in violations.items() for v in found)
    assert not console, "\n".join(console)
    assert len(visited) >= 30, visited
