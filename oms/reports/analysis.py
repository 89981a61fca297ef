"""The four reports: sales, inventory, customers, fulfilment. Each returns a plain object the page,
the export and the tests read; sales and inventory read the rollups, customers and fulfilment read
the stages' own tables through indexed aggregates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, CharField, Count, F, Max, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from aftersales.models import ReturnLine
from catalog.models import Product
from core.pii import mask_phone
from inventory.models import Lot, Stock, Warehouse
from logistics.models import Shipment, ShipmentStatus
from oms.reports.models import CustomerMonth, CustomerSummary, StateDaily, StockDaily
from oms.reports.queries import DIMENSIONS, MEASURES, SUPPORTED, Query, compare, drill_url, run
from oms.reports.rollups import day_start
from oms.reports.widgets import chart_options
from orders.models import OPEN_STATUSES, Customer, OrderLine, OrderStatus

ZERO = Decimal("0.00")


# -- sales ------------------------------------------------------------------------------------------------

SUMMARY = ("orders", "units", "revenue", "returns", "refunds", "aov")
TABLE_MEASURES = ("orders", "order_value", "aov", "units", "revenue", "returns", "refunds")


@dataclass
class SalesReport:
    start: date
    end: date
    dimension: str
    summary: list[dict]
    trend: dict
    columns: list[tuple[str, object]]
    rows: list[dict]
    totals: dict

    def table_for_export(self):
        header = [str(DIMENSIONS[self.dimension])] + [str(label) for _code, label in self.columns]
        rows = [[r["label"]] + [r["values"].get(code, "") for code, _label in self.columns] for r in self.rows]
        return header, rows


def sales_report(*, start: date, end: date, grain: str = "day", dimension: str = "channel",
                 filters: dict | None = None) -> SalesReport:
    filters = filters or {}
    summary = []
    for code in SUMMARY:
        c = compare(Query(measure=code, start=start, end=end, filters=filters))
        summary.append({"code": code, "label": MEASURES[code].label, "money": MEASURES[code].money,
                        "value": c.current, "previous": c.previous, "last_year": c.last_year,
                        "vs_previous": c.vs_previous, "vs_last_year": c.vs_last_year,
                        "drill": drill_url(Query(measure=code, start=start, end=end, filters=filters))})
    trend = chart_options(run(Query(measure="revenue", dimension=grain, start=start, end=end, filters=filters)), "bar")
    orders_trend = run(Query(measure="orders", dimension=grain, start=start, end=end, filters=filters))
    trend["options"]["series"].append({"name": str(MEASURES["orders"].label), "type": "line", "yAxisIndex": 1,
                                       "data": [r.value for r in orders_trend.rows]})
    trend["options"]["yAxis"] = [{"type": "value"}, {"type": "value", "splitLine": {"show": False}}]
    trend["options"]["legend"]["show"] = True
    trend["drills"].append([r.drill for r in orders_trend.rows])
    columns = []
    by_key: dict = {}
    totals = {}
    for code in TABLE_MEASURES:
        measure = MEASURES[code]
        source = "orders" if measure.source == "derived" else measure.source
        if dimension not in SUPPORTED[source]:
            continue
        columns.append((code, measure.label))
        result = run(Query(measure=code, dimension=dimension, start=start, end=end, filters=filters))
        totals[code] = result.total
        for r in result.rows:
            row = by_key.setdefault(r.key, {"key": r.key, "label": r.label, "values": {}, "drills": {}})
            row["values"][code] = r.value
            row["drills"][code] = r.drill
    rows = sorted(by_key.values(), key=lambda r: -(r["values"].get("revenue") or 0))
    for row in rows:
        row["cells"] = [(code, row["values"].get(code, 0), row["drills"].get(code, ""), MEASURES[code].money)
                        for code, _label in columns]
    return SalesReport(start=start, end=end, dimension=dimension, summary=summary, trend=trend, columns=columns,
                       rows=rows, totals=totals)


# -- inventory --------------------------------------------------------------------------------------------

@dataclass
class InventoryReport:
    start: date
    end: date
    rows: list[dict]
    slow_movers: list[dict]
    stock_outs: list[Stock]
    backorders: list[dict]
    expiring: list[Lot]

    def tables_for_export(self) -> list[tuple[str, list[str], list[list]]]:
        """Every table of the page, as (title, header, rows)."""
        turnover = [[r["warehouse"], r["sku"], r["name"], r["issued"], r["received"], r["average"], r["closing"],
                     r["cogs"], r["average_value"], r["closing_value"], r["turnover"], r["days"],
                     r["turnover_units"], r["days_units"]] for r in self.rows]
        return [
            (_("Turnover and days of inventory"),
             [_("Warehouse"), _("SKU"), _("Product"), _("Units issued"), _("Units received"), _("Average stock"),
              _("Closing stock"), _("Cost of goods issued"), _("Average stock at cost"), _("Closing stock at cost"),
              _("Turnover"), _("Days of inventory"), _("Turnover (units)"), _("Days of inventory (units)")],
             turnover),
            (_("Slow movers"), [_("Warehouse"), _("SKU"), _("Units issued"), _("Closing stock"),
                                _("Days of inventory (units)")],
             [[r["warehouse"], r["sku"], r["issued"], r["closing"], r["days_units"]] for r in self.slow_movers]),
            (_("Stock-outs"), [_("Warehouse"), _("SKU"), _("On hand"), _("Reserved")],
             [[s.warehouse.name, s.product.sku, s.on_hand, s.reserved] for s in self.stock_outs]),
            (_("Backorder ageing"), [_("Waiting"), pgettext("measure", "Orders"), _("Units short")],
             [[str(b["label"]), b["orders"], b["units"]] for b in self.backorders]),
            (_("Lots expiring within 30 days"), [_("Warehouse"), _("SKU"), _("Batch number"), _("Expiry date"),
                                                  _("Quantity")],
             [[lot.stock.warehouse.name, lot.stock.product.sku, lot.batch_number, lot.expiry_date.isoformat(),
               lot.quantity] for lot in self.expiring]),
        ]


def average_stock(rows: list[tuple[date, int | Decimal]], opening: int | Decimal, start: date, end: date) -> Decimal:
    """Mean of the end-of-day level (units or value) over every day of the period (a level holds until the
    next movement)."""
    level, total, cursor = opening, 0, start
    for day, closing in rows:
        total += level * (day - cursor).days
        level, cursor = closing, day
    total += level * ((end - cursor).days + 1)
    return (Decimal(total) / ((end - start).days + 1)).quantize(Decimal("0.01"))


def _turnover(issued: Decimal, average: Decimal) -> Decimal | None:
    return (issued / average).quantize(Decimal("0.01")) if average else None


def _days_of_inventory(average: Decimal, issued: Decimal, days: int) -> Decimal | None:
    return (average * days / issued).quantize(Decimal("0.1")) if issued else None


def inventory_report(*, start: date, end: date, slow_days: int = 30, expiring_days: int = 30) -> InventoryReport:
    days = (end - start).days + 1
    within = StockDaily.objects.filter(day__gte=start, day__lte=end).order_by("warehouse_id", "product_id", "day")
    series: dict[tuple, list] = defaultdict(list)
    values: dict[tuple, list] = defaultdict(list)
    moved: dict[tuple, list] = defaultdict(lambda: [0, 0, ZERO])
    for row in within.values_list("warehouse_id", "product_id", "day", "closing", "issued", "received",
                                  "closing_value", "issued_value"):
        key = row[:2]
        series[key].append((row[2], row[3]))
        values[key].append((row[2], row[6]))
        moved[key][0] += row[4]
        moved[key][1] += row[5]
        moved[key][2] += row[7]
    openings, opening_values = {}, {}
    before = (StockDaily.objects.filter(day__lt=start).values("warehouse_id", "product_id")
              .annotate(last=Max("day")).order_by())
    last_days = {(r["warehouse_id"], r["product_id"]): r["last"] for r in before}
    if last_days:
        for r in StockDaily.objects.filter(day__lt=start, day__in=set(last_days.values())).values_list(
                "warehouse_id", "product_id", "day", "closing", "closing_value"):
            if last_days.get(r[:2]) == r[2]:
                openings[r[:2]] = r[3]
                opening_values[r[:2]] = r[4]
    keys = set(series) | {k for k, v in openings.items() if v}
    warehouses = {w.pk: w.name for w in Warehouse.objects.all()}
    products = {p.pk: p for p in Product.objects.filter(pk__in={k[1] for k in keys})}
    rows = []
    for key in keys:
        opening, opening_value = openings.get(key, 0), opening_values.get(key, ZERO)
        avg = average_stock(series.get(key, []), opening, start, end)
        avg_value = average_stock(values.get(key, []), opening_value, start, end)
        issued, received, cogs = moved[key] if key in moved else (0, 0, ZERO)
        closing = series[key][-1][1] if series.get(key) else opening
        closing_value = values[key][-1][1] if values.get(key) else opening_value
        product = products.get(key[1])
        rows.append({"warehouse": warehouses.get(key[0], ""), "sku": product.sku if product else "",
                     "name": product.name if product else "", "issued": issued, "received": received, "average": avg,
                     "closing": closing,
                     # in cost: cost of goods issued over the average stock value (the measure)
                     "cogs": cogs, "average_value": avg_value, "closing_value": closing_value,
                     "turnover": _turnover(cogs, avg_value), "days": _days_of_inventory(avg_value, cogs, days),
                     # the same in units, for goods nobody has costed yet
                     "turnover_units": _turnover(Decimal(issued), avg),
                     "days_units": _days_of_inventory(avg, Decimal(issued), days)})
    rows.sort(key=lambda r: (r["warehouse"], r["sku"]))
    slow = [r for r in rows if r["closing"] > 0 and (r["days_units"] is None or r["days_units"] > slow_days)]
    slow.sort(key=lambda r: (r["issued"], -r["closing"]))
    stock_outs = list(Stock.objects.filter(warehouse__active=True, product__active=True)
                      .filter(on_hand__lte=F("reserved")).select_related("warehouse", "product")
                      .order_by("warehouse__code", "product__sku")[:200])
    expiring = list(Lot.objects.filter(quantity__gt=0, expiry_date__isnull=False,
                                       expiry_date__lte=timezone.localdate() + timedelta(days=expiring_days))
                    .select_related("stock__warehouse", "stock__product").order_by("expiry_date")[:200])
    return InventoryReport(start=start, end=end, rows=rows, slow_movers=slow[:100], stock_outs=stock_outs,
                           backorders=backorder_ageing(), expiring=expiring)


AGE_BUCKETS = [(1, gettext_lazy("under 1 day")), (3, gettext_lazy("1–3 days")), (7, gettext_lazy("3–7 days")),
               (None, gettext_lazy("over 7 days"))]


def backorder_ageing(*, now=None) -> list[dict]:
    """Open orders with units not yet reserved (waiting for stock), by how long they have waited."""
    now = now or timezone.now()
    short = (OrderLine.objects.filter(order__status__in=OPEN_STATUSES,
                                      quantity_reserved__lt=F("quantity") - F("quantity_shipped"))
             .exclude(order__status=OrderStatus.PENDING_REVIEW)
             .values_list("order_id", "order__ordered_at", "quantity", "quantity_reserved", "quantity_shipped"))
    buckets = [{"label": label, "orders": set(), "units": 0} for _limit, label in AGE_BUCKETS]
    for order_id, ordered_at, qty, reserved, shipped in short:
        age = (now - ordered_at).total_seconds() / 86400
        for index, (limit, _label) in enumerate(AGE_BUCKETS):
            if limit is None or age < limit:
                buckets[index]["orders"].add(order_id)
                buckets[index]["units"] += qty - reserved - shipped
                break
    return [{"label": b["label"], "orders": len(b["orders"]), "units": b["units"]} for b in buckets]


# -- customers --------------------------------------------------------------------------------------------

SEGMENTS = {
    "champion": gettext_lazy("Champions"), "loyal": gettext_lazy("Loyal"),
    "new": pgettext_lazy("customer segment", "New"),
    "at_risk": gettext_lazy("At risk"), "lost": gettext_lazy("Lost"), "regular": gettext_lazy("Regular"),
}


def rfm_segment(*, recency_days: int, frequency: int) -> str:
    if recency_days > 180:
        return "lost"
    if frequency >= 3 and recency_days <= 30:
        return "champion"
    if frequency >= 3:
        return "loyal"
    if frequency >= 2 and recency_days > 90:
        return "at_risk"
    if frequency == 1 and recency_days <= 30:
        return "new"
    return "regular"


@dataclass
class CustomerReport:
    customers: int
    repeat_rate: Decimal
    lifetime_value: Decimal
    segments: list[dict]
    top: list[dict]
    cohorts: list[dict]
    cohort_months: int
    rows: list[dict] = field(default_factory=list)

    def tables_for_export(self) -> list[tuple[str, list[str], list[list]]]:
        """Every table of the page, as (title, header, rows)."""
        offsets = [f"+{i}" for i in range(1, self.cohort_months + 1)]
        return [
            (_("Summary"), [_("Customers with orders"), _("Repeat-purchase rate (%)"),
                            _("Lifetime value (average spend)")],
             [[self.customers, self.repeat_rate, self.lifetime_value]]),
            (_("RFM segments"), [_("Segment"), _("Number of customers"), _("Spend")],
             [[str(s["label"]), s["customers"], s["spend"]] for s in self.segments]),
            (_("Cohorts by first-order month"), [_("First order"), _("Number of customers"), *offsets],
             [[c["month"], c["size"], *[n for n, _rate in c["cells"]]] for c in self.cohorts]),
            (_("Customer list"), [_("Customer"), _("Phone"), pgettext("measure", "Orders"), _("Spend"),
                                  _("First order"), _("Last order"), _("Segment")],
             [[r["name"], r["phone"], r["orders"], r["spend"], r["first"].isoformat(), r["last"].isoformat(),
               str(SEGMENTS[r["segment"]])] for r in self.rows]),
        ]


def segment_case(today: date) -> Case:
    """`rfm_segment` as SQL over the customer rollup, so the page counts segments in the database."""
    def since(days: int) -> date:
        return today - timedelta(days=days)

    return Case(
        When(last_day__lt=since(180), then=Value("lost")),
        When(orders__gte=3, last_day__gte=since(30), then=Value("champion")),
        When(orders__gte=3, then=Value("loyal")),
        When(orders__gte=2, last_day__lt=since(90), then=Value("at_risk")),
        When(orders=1, last_day__gte=since(30), then=Value("new")),
        default=Value("regular"), output_field=CharField())


def _customer_rows(queryset, today: date, *, pii: bool) -> list[dict]:
    rows = list(queryset.values("customer_id", "orders", "revenue", "first_day", "last_day"))
    names = {pk: (name, phone) for pk, name, phone in
             Customer.objects.filter(pk__in=[r["customer_id"] for r in rows]).values_list("id", "name", "phone")}
    result = []
    for r in rows:
        name, phone = names.get(r["customer_id"], ("", ""))
        phone = phone if pii else mask_phone(phone)  # masked here, so neither page nor export has it whole
        segment = rfm_segment(recency_days=(today - r["last_day"]).days, frequency=r["orders"])
        result.append({"id": r["customer_id"], "name": name, "phone": phone, "orders": r["orders"],
                       "spend": r["revenue"] or ZERO, "first": r["first_day"], "last": r["last_day"],
                       "segment": segment, "segment_label": SEGMENTS[segment]})
    return result


def customer_report(*, now=None, months: int = 6, top: int = 20,
                    everyone: bool = False, pii: bool = False) -> CustomerReport:
    """RFM, repeat rate, lifetime value, top customers and cohorts, read from the customer rollups
    (`CustomerSummary`, `CustomerMonth`: one row per customer, one per customer and month) and counted
    in the database; `everyone=True` also lists every customer (the export). Phones are masked
    unless `pii` (the viewer has `core.view_customer_pii`)."""
    today = timezone.localdate(now or timezone.now())
    summaries = CustomerSummary.objects.all()
    totals = summaries.aggregate(n=Count("id"), repeat=Count("id", filter=Q(orders__gte=2)), spend=Sum("revenue"))
    count, repeat, spend = totals["n"], totals["repeat"], totals["spend"] or ZERO
    by_segment = {r["segment"]: r for r in summaries.annotate(segment=segment_case(today)).values("segment")
                  .annotate(n=Count("id"), spend=Sum("revenue")).order_by()}
    segments = [{"code": code, "label": label, "customers": by_segment.get(code, {}).get("n", 0),
                 "spend": by_segment.get(code, {}).get("spend") or ZERO} for code, label in SEGMENTS.items()]
    ranked = summaries.order_by("-revenue", "customer_id")
    return CustomerReport(
        customers=count, repeat_rate=(Decimal(repeat * 100) / count).quantize(Decimal("0.1")) if count else ZERO,
        lifetime_value=(spend / count).quantize(Decimal("0.01")) if count else ZERO, segments=segments,
        top=_customer_rows(ranked[:top], today, pii=pii), cohorts=cohort_table(months=months),
        cohort_months=months, rows=_customer_rows(ranked, today, pii=pii) if everyone else [])


def cohort_table(*, months: int = 6) -> list[dict]:
    """Customers by the month of their first order; for each later month, how many ordered again
    (counted in the database from the customer-month rollup)."""
    counts = (CustomerMonth.objects.annotate(offset=F("month_index") - F("cohort_index"))
              .filter(offset__lte=months).values("cohort_index", "offset").annotate(n=Count("id")).order_by())
    cohorts: dict[int, list[int]] = defaultdict(lambda: [0] * (months + 1))
    for r in counts:
        cohorts[r["cohort_index"]][r["offset"]] = r["n"]
    result = []
    for first in sorted(cohorts)[-12:]:
        counts = cohorts[first]
        size = counts[0]
        result.append({"month": f"{first // 12}-{first % 12 + 1:02d}", "size": size,
                       "cells": [(n, (Decimal(n * 100) / size).quantize(Decimal("0.1")) if size else ZERO)
                                 for n in counts[1:]]})
    return result


# -- fulfilment -------------------------------------------------------------------------------------------

STATE_NAMES = dict(OrderStatus.choices)


@dataclass
class FulfilmentReport:
    start: date
    end: date
    states: list[dict]
    stages: list[dict]
    late: dict
    exceptions: list[dict]
    returns: list[dict]

    def tables_for_export(self) -> list[tuple[str, list[str], list[list]]]:
        """Every table of the page, as (title, header, rows)."""
        return [
            (_("Shipped late"), [_("Promised hours"), _("Shipped late"), _("Shipped on time"), _("Late rate (%)")],
             [[self.late["hours"], self.late["late"], self.late["on_time"], self.late["rate"]]]),
            (_("Time in each order state"), [_("State"), _("Orders that left it"), _("Average hours")],
             [[str(s["label"]), s["count"], s["average_hours"]] for s in self.states]),
            (_("Warehouse and carrier stages"), [_("Stage"), pgettext("measure", "Shipments"), _("Average hours")],
             [[str(s["label"]), s["count"], s["average_hours"]] for s in self.stages]),
            (_("Shipping exceptions"), [_("Exception"), pgettext("measure", "Shipments")],
             [[e["exception_reason"] or "—", e["n"]] for e in self.exceptions]),
            (_("Return rate and reasons per product"),
             [_("SKU"), _("Product"), _("Units shipped"), _("Units returned"), _("Return rate (%)"), _("Reasons")],
             [[r["sku"], r["name"], r["shipped"], r["returned"], r["rate"],
               "; ".join(f"{name} {n}" for name, n in r["reasons"])] for r in self.returns]),
        ]


def _hours(seconds) -> Decimal:
    return (Decimal(seconds) / 3600).quantize(Decimal("0.1"))


def promised_ship_hours() -> int:
    return int(getattr(settings, "OMS_PROMISED_SHIP_HOURS", 48))


def fulfilment_report(*, start: date, end: date) -> FulfilmentReport:
    states = []
    for r in (StateDaily.objects.filter(day__gte=start, day__lte=end).values("state")
              .annotate(n=Sum("count"), s=Sum("seconds")).order_by()):
        states.append({"state": r["state"], "label": STATE_NAMES.get(r["state"], r["state"]), "count": r["n"],
                       "average_hours": _hours(r["s"] / r["n"]) if r["n"] else None})
    order = [s for s, _label in OrderStatus.choices]
    states.sort(key=lambda s: order.index(s["state"]) if s["state"] in order else 99)
    window = Q(shipped_at__gte=day_start(start), shipped_at__lt=day_start(end + timedelta(days=1)))
    stage_sums = {"pick": [0, 0], "pack": [0, 0], "handover": [0, 0], "transit": [0, 0]}
    late = on_time = 0
    promise = timedelta(hours=promised_ship_hours())
    for created, picking, packed, shipped, delivered, ordered_at in Shipment.objects.filter(window).values_list(
            "created_at", "picking_at", "packed_at", "shipped_at", "delivered_at", "order__ordered_at").iterator():
        for key, a, b in (("pick", created, picking), ("pack", picking, packed), ("handover", packed, shipped),
                          ("transit", shipped, delivered)):
            if a and b and b >= a:
                stage_sums[key][0] += 1
                stage_sums[key][1] += (b - a).total_seconds()
        if shipped - ordered_at > promise:
            late += 1
        else:
            on_time += 1
    stage_labels = {"pick": _("Waiting to be picked"), "pack": _("Picking and packing"),
                    "handover": _("Packed, awaiting carrier"), "transit": _("In transit")}
    stages = [{"label": stage_labels[k], "count": v[0], "average_hours": _hours(v[1] / v[0]) if v[0] else None}
              for k, v in stage_sums.items()]
    total = late + on_time
    exceptions = list(Shipment.objects.filter(Q(status=ShipmentStatus.EXCEPTION) | ~Q(exception_reason=""),
                                              created_at__gte=day_start(start),
                                              created_at__lt=day_start(end + timedelta(days=1)))
                      .values("exception_reason").annotate(n=Count("id")).order_by("-n")[:20])
    return FulfilmentReport(start=start, end=end, states=states, stages=stages,
                            late={"late": late, "on_time": on_time, "hours": promised_ship_hours(),
                                  "rate": (Decimal(late * 100) / total).quantize(Decimal("0.1")) if total else None},
                            exceptions=exceptions, returns=return_rates(start=start, end=end))


def return_rates(*, start: date, end: date) -> list[dict]:
    """Per product: units shipped in the period, units asked back on requests opened in it, and why."""
    window = Q(shipment__shipped_at__gte=day_start(start), shipment__shipped_at__lt=day_start(end + timedelta(days=1)))
    from logistics.models import ShipmentLine

    shipped = dict(ShipmentLine.objects.filter(window).values("order_line__product_id")
                   .annotate(n=Sum("quantity_shipped")).values_list("order_line__product_id", "n").order_by())
    returned: dict[int, int] = defaultdict(int)
    reasons: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for product_id, qty, reason in (ReturnLine.objects.filter(
            request__created_at__gte=day_start(start), request__created_at__lt=day_start(end + timedelta(days=1)))
            .values_list("order_line__product_id", "quantity", "request__reason__name")):
        returned[product_id] += qty
        reasons[product_id][reason] += qty
    products = {p.pk: p for p in Product.objects.filter(pk__in=set(shipped) | set(returned))}
    rows = []
    for pk in set(shipped) | set(returned):
        product = products.get(pk)
        out = shipped.get(pk, 0) or 0
        rows.append({"sku": product.sku if product else "", "name": product.name if product else "",
                     "shipped": out, "returned": returned.get(pk, 0),
                     "rate": (Decimal(returned.get(pk, 0) * 100) / out).quantize(Decimal("0.1")) if out else None,
                     "reasons": sorted(reasons[pk].items(), key=lambda kv: -kv[1])})
    rows.sort(key=lambda r: (-(r["rate"] or 0), r["sku"]))
    return rows
