"""The report engine: one measure, grouped by one (or two) dimensions, over a period, read from the rollups.

`run(Query(...))` returns a `Result` whose rows carry a key (for the drill-through), a label and the
value. Every report page, widget, export and subscription goes through here, so a figure on a
dashboard, in a spreadsheet and in an e-mail is the same figure.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import Category, Product
from catalog.selectors import category_subtree_ids
from core.errors import ValidationFailed
from inventory.models import Warehouse
from oms.reports.models import (
    OrderChannelDaily,
    OrderDaily,
    ProductSalesDaily,
    RefundDaily,
    SalesChannelDaily,
    SalesDaily,
)
from orders.models import Channel

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Measure:
    code: str
    label: object
    field: str  # the rollup column summed
    source: str  # "orders", "sales" or "refunds"
    money: bool = False


MEASURES = {m.code: m for m in [
    Measure("orders", pgettext_lazy("measure", "Orders"), "orders", "orders"),
    Measure("order_value", _("Order value"), "order_value", "orders", money=True),
    Measure("cancelled", _("Cancelled orders"), "cancelled", "orders"),
    Measure("units", _("Units sold"), "units", "sales"),
    Measure("revenue", _("Revenue (excl. VAT, net of returns)"), "revenue", "sales", money=True),
    Measure("revenue_gross", _("Revenue (incl. VAT)"), "revenue_gross", "sales", money=True),
    Measure("returns", _("Returns and allowances"), "returns", "sales", money=True),
    Measure("refunds", _("Refunds paid"), "amount", "refunds", money=True),
    Measure("aov", _("Average order value"), "", "derived", money=True),
]}

DIMENSIONS = {
    "": _("Total"),
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "channel": _("Channel"),
    "province": _("Province"),
    "warehouse": _("Warehouse"),
    "product": _("Product"),
    "category": _("Category"),
    "legacy": _("Legacy import"),
}
TIME_DIMENSIONS = ("day", "week", "month")
# Which dimensions each source's rollups carry.
SUPPORTED = {
    "orders": {"", "day", "week", "month", "channel", "province", "warehouse", "legacy"},
    "sales": {"", "day", "week", "month", "channel", "province", "warehouse", "product", "category", "legacy"},
    "refunds": {"", "day", "week", "month", "channel", "province"},
}
FILTERS = ("channel", "province", "warehouse", "product", "category", "legacy")
# Sales by product or category read the product rollup; a category is the product's category at the
# time of the query (joined in, not stored in the rollup), so re-filing a product re-files its history.

PERIODS = {
    "today": _("Today"),
    "yesterday": _("Yesterday"),
    "this_week": _("This week"),
    "this_month": _("This month"),
    "last_month": _("Last month"),
    "last_30_days": _("Last 30 days"),
    "this_year": _("This year"),
    "custom": _("Custom"),
}


def period_dates(period: str, *, today: date | None = None, start: date | None = None,
                 end: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    if period == "today":
        return today, today
    if period == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if period == "this_week":
        return today - timedelta(days=today.weekday()), today
    if period == "this_month":
        return today.replace(day=1), today
    if period == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if period == "last_30_days":
        return today - timedelta(days=29), today
    if period == "this_year":
        return today.replace(month=1, day=1), today
    if period == "custom" and start and end:
        if end < start:
            raise ValidationFailed(errors={"end": [_("The end date is before the start date.")]})
        return start, end
    raise ValidationFailed(errors={"period": [_("Choose a period.")]})


def shift_year(day: date, years: int = -1) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Query:
    measure: str
    dimension: str = ""
    start: date = field(default_factory=timezone.localdate)
    end: date = field(default_factory=timezone.localdate)
    filters: dict = field(default_factory=dict)
    columns: str = ""  # a second dimension: a pivot table

    def check(self) -> None:
        errors = {}
        measure = MEASURES.get(self.measure)
        if measure is None:
            errors["measure"] = [_("Unknown measure.")]
        source = "orders" if measure and measure.source == "derived" else (measure.source if measure else "")
        for name in ("dimension", "columns"):
            value = getattr(self, name)
            if value not in DIMENSIONS:
                errors[name] = [_("Unknown dimension.")]
            elif measure and value not in SUPPORTED[source]:
                errors[name] = [_("%(measure)s cannot be broken down by %(dimension)s.")
                                % {"measure": measure.label, "dimension": DIMENSIONS[value]}]
        for key in self.filters:
            if key not in FILTERS:
                errors[f"filters.{key}"] = [_("Unknown filter.")]
        if measure and measure.source in ("orders", "derived", "refunds") and self.filters.get("product"):
            errors["filters.product"] = [_("%(measure)s cannot be filtered by product.") % {"measure": measure.label}]
        if measure and measure.source in ("orders", "derived", "refunds") and self.filters.get("category"):
            errors["filters.category"] = [_("%(measure)s cannot be filtered by category.")
                                          % {"measure": measure.label}]
        if errors:
            raise ValidationFailed(errors=errors)

    def previous(self) -> Query:
        days = (self.end - self.start).days + 1
        return replace(self, start=self.start - timedelta(days=days), end=self.start - timedelta(days=1))

    def last_year(self) -> Query:
        return replace(self, start=shift_year(self.start), end=shift_year(self.end))


@dataclass
class Row:
    key: object
    label: str
    value: Decimal | int
    column: object = None
    drill: str = ""


@dataclass
class Result:
    query: Query
    rows: list[Row]
    total: Decimal | int
    column_labels: dict = field(default_factory=dict)

    @property
    def measure(self) -> Measure:
        return MEASURES[self.query.measure]


def _model(source: str, dimension_set: set[str], filters: dict):
    """The smallest rollup that carries every dimension and filter the query uses."""
    used = dimension_set | {k for k, v in filters.items() if v not in (None, "")}
    fine = bool(used & {"province", "warehouse"})
    if source == "orders":
        return OrderDaily if fine else OrderChannelDaily
    if source == "refunds":
        return RefundDaily
    if used & {"product", "category"}:
        return ProductSalesDaily
    return SalesDaily if fine else SalesChannelDaily


def _group_expr(dimension: str):
    return {
        "day": ("day", None), "week": ("bucket", TruncWeek("day")), "month": ("bucket", TruncMonth("day")),
        "channel": ("channel_id", None), "province": ("province", None), "warehouse": ("warehouse_id", None),
        "product": ("product_id", None), "category": ("product__category_id", None), "legacy": ("legacy", None),
    }[dimension]


def _aggregate(source: str, field_name: str, q: Query) -> dict[tuple, Decimal | int]:
    dims = [d for d in (q.dimension, q.columns) if d]
    model = _model(source, set(dims), q.filters)
    qs = model.objects.filter(day__gte=q.start, day__lte=q.end)
    for key, value in q.filters.items():
        if value in (None, ""):
            continue
        if key == "category":
            # The category and everything filed under it; "none": uncategorised products and the shipping fee.
            qs = (qs.filter(product__category__isnull=True) if value == "none"
                  else qs.filter(product__category_id__in=category_subtree_ids(value)))
            continue
        column = {"channel": "channel_id", "warehouse": "warehouse_id", "product": "product_id"}.get(key, key)
        qs = qs.filter(**{column: value})
    names = []
    for index, dim in enumerate(dims):
        column, expr = _group_expr(dim)
        if expr is not None:
            alias = f"g{index}"
            qs = qs.annotate(**{alias: expr})
            names.append(alias)
        else:
            names.append(column)
    rows = qs.values(*names).annotate(v=Sum(field_name)).order_by() if names else [qs.aggregate(v=Sum(field_name))]
    result = {}
    for r in rows:
        key = tuple(_plain(r[n]) for n in names)
        result[key] = r["v"] or 0
    return result


def _plain(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _values(q: Query) -> dict[tuple, Decimal | int]:
    measure = MEASURES[q.measure]
    if measure.source != "derived":
        return _aggregate(measure.source, measure.field, q)
    value = _aggregate("orders", "order_value", q)
    orders = _aggregate("orders", "orders", q)
    return {k: (value[k] / orders[k]).quantize(Decimal("0.01")) if orders.get(k) else ZERO for k in value}


def _buckets(dimension: str, start: date, end: date) -> list[date]:
    if dimension == "day":
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if dimension == "week":
        first = start - timedelta(days=start.weekday())
        return [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    result, cursor = [], start.replace(day=1)
    while cursor <= end:
        result.append(cursor)
        cursor = cursor.replace(day=calendar.monthrange(cursor.year, cursor.month)[1]) + timedelta(days=1)
    return result


def labels(dimension: str, keys) -> dict:
    keys = [k for k in keys if k is not None]
    if dimension == "channel":
        return {c.pk: c.name for c in Channel.objects.filter(pk__in=keys)}
    if dimension == "warehouse":
        return {w.pk: w.name for w in Warehouse.objects.filter(pk__in=keys)}
    if dimension == "product":
        return {p.pk: f"{p.sku} {p.name}" for p in Product.objects.filter(pk__in=keys)}
    if dimension == "category":
        return {c.pk: c.path for c in Category.objects.filter(pk__in=keys).select_related("parent__parent")}
    if dimension == "legacy":
        return {True: str(_("Legacy import")), False: str(_("Live orders"))}
    if dimension == "week":
        return {k: str(_("Week of %(day)s") % {"day": k.isoformat()}) for k in keys}
    if dimension == "month":
        return {k: k.strftime("%Y-%m") for k in keys}
    if dimension == "day":
        return {k: k.isoformat() for k in keys}
    return {k: k for k in keys}


def _none_label(dimension: str) -> str:
    if dimension == "product":
        return str(_("Shipping fee and allowances"))
    if dimension == "category":
        return str(_("No category (incl. shipping fee)"))
    if dimension in ("warehouse", "channel", "province"):
        return str(_("Not assigned"))
    return str(_("Total"))


def _bucket_range(dimension: str, key: date, q: Query) -> tuple[date, date]:
    if dimension == "day":
        return key, key
    if dimension == "week":
        return max(key, q.start), min(key + timedelta(days=6), q.end)
    return max(key, q.start), min(key.replace(day=calendar.monthrange(key.year, key.month)[1]), q.end)


def drill_url(q: Query, key=None, column=None) -> str:
    """The report's order list for one cell: the query's period and filters narrowed by the cell's keys."""
    params = {"measure": q.measure, "start": q.start.isoformat(), "end": q.end.isoformat()}
    params.update({f"f_{k}": ("1" if v is True else "0" if v is False else v)
                   for k, v in q.filters.items() if v not in (None, "")})
    for dim, value in ((q.dimension, key), (q.columns, column)):
        if not dim:
            continue
        if dim in TIME_DIMENSIONS:
            first, last = _bucket_range(dim, value, q)
            params["start"], params["end"] = first.isoformat(), last.isoformat()
        elif value is None:
            params[f"f_{dim}"] = "none"
        else:
            params[f"f_{dim}"] = "1" if value is True else "0" if value is False else value
    return f"{reverse('reports:orders')}?{urlencode(params)}"


def run(q: Query) -> Result:
    q.check()
    values = _values(q)
    total_query = replace(q, dimension="", columns="")
    total = _values(total_query).get((), 0) if (q.dimension or q.columns) else values.get((), 0)
    if not q.dimension:
        return Result(query=q, rows=[Row(key=None, label=str(_("Total")), value=total, drill=drill_url(q))],
                      total=total)
    if q.dimension in TIME_DIMENSIONS:
        row_keys = _buckets(q.dimension, q.start, q.end)
    else:
        row_keys = sorted({k[0] for k in values}, key=lambda k: (-_row_total(values, k), str(k)))
    row_labels = labels(q.dimension, row_keys)
    col_keys, col_labels = [None], {}
    if q.columns:
        col_keys = (_buckets(q.columns, q.start, q.end) if q.columns in TIME_DIMENSIONS
                    else sorted({k[1] for k in values}, key=lambda k: str(k)))
        found = labels(q.columns, col_keys)
        col_labels = {k: found.get(k, _none_label(q.columns)) for k in col_keys}
    rows = []
    for key in row_keys:
        label = row_labels.get(key, _none_label(q.dimension))
        for column in col_keys:
            value = values.get((key, column) if q.columns else (key,), 0)
            rows.append(Row(key=key, label=str(label), value=value, column=column,
                            drill=drill_url(q, key, column)))
    return Result(query=q, rows=rows, total=total, column_labels=col_labels)


def _row_total(values: dict, key) -> Decimal:
    return sum((v for k, v in values.items() if k[0] == key), 0)


@dataclass
class Comparison:
    current: Decimal | int
    previous: Decimal | int
    last_year: Decimal | int

    @staticmethod
    def change(now, then) -> Decimal | None:
        if not then:
            return None
        return ((Decimal(now) - Decimal(then)) / abs(Decimal(then)) * 100).quantize(Decimal("0.1"))

    @property
    def vs_previous(self):
        return self.change(self.current, self.previous)

    @property
    def vs_last_year(self):
        return self.change(self.current, self.last_year)


def compare(q: Query) -> Comparison:
    """The query's total against the period before it (same length) and the same period a year earlier."""
    base = replace(q, dimension="", columns="")
    base.check()
    return Comparison(current=_values(base).get((), 0), previous=_values(base.previous()).get((), 0),
                      last_year=_values(base.last_year()).get((), 0))
