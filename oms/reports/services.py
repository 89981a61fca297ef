"""Writers of the reports' own tables: dashboards, widgets and subscriptions."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.enums import Role
from core.errors import PermissionDenied, ValidationFailed
from oms.reports.models import ChartType, Dashboard, Frequency, Subscription, Widget
from oms.reports.queries import PERIODS, Query, period_dates


def _own(dashboard: Dashboard, actor) -> None:
    if dashboard.owner_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied(_("Only the owner may change this dashboard."))


@transaction.atomic
def dashboard_create(*, name: str, actor) -> Dashboard:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(errors={"name": [_("A name is required.")]})
    return Dashboard.objects.create(name=name[:100], owner=actor)


@transaction.atomic
def dashboard_share(*, dashboard: Dashboard, role: str, on_home: bool, actor) -> Dashboard:
    _own(dashboard, actor)
    if role and role not in Role.values:
        raise ValidationFailed(errors={"role": [_("Unknown role.")]})
    dashboard.shared_with, dashboard.on_home = role, bool(role) and on_home
    dashboard.save(update_fields=["shared_with", "on_home"])
    return dashboard


@transaction.atomic
def dashboard_delete(*, dashboard: Dashboard, actor) -> None:
    _own(dashboard, actor)
    dashboard.delete()


def _clean_filters(filters: dict) -> dict:
    cleaned = {}
    for key, value in (filters or {}).items():
        if value in (None, ""):
            continue
        if key in ("channel", "warehouse", "product", "category"):
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ValidationFailed(errors={f"filters.{key}": [_("Not a valid choice.")]}) from None
        if key == "legacy":
            value = value in (True, "1", "true")
        cleaned[key] = value
    return cleaned


@transaction.atomic
def widget_add(*, dashboard: Dashboard, measure: str, dimension: str = "", chart: str = ChartType.BAR,
               period: str = "this_month", filters: dict | None = None, columns: str = "", title: str = "",
               actor) -> Widget:
    _own(dashboard, actor)
    errors = {}
    if chart not in ChartType.values:
        errors["chart"] = [_("Unknown chart type.")]
    if period not in PERIODS or period == "custom":
        errors["period"] = [_("Choose a period.")]
    if chart == ChartType.PIVOT and not (dimension and columns):
        errors["columns"] = [_("A pivot table needs a row and a column dimension.")]
    if chart != ChartType.PIVOT:
        columns = ""
    if chart == ChartType.NUMBER:
        dimension = ""
    elif not dimension:
        errors["dimension"] = [_("Choose a dimension for this chart.")]
    if errors:
        raise ValidationFailed(errors=errors)
    filters = _clean_filters(filters or {})
    start, end = period_dates(period)
    Query(measure=measure, dimension=dimension, columns=columns, start=start, end=end, filters=filters).check()
    position = dashboard.widgets.count()
    return Widget.objects.create(dashboard=dashboard, measure=measure, dimension=dimension, columns=columns,
                                 chart=chart, period=period, filters=filters, title=(title or "").strip()[:100],
                                 position=position)


@transaction.atomic
def widget_delete(*, widget: Widget, actor) -> None:
    _own(widget.dashboard, actor)
    widget.delete()


@transaction.atomic
def subscription_create(*, dashboard: Dashboard, email: str, frequency: str, actor) -> Subscription:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    errors = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    if frequency not in Frequency.values:
        errors["frequency"] = [_("Unknown frequency.")]
    if errors:
        raise ValidationFailed(errors=errors)
    return Subscription.objects.create(user=actor, dashboard=dashboard, email=email, frequency=frequency)
