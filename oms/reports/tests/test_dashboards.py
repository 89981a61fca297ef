"""Dashboards, widgets, exports, home widgets and subscriptions, through the views and services."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse

from core.enums import Role
from oms.reports import services
from oms.reports.models import Dashboard, Subscription, Widget
from oms.reports.subscriptions import subscriptions_send_due
from oms.reports.widgets import home_widgets_context, home_widgets_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(world, manager):
    dashboard = services.dashboard_create(name="经营看板", actor=manager)
    services.widget_add(dashboard=dashboard, measure="revenue", dimension="channel", chart="bar",
                        period="this_month", actor=manager)
    return dashboard


def test_manager_builds_a_widget_through_the_page(world, client, manager):
    client.force_login(manager)
    response = client.post(reverse("reports:dashboard-create"), {"name": "我的看板"})
    dashboard = Dashboard.objects.get(name="我的看板")
    assert response.url == reverse("reports:dashboard", args=[dashboard.pk])
    client.post(reverse("reports:widget-add", args=[dashboard.pk]),
                {"measure": "revenue", "dimension": "channel", "chart": "bar", "period": "this_month"})
    widget = Widget.objects.get(dashboard=dashboard)
    page = client.get(reverse("reports:dashboard", args=[dashboard.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="widget-{widget.pk}"' in html and "echarts.min.js" in html
    # A pair the rollups cannot answer is refused with a message, not a 500.
    response = client.post(reverse("reports:widget-add", args=[dashboard.pk]),
                           {"measure": "orders", "dimension": "product", "chart": "bar", "period": "this_month"},
                           follow=True)
    assert response.status_code == 200 and Widget.objects.filter(dashboard=dashboard).count() == 1
    assert any("不能" in str(m) or "cannot" in str(m) for m in response.context["messages"])


@pytest.mark.parametrize("chart,dimension,columns", [("number", "", ""), ("line", "day", ""), ("pie", "channel", ""),
                                                     ("table", "province", ""), ("pivot", "day", "channel")])
def test_every_chart_type_renders_and_exports(board, manager, client, chart, dimension, columns):
    widget = services.widget_add(dashboard=board, measure="orders", dimension=dimension, columns=columns,
                                 chart=chart, period="this_year", actor=manager)
    client.force_login(manager)
    assert client.get(reverse("reports:dashboard", args=[board.pk])).status_code == 200
    xlsx = client.get(reverse("reports:widget-export", args=[widget.pk, "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row >= 2
    csv = client.get(reverse("reports:widget-export", args=[widget.pk, "csv"]))
    assert csv.content.startswith("\ufeff".encode())


def test_sharing_with_a_role_puts_the_widgets_on_that_roles_home(board, manager, make_user):
    clerk = make_user("clerk", Role.CUSTOMER_SERVICE)
    assert home_widgets_context(clerk)["home_widgets"] == []
    services.dashboard_share(dashboard=board, role=Role.CUSTOMER_SERVICE, on_home=True, actor=manager)
    context = home_widgets_context(clerk)
    assert [w["widget"].pk for w in context["home_widgets"]] == list(board.widgets.values_list("pk", flat=True))
    html = home_widgets_for(clerk)
    assert "echarts.min.js" in html
    assert 'id="today-panel"' not in html  # today's revenue is for those who read reports
    assert 'id="today-panel"' in home_widgets_for(manager)
    assert home_widgets_for(make_user("nobody")) == ""


def test_others_cannot_change_a_dashboard(board, make_user, client):
    other = make_user("other", Role.MANAGER)
    client.force_login(other)
    assert client.get(reverse("reports:dashboard", args=[board.pk])).status_code == 403
    from core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.widget_add(dashboard=board, measure="orders", dimension="day", chart="line", actor=other)


def test_report_pages_render(world, client, manager):
    client.force_login(manager)
    for name in ("home", "sales", "inventory", "customers", "fulfilment"):
        response = client.get(reverse(f"reports:{name}"), {"period": "custom", "start": "2026-11-01",
                                                            "end": "2026-12-31"})
        assert response.status_code == 200, name
    for name in ("sales", "inventory", "customers", "fulfilment"):
        response = client.get(reverse(f"reports:{name}"), {"period": "this_year", "export": "xlsx"})
        assert response["Content-Type"].startswith("application/vnd.openxml"), name
    bad = client.get(reverse("reports:sales"), {"period": "custom", "start": "2026-12-31", "end": "2026-12-01"})
    assert bad.status_code == 200


def test_reports_need_the_permission(world, client, make_user):
    client.force_login(make_user("clerk", Role.WAREHOUSE))
    assert client.get(reverse("reports:sales")).status_code == 403
    assert client.get(reverse("reports:home")).status_code == 200


def test_daily_and_weekly_subscriptions_send_xlsx_once(board, manager, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.subscription_create(dashboard=board, email="boss@example.com", frequency="daily", actor=manager)
    services.subscription_create(dashboard=board, email="weekly@example.com", frequency="weekly", actor=manager)
    tuesday, monday = date(2026, 12, 1), date(2026, 12, 7)
    assert len(subscriptions_send_due(today=tuesday)) == 1
    assert subscriptions_send_due(today=tuesday) == []
    assert len(subscriptions_send_due(today=monday)) == 2
    message = mail.outbox[0]
    assert message.to == ["boss@example.com"] and "经营看板" in message.subject
    name, content, kind = message.attachments[0]
    assert name.endswith(".xlsx") and openpyxl.load_workbook(io.BytesIO(content)).sheetnames
    assert Subscription.objects.get(email="weekly@example.com").last_sent_on == monday


def test_admin_lists_dashboards_subscriptions_and_runs(board, make_user, client):
    admin_user = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    for name in ("dashboard", "subscription", "rolluprun"):
        assert client.get(reverse(f"admin:reports_{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:reports_dashboard_change", args=[board.pk])).status_code == 200
