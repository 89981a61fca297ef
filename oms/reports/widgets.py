"""Widgets rendered for a page: the built-in "today" panel and users' saved widgets.

Other apps place report widgets with one call (the role home pages of `oms.backoffice` do):

    from oms.reports.widgets import home_widgets_for
    html = home_widgets_for(request.user, request=request)   # safe HTML, "" when there is nothing to show

It renders the "today" numbers for users who may see dashboards, then every widget of the
dashboards shared with one of the user's roles and marked "show on home page". The page that
includes it must load the chart script: `{% include "reports/_chart_scripts.html" %}` (the
returned HTML includes it once by itself when `include_scripts=True`, the default).
`home_widgets_context(user)` returns the same as template context instead of HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.enums import Role
from core.roles import user_has_role
from finance.models import RecognisedLine
from logistics.models import Shipment
from oms.reports.models import ChartType, Dashboard, Widget
from oms.reports.queries import (
    DIMENSIONS,
    MEASURES,
    PERIODS,
    TIME_DIMENSIONS,
    Query,
    Result,
    drill_url,
    period_dates,
    run,
)
from oms.reports.rollups import day_start
from oms.reports.selectors import open_returns_count
from orders.models import Order, OrderStatus


def widget_query(widget: Widget, *, today=None) -> Query:
    start, end = period_dates(widget.period, today=today)
    return Query(measure=widget.measure, dimension=widget.dimension, columns=widget.columns, start=start, end=end,
                 filters=dict(widget.filters or {}))


def _number(value) -> float | int:
    return float(value) if isinstance(value, Decimal) else value


def chart_options(result: Result, chart: str) -> dict:
    """ECharts options plus the drill URL of every data point (`drills[series][index]`)."""
    measure = result.measure
    if chart == ChartType.PIE:
        return {"options": {"tooltip": {"trigger": "item"}, "legend": {"type": "scroll", "bottom": 0},
                            "series": [{"type": "pie", "radius": ["35%", "65%"],
                                        "data": [{"name": r.label, "value": _number(r.value)} for r in result.rows]}]},
                "drills": [[r.drill for r in result.rows]]}
    labels, series_keys = [], []
    for r in result.rows:
        if r.label not in labels:
            labels.append(r.label)
        if r.column not in series_keys:
            series_keys.append(r.column)
    series, drills = [], []
    for column in series_keys:
        points = {r.label: r for r in result.rows if r.column == column}
        name = result.column_labels.get(column, str(measure.label)) if result.query.columns else str(measure.label)
        series.append({"name": name, "type": "line" if chart == ChartType.LINE else "bar", "smooth": True,
                       "data": [_number(points[label].value) if label in points else 0 for label in labels]})
        drills.append([points[label].drill if label in points else "" for label in labels])
    axis_label = {"hideOverlap": True}
    if result.query.dimension not in TIME_DIMENSIONS and max((len(str(label)) for label in labels), default=0) > 4:
        # Category paths and product names are long: slant them rather than let ECharts hide every other one.
        axis_label = {"interval": 0, "rotate": 30}
    return {"options": {"tooltip": {"trigger": "axis"}, "legend": {"show": len(series) > 1, "type": "scroll"},
                        "grid": {"left": 60, "right": 20, "top": 30, "bottom": 40, "containLabel": True},
                        "xAxis": {"type": "category", "data": labels, "axisLabel": axis_label},
                        "yAxis": {"type": "value"}, "series": series},
            "drills": drills}


@dataclass
class PivotTable:
    columns: list[tuple[object, str]]
    rows: list[dict]  # {"label", "cells": [(value, drill)], "total"}


def pivot(result: Result) -> PivotTable:
    columns = list(result.column_labels.items())
    rows, index = [], {}
    for r in result.rows:
        if r.key not in index:
            index[r.key] = {"label": r.label, "cells": {}, "total": 0}
            rows.append(index[r.key])
        index[r.key]["cells"][r.column] = (r.value, r.drill)
        index[r.key]["total"] += r.value
    for row in rows:
        row["cells"] = [row["cells"].get(key, (0, "")) for key, _label in columns]
    return PivotTable(columns=columns, rows=rows)


def render_widget(widget: Widget, *, today=None) -> dict:
    """Template context of one widget (`reports/_widget.html`)."""
    query = widget_query(widget, today=today)
    result = run(query)
    context = {"widget": widget, "json_id": f"widget-data-{widget.pk}", "title": widget.title or default_title(widget),
               "chart": widget.chart,
               "result": result, "measure": result.measure, "period_label": PERIODS.get(widget.period, ""),
               "start": query.start, "end": query.end,
               "export_xlsx": reverse("reports:widget-export", args=[widget.pk, "xlsx"]),
               "export_csv": reverse("reports:widget-export", args=[widget.pk, "csv"])}
    if widget.chart in (ChartType.BAR, ChartType.LINE, ChartType.PIE):
        context["echarts"] = chart_options(result, widget.chart)
    elif widget.chart == ChartType.PIVOT:
        context["pivot"] = pivot(result)
    return context


def default_title(widget: Widget) -> str:
    measure = MEASURES.get(widget.measure)
    parts = [str(measure.label) if measure else widget.measure]
    if widget.dimension:
        parts.append(_("by %(dimension)s") % {"dimension": DIMENSIONS.get(widget.dimension, widget.dimension)})
    parts.append(f"· {PERIODS.get(widget.period, widget.period)}")
    return " ".join(parts)


def today_numbers(*, now=None) -> dict:
    """The live "today" panel: cheap counts on indexed columns, not the rollups (today changes by the minute)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start, end = day_start(today), day_start(today + timedelta(days=1))
    orders_today = Order.objects.filter(ordered_at__gte=start, ordered_at__lt=end)
    by_status = dict(Order.objects.filter(status__in=[OrderStatus.ON_HOLD, OrderStatus.AWAITING_SHIPMENT,
                                                      OrderStatus.PARTIALLY_SHIPPED])
                     .values_list("status").annotate(n=Count("id")).order_by())
    revenue = RecognisedLine.objects.filter(entry__posted_at__gte=start, entry__posted_at__lt=end).aggregate(
        s=Sum("net"))["s"] or Decimal("0.00")
    base = Query(measure="orders", start=today, end=today)
    channels = list(orders_today.values("channel_id", "channel__name").annotate(n=Count("id"), value=Sum("total"))
                    .order_by("-n", "channel__name"))
    for row in channels:
        row["drill"] = drill_url(Query(measure="orders", dimension="channel", start=today, end=today),
                                 row["channel_id"])
    orders_list = reverse("admin:orders_order_changelist")
    return {
        "today": today,
        "cards": [
            {"key": "orders_in", "money": False, "label": _("Orders in today"), "value": orders_today.count(),
             "url": drill_url(base)},
            {"key": "on_hold", "money": False, "label": _("On hold"), "value": by_status.get(OrderStatus.ON_HOLD, 0),
             "url": f"{orders_list}?status__exact={OrderStatus.ON_HOLD}"},
            {"key": "awaiting_shipment", "money": False, "label": _("Awaiting shipment"),
             "value": by_status.get(OrderStatus.AWAITING_SHIPMENT, 0) + by_status.get(OrderStatus.PARTIALLY_SHIPPED, 0),
             "url": f"{orders_list}?status__exact={OrderStatus.AWAITING_SHIPMENT}"},
            {"key": "shipped", "money": False, "label": _("Shipped today"),
             "value": Shipment.objects.filter(shipped_at__gte=start, shipped_at__lt=end)
             .values("order").distinct().count(),
             "url": ""},
            {"key": "returns_open", "money": False, "label": _("Returns open"), "value": open_returns_count(),
             "url": ""},
            {"key": "revenue", "label": _("Revenue today (excl. VAT)"), "value": revenue, "money": True,
             "url": drill_url(Query(measure="revenue", start=today, end=today))},
        ],
        "channels": channels,
    }


def user_roles(user) -> list[str]:
    if not user or not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(Role.values)
    return list(user.groups.filter(name__in=Role.values).values_list("name", flat=True))


def dashboards_for(user):
    """Dashboards the user may open: their own and those shared with one of their roles."""
    return (Dashboard.objects.filter(Q(owner=user) | Q(shared_with__in=user_roles(user)))
            .select_related("owner").distinct().order_by("name", "id"))


def can_see_dashboard(user, dashboard: Dashboard) -> bool:
    return dashboard.owner_id == user.pk or user.is_superuser or (
        bool(dashboard.shared_with) and user_has_role(user, dashboard.shared_with))


def home_widgets_context(user, *, today=None) -> dict:
    if not (user and user.is_authenticated and user.has_perm("reports.view_dashboard")):
        return {"today_panel": None, "home_widgets": []}
    roles = user_roles(user)
    widgets = (Widget.objects.filter(dashboard__on_home=True, dashboard__shared_with__in=roles)
               .select_related("dashboard").order_by("dashboard__name", "position", "id"))
    # Today's revenue and counts are for those who read reports (managers, finance director,
    # administrators); every other role sees the dashboards shared with it.
    today_panel = today_numbers() if user.has_perm("reports.view_reports") else None
    return {"today_panel": today_panel, "home_widgets": [render_widget(w, today=today) for w in widgets]}


def home_widgets_for(user, *, request=None, include_scripts: bool = True) -> str:
    """Rendered HTML of the user's home widgets ("" for a user who may not see dashboards)."""
    context = home_widgets_context(user)
    if context["today_panel"] is None and not context["home_widgets"]:
        return ""
    context["include_scripts"] = include_scripts
    return render_to_string("reports/_home_widgets.html", context, request=request)
