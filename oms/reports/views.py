"""Report pages, dashboards, widget exports and the drill-through order list. Views parse, call, render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.models import Category, Product
from core.enums import Role
from core.errors import DomainError, ValidationFailed
from core.feedback import report_domain_error
from core.pii import user_can_view_pii
from inventory.models import Warehouse
from oms.reports import analysis, services
from oms.reports.exports import csv_bytes, dashboard_workbook, result_table, tables_export, xlsx_bytes
from oms.reports.models import ChartType, Dashboard, Frequency, Widget
from oms.reports.queries import DIMENSIONS, FILTERS, MEASURES, PERIODS, period_dates
from oms.reports.selectors import drill_orders
from oms.reports.widgets import can_see_dashboard, dashboards_for, render_widget, today_numbers
from orders.models import Channel

view_reports = permission_required("reports.view_reports", raise_exception=True)
view_dashboards = permission_required("reports.view_dashboard", raise_exception=True)


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ValidationFailed(errors={"date": [_("Enter a valid date.")]}) from None


def _show_errors(request, exc: DomainError) -> None:
    report_domain_error(request, exc)


def _choices() -> dict:
    return {"measures": [(m.code, m.label) for m in MEASURES.values()],
            "dimensions": [(k, v) for k, v in DIMENSIONS.items() if k],
            "periods": [(k, v) for k, v in PERIODS.items() if k != "custom"],
            "charts": ChartType.choices, "channels": Channel.objects.order_by("name"),
            "warehouses": Warehouse.objects.order_by("code"), "roles": Role.choices,
            "categories": sorted(Category.objects.select_related("parent__parent"), key=lambda c: c.path),
            "frequencies": Frequency.choices}


@login_required
@view_dashboards
def home(request):
    context = {"today_panel": today_numbers(), "dashboards": dashboards_for(request.user),
               "can_report": request.user.has_perm("reports.view_reports"),
               "can_add": request.user.has_perm("reports.add_dashboard")}
    return render(request, "reports/home.html", context)


@login_required
@view_dashboards
def dashboard_detail(request, pk: int):
    dashboard = get_object_or_404(Dashboard.objects.select_related("owner"), pk=pk)
    if not can_see_dashboard(request.user, dashboard):
        raise DjangoPermissionDenied
    widgets = []
    for widget in dashboard.widgets.all():
        try:
            widgets.append(render_widget(widget))
        except DomainError as exc:  # a widget whose measure/dimension pair is no longer valid
            widgets.append({"widget": widget, "title": widget.title or widget.measure, "error": str(exc)})
    owner = dashboard.owner_id == request.user.pk or request.user.is_superuser
    return render(request, "reports/dashboard.html", {"dashboard": dashboard, "widgets": widgets, "owner": owner,
                                                      **_choices()})


@login_required
@permission_required("reports.add_dashboard", raise_exception=True)
@require_POST
def dashboard_create(request):
    try:
        dashboard = services.dashboard_create(name=request.POST.get("name", ""), actor=request.user)
    except DomainError as exc:
        _show_errors(request, exc)
        return redirect("reports:home")
    return redirect("reports:dashboard", pk=dashboard.pk)


def _owned(request, pk: int) -> Dashboard:
    dashboard = get_object_or_404(Dashboard, pk=pk)
    if not can_see_dashboard(request.user, dashboard):
        raise DjangoPermissionDenied
    return dashboard


@login_required
@require_POST
def widget_add(request, pk: int):
    dashboard = _owned(request, pk)
    filters = {key: request.POST.get(f"f_{key}", "") for key in FILTERS}
    try:
        services.widget_add(dashboard=dashboard, measure=request.POST.get("measure", ""),
                            dimension=request.POST.get("dimension", ""), columns=request.POST.get("columns", ""),
                            chart=request.POST.get("chart", ""), period=request.POST.get("period", ""),
                            title=request.POST.get("title", ""), filters=filters, actor=request.user)
        messages.success(request, _("Widget added."))
    except DomainError as exc:
        _show_errors(request, exc)
    return redirect("reports:dashboard", pk=dashboard.pk)


@login_required
@require_POST
def widget_delete(request, pk: int):
    widget = get_object_or_404(Widget.objects.select_related("dashboard"), pk=pk)
    try:
        services.widget_delete(widget=widget, actor=request.user)
    except DomainError as exc:
        _show_errors(request, exc)
    return redirect("reports:dashboard", pk=widget.dashboard_id)


@login_required
@require_POST
def dashboard_share(request, pk: int):
    dashboard = _owned(request, pk)
    try:
        services.dashboard_share(dashboard=dashboard, role=request.POST.get("role", ""),
                                 on_home=bool(request.POST.get("on_home")), actor=request.user)
        messages.success(request, _("Sharing saved."))
    except DomainError as exc:
        _show_errors(request, exc)
    return redirect("reports:dashboard", pk=dashboard.pk)


@login_required
@require_POST
def dashboard_delete(request, pk: int):
    dashboard = _owned(request, pk)
    try:
        services.dashboard_delete(dashboard=dashboard, actor=request.user)
        messages.success(request, _("Dashboard deleted."))
    except DomainError as exc:
        _show_errors(request, exc)
        return redirect("reports:dashboard", pk=pk)
    return redirect("reports:home")


@login_required
@require_POST
def subscription_create(request, pk: int):
    dashboard = _owned(request, pk)
    try:
        services.subscription_create(dashboard=dashboard, email=request.POST.get("email", "").strip(),
                                     frequency=request.POST.get("frequency", ""), actor=request.user)
        messages.success(request, _("Subscription saved: the dashboard will be e-mailed as a spreadsheet."))
    except DomainError as exc:
        _show_errors(request, exc)
    return redirect("reports:dashboard", pk=dashboard.pk)


def _download(content: bytes, name: str, fmt: str) -> HttpResponse:
    kind = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "zip": "application/zip"}.get(fmt, "text/csv; charset=utf-8")
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
def widget_export(request, pk: int, fmt: str):
    widget = get_object_or_404(Widget.objects.select_related("dashboard"), pk=pk)
    if not can_see_dashboard(request.user, widget.dashboard) or fmt not in ("xlsx", "csv"):
        raise DjangoPermissionDenied
    context = render_widget(widget)
    header, rows = result_table(context["result"])
    content = xlsx_bytes([(context["title"], header, rows)]) if fmt == "xlsx" else csv_bytes(header, rows)
    return _download(content, f"widget-{widget.pk}", fmt)


@login_required
def dashboard_export(request, pk: int):
    dashboard = _owned(request, pk)
    return _download(dashboard_workbook(dashboard), f"dashboard-{dashboard.pk}", "xlsx")


# -- the drill-through ---------------------------------------------------------------------------------

@login_required
@view_dashboards
def orders(request):
    try:
        start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
        if not (start and end):
            start = end = None
            raise ValidationFailed(errors={"start": [_("Choose a period.")]})
        measure = request.GET.get("measure", "orders")
        if measure not in MEASURES:
            raise ValidationFailed(errors={"measure": [_("Unknown measure.")]})
        filters = {key: request.GET.get(f"f_{key}") for key in FILTERS if request.GET.get(f"f_{key}") not in (None, "")}
        qs = drill_orders(measure=measure, start=start, end=end, filters=filters)
    except DomainError as exc:
        _show_errors(request, exc)
        return render(request, "reports/orders.html", {"page": None})
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    described = []
    names = {"channel": {str(c.pk): c.name for c in Channel.objects.all()},
             "warehouse": {str(w.pk): w.name for w in Warehouse.objects.all()}}
    for key, value in filters.items():
        if key == "product":
            product = Product.objects.filter(pk=value).first() if value != "none" else None
            shown = f"{product.sku} {product.name}" if product else _("Shipping fee and allowances")
        elif key == "category":
            category = Category.objects.filter(pk=value).first() if str(value).isdigit() else None
            shown = category.path if category else _("No category (incl. shipping fee)")
        elif key == "legacy":
            shown = _("Legacy import") if value == "1" else _("Live orders")
        else:
            shown = names.get(key, {}).get(str(value), _("Not assigned") if value == "none" else value)
        described.append((DIMENSIONS.get(key, key), shown))
    return render(request, "reports/orders.html", {"page": page, "measure": MEASURES[measure], "start": start,
                                                   "end": end, "filters": described, "query": _without_page(request)})


def _without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# -- reports ----------------------------------------------------------------------------------------------

def _period_from(request) -> tuple[str, date, date]:
    period = request.GET.get("period") or "this_month"
    if period not in PERIODS:
        period = "this_month"
    start, end = period_dates(period, start=_date(request.GET.get("start")), end=_date(request.GET.get("end")))
    return period, start, end


@login_required
@view_reports
def sales(request):
    period, start, end = _period_or_this_month(request)
    grain = request.GET.get("grain") if request.GET.get("grain") in ("day", "week", "month") else "day"
    dimension = request.GET.get("by") if request.GET.get("by") in ("channel", "province", "warehouse", "product",
                                                                   "category") else "channel"
    filters = {}
    if request.GET.get("f_channel", "").isdigit():
        filters["channel"] = int(request.GET["f_channel"])
    report = analysis.sales_report(start=start, end=end, grain=grain, dimension=dimension, filters=filters)
    fmt = request.GET.get("export")
    if fmt in ("xlsx", "csv"):
        header, rows = report.table_for_export()
        content = xlsx_bytes([(_("Sales"), header, rows)]) if fmt == "xlsx" else csv_bytes(header, rows)
        return _download(content, f"sales-{start}-{end}", fmt)
    return render(request, "reports/sales.html", {"report": report, "period": period, "start": start, "end": end,
                                                  "dimension_label": DIMENSIONS[dimension],
                                                  "grain": grain, "by": dimension, "filters": filters,
                                                  **_choices()})


def _period_or_this_month(request) -> tuple[str, date, date]:
    """The period the request asks for; on a bad one, its errors shown and this month instead."""
    try:
        return _period_from(request)
    except DomainError as exc:
        _show_errors(request, exc)
        return "this_month", *period_dates("this_month")


def _export(request, report, filename: str):
    """Every table of the report as the file `?export=xlsx|csv` asks for (xlsx: a sheet per table; csv: a
    zip of one CSV per table), or None to render the page."""
    fmt = request.GET.get("export")
    if fmt not in ("xlsx", "csv"):
        return None
    content, extension = tables_export(report.tables_for_export(), fmt)
    return _download(content, filename, extension)


@login_required
@view_reports
def inventory(request):
    period, start, end = _period_or_this_month(request)
    report = analysis.inventory_report(start=start, end=end)
    exported = _export(request, report, f"inventory-{start}-{end}")
    if exported:
        return exported
    return render(request, "reports/inventory.html", {"report": report, "period": period, "start": start, "end": end,
                                                      **_choices()})


@login_required
@view_reports
def customers(request):
    report = analysis.customer_report(everyone=request.GET.get("export") in ("xlsx", "csv"),
                                      pii=user_can_view_pii(request.user))
    exported = _export(request, report, "customers")
    if exported:
        return exported
    return render(request, "reports/customers.html", {"report": report})


@login_required
@view_reports
def fulfilment(request):
    period, start, end = _period_or_this_month(request)
    report = analysis.fulfilment_report(start=start, end=end)
    exported = _export(request, report, f"fulfilment-{start}-{end}")
    if exported:
        return exported
    return render(request, "reports/fulfilment.html", {"report": report, "period": period, "start": start,
                                                       "end": end, **_choices()})
