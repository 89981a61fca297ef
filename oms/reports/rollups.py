"""The only writer of the daily rollup tables.

`rollups_rebuild()` recomputes every day from the stages' own records; `rollups_refresh()` (the
django-q2 schedule, every few minutes) recomputes only the days touched since the last run. What
"touched" means, per source:

- orders whose row changed (`updated_at`) since the last run: their order day (orders, cancellations,
  legacy revenue) and every day they left a state (state durations);
- journal entries, stock movements and order events newer than the last run's high-water ids
  (all three are append-only): the day they were posted;
- refunds completed since the last run: the day they completed.

A day is always recomputed whole (delete its rows, aggregate again), so a run that dies half way
is repaired by the next one, and a rebuild gives exactly what the incremental runs gave.

Revenue is read from `finance.RecognisedLine`, the per-line breakdown of the journal's revenue
postings (Cr 6001 at shipment, Dr 6001 on a return or an allowance), so a period's revenue here
equals the balance of account 6001 over the same period; revenue of imported orders is flagged
`legacy`. The import books a shipped or completed legacy order's revenue as an opening entry on its
order day; a legacy order without one (imported before the import booked money) counts from its
lines and shipping fee on its order day, split into net and VAT the way finance splits them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round, TruncDate
from django.utils import timezone

from aftersales.models import ReturnRequest
from finance.models import JournalEntry, RecognisedLine, Refund, RefundStatus
from inventory.models import MovementKind, Reservation, StockMovement
from logistics.models import Shipment
from oms.reports.models import (
    OrderChannelDaily,
    OrderDaily,
    ProductSalesDaily,
    RefundDaily,
    RollupRun,
    SalesChannelDaily,
    SalesDaily,
    StateDaily,
    StockDaily,
)
from orders.models import Order, OrderEvent, OrderLine, OrderSource, OrderStatus

TZ = ZoneInfo(settings.TIME_ZONE)
MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Decimal("0.00")
LEGACY_SHIPPED = (OrderStatus.SHIPPED, OrderStatus.COMPLETED)
RECEIPT_KINDS = (MovementKind.RECEIPT, MovementKind.RETURN, MovementKind.TRANSFER_IN)
BATCH = 5000


def day_start(day: date) -> datetime:
    return datetime.combine(day, dtime.min, tzinfo=TZ)


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, TZ).date()


def _ranges(days: set[date]) -> list[tuple[date, date]]:
    """Contiguous runs of days, so each is recomputed with one query per table."""
    result: list[tuple[date, date]] = []
    for day in sorted(days):
        if result and result[-1][1] + timedelta(days=1) == day:
            result[-1] = (result[-1][0], day)
        else:
            result.append((day, day))
    return result


def _window(field: str, first: date, last: date) -> Q:
    return Q(**{f"{field}__gte": day_start(first), f"{field}__lt": day_start(last + timedelta(days=1))})


# -- one table each ------------------------------------------------------------------------------------

def _order_warehouse():
    """The warehouse an order ships from: its first shipment's, else its first reservation's."""
    shipment = Shipment.objects.filter(order=OuterRef("pk")).order_by("pk").values("warehouse_id")[:1]
    reservation = Reservation.objects.filter(order=OuterRef("pk")).order_by("pk").values("stock__warehouse_id")[:1]
    return Coalesce(Subquery(shipment), Subquery(reservation))


def _orders(first: date, last: date) -> list[OrderDaily]:
    units = OrderLine.objects.filter(order=OuterRef("pk")).values("order").annotate(n=Sum("quantity")).values("n")
    rows = (Order.objects.filter(_window("ordered_at", first, last))
            .annotate(d=TruncDate("ordered_at", tzinfo=TZ), wh=_order_warehouse(),
                      legacy=Case(When(source=OrderSource.IMPORT, then=Value(True)), default=Value(False)),
                      n_units=Coalesce(Subquery(units, output_field=IntegerField()), 0))
            .values("d", "channel_id", "province", "wh", "legacy")
            .annotate(orders=Count("id"), units=Sum("n_units"), value=Sum("total"),
                      cancelled=Count("id", filter=Q(status=OrderStatus.CANCELLED)),
                      cod=Count("id", filter=Q(payment_method="cod")))
            .order_by())
    return [OrderDaily(day=r["d"], channel_id=r["channel_id"], province=r["province"], warehouse_id=r["wh"],
                       legacy=r["legacy"], orders=r["orders"], units=r["units"] or 0, order_value=r["value"] or ZERO,
                       cancelled=r["cancelled"], cod_orders=r["cod"]) for r in rows]


def _revenue_warehouse():
    """A revenue posting's warehouse: the shipment (recognition) or the return (reversal) it references."""
    shipment = Shipment.objects.filter(number=OuterRef("entry__reference")).values("warehouse_id")[:1]
    returned = ReturnRequest.objects.filter(number=OuterRef("entry__reference")).values("warehouse_id")[:1]
    fallback = Shipment.objects.filter(order=OuterRef("order_id")).order_by("pk").values("warehouse_id")[:1]
    return Coalesce(Subquery(shipment), Subquery(returned), Subquery(fallback))


def _journal_sales(first: date, last: date, keys: tuple[str, ...]) -> dict[tuple, dict]:
    qs = (RecognisedLine.objects.filter(_window("entry__posted_at", first, last))
          .annotate(d=TruncDate("entry__posted_at", tzinfo=TZ), wh=_revenue_warehouse(),
                    ch=F("order__channel_id"), prov=F("order__province"), prod=F("order_line__product_id"),
                    # legacy orders' revenue is in the journal too (the import's opening entries)
                    legacy=Case(When(order__source=OrderSource.IMPORT, then=Value(True)), default=Value(False)))
          .values("d", *keys, "legacy")
          .annotate(units=Coalesce(Sum("quantity", filter=Q(component="line", quantity__gt=0)), 0),
                    returned=Coalesce(Sum("quantity", filter=Q(component="line", quantity__lt=0)), 0),
                    revenue=Coalesce(Sum("net"), ZERO, output_field=MONEY),
                    gross=Coalesce(Sum("gross"), ZERO, output_field=MONEY),
                    returns=Coalesce(Sum("net", filter=Q(net__lt=0)), ZERO, output_field=MONEY))
          .order_by())
    result = {}
    for r in qs:
        key = (r["d"], *(r[k] for k in keys), r["legacy"])
        result[key] = {"units": r["units"], "units_returned": -r["returned"], "revenue": r["revenue"],
                       "revenue_gross": r["gross"], "returns": -r["returns"]}
    return result


def _legacy_orders(first: date, last: date):
    journaled = RecognisedLine.objects.filter(order=OuterRef("pk"))
    return (Order.objects.filter(_window("ordered_at", first, last), source=OrderSource.IMPORT,
                                 status__in=LEGACY_SHIPPED)
            .exclude(Exists(journaled)))


def _legacy_sales(first: date, last: date, keys: tuple[str, ...]) -> dict[tuple, dict]:
    """Legacy shipped orders: lines net of VAT (rounded half up, as finance splits them), units net of returns,
    and the shipping fee at the shipping tax rate, on the order day."""
    orders = _legacy_orders(first, last)
    result: dict[tuple, dict] = defaultdict(lambda: {"units": 0, "units_returned": 0, "revenue": ZERO,
                                                     "revenue_gross": ZERO, "returns": ZERO})
    sold = ExpressionWrapper(F("amount") * (F("quantity") - F("quantity_returned")) / F("quantity"), output_field=MONEY)
    lines = (OrderLine.objects.filter(order__in=orders)
             .annotate(d=TruncDate("order__ordered_at", tzinfo=TZ), wh=Value(None, output_field=IntegerField()),
                       ch=F("order__channel_id"), prov=F("order__province"), prod=F("product_id"),
                       gross_sold=Round(sold, 2))
             .annotate(net_sold=Round(ExpressionWrapper(F("gross_sold") / (1 + F("tax_rate")), output_field=MONEY), 2))
             .values("d", *keys)
             .annotate(units=Sum("quantity"), returned=Sum("quantity_returned"), revenue=Sum("net_sold"),
                       gross=Sum("gross_sold"))
             .order_by())
    for r in lines:
        row = result[(r["d"], *(r[k] for k in keys), True)]
        row["units"] += r["units"] - r["returned"]
        row["units_returned"] += r["returned"]
        row["revenue"] += r["revenue"] or ZERO
        row["revenue_gross"] += r["gross"] or ZERO
    rate = Decimal(str(settings.OMS_SHIPPING_TAX_RATE))
    fees = (orders.filter(shipping_fee__gt=0)
            .annotate(d=TruncDate("ordered_at", tzinfo=TZ), wh=Value(None, output_field=IntegerField()),
                      ch=F("channel_id"), prov=F("province"), prod=Value(None, output_field=IntegerField()),
                      net_fee=Round(ExpressionWrapper(F("shipping_fee") / (1 + rate), output_field=MONEY), 2))
            .values("d", *keys)
            .annotate(net=Sum("net_fee"), gross=Sum("shipping_fee"))
            .order_by())
    for r in fees:
        row = result[(r["d"], *(r[k] for k in keys), True)]
        row["revenue"] += r["net"] or ZERO
        row["revenue_gross"] += r["gross"] or ZERO
    return result


SALES_MEASURES = ("units", "units_returned", "revenue", "revenue_gross", "returns")


def _fold(rows: dict[tuple, dict], key) -> dict[tuple, dict]:
    """Sum the measures of fine-grained sales rows into coarser keys."""
    result: dict[tuple, dict] = {}
    for fine, values in rows.items():
        coarse = key(fine)
        target = result.get(coarse)
        if target is None:
            result[coarse] = dict(values)
        else:
            for name in SALES_MEASURES:
                target[name] += values[name]
    return result


def _all_sales(first: date, last: date) -> dict[type, list]:
    """One pass over the journal (and the legacy orders) at the finest grain — (day, channel, province,
    product, warehouse, legacy) — folded into the three sales tables."""
    keys = ("ch", "prov", "prod", "wh")
    fine = {**_journal_sales(first, last, keys), **_legacy_sales(first, last, keys)}
    by_province = _fold(fine, lambda k: (k[0], k[1], k[2] or "", k[4], k[5]))
    by_product = _fold(fine, lambda k: (k[0], k[1], k[3], k[4], k[5]))
    by_channel = _fold(fine, lambda k: (k[0], k[1], k[5]))
    return {
        SalesDaily: [SalesDaily(day=k[0], channel_id=k[1], province=k[2], warehouse_id=k[3], legacy=k[4], **v)
                     for k, v in by_province.items()],
        ProductSalesDaily: [ProductSalesDaily(day=k[0], channel_id=k[1], product_id=k[2], warehouse_id=k[3],
                                              legacy=k[4], **v) for k, v in by_product.items()],
        SalesChannelDaily: [SalesChannelDaily(day=k[0], channel_id=k[1], legacy=k[2], **v)
                            for k, v in by_channel.items()],
    }


def _all_orders(first: date, last: date) -> dict[type, list]:
    rows = _orders(first, last)
    slim: dict[tuple, OrderChannelDaily] = {}
    for r in rows:
        key = (r.day, r.channel_id, r.legacy)
        target = slim.get(key)
        if target is None:
            slim[key] = OrderChannelDaily(day=r.day, channel_id=r.channel_id, legacy=r.legacy, orders=r.orders,
                                          units=r.units, order_value=r.order_value, cancelled=r.cancelled,
                                          cod_orders=r.cod_orders)
        else:
            target.orders += r.orders
            target.units += r.units
            target.order_value += r.order_value
            target.cancelled += r.cancelled
            target.cod_orders += r.cod_orders
    return {OrderDaily: rows, OrderChannelDaily: list(slim.values())}


def _refunds(first: date, last: date) -> list[RefundDaily]:
    rows = (Refund.objects.filter(_window("completed_at", first, last), status=RefundStatus.SUCCEEDED)
            .annotate(d=TruncDate("completed_at", tzinfo=TZ))
            .values("d", "order__channel_id", "order__province")
            .annotate(n=Count("id"), amount=Sum("amount")).order_by())
    return [RefundDaily(day=r["d"], channel_id=r["order__channel_id"], province=r["order__province"] or "",
                        refunds=r["n"], amount=r["amount"] or ZERO) for r in rows]


def _stock(first: date, last: date) -> list[StockDaily]:
    moved = (StockMovement.objects.filter(_window("at", first, last))
             .annotate(d=TruncDate("at", tzinfo=TZ))
             .values("d", "stock_id", "stock__warehouse_id", "stock__product_id")
             .annotate(received=Coalesce(Sum("on_hand_delta", filter=Q(kind__in=RECEIPT_KINDS)), 0),
                       issued=Coalesce(Sum("on_hand_delta", filter=Q(kind=MovementKind.ISSUE)), 0),
                       net=Coalesce(Sum("on_hand_delta"), 0))
             .order_by("stock_id", "d"))
    moved = list(moved)
    if not moved:
        return []
    # Opening level of each stock row at the first day: everything the ledger holds before it.
    opening = dict(StockMovement.objects.filter(at__lt=day_start(first), stock_id__in={r["stock_id"] for r in moved})
                   .values("stock_id").annotate(n=Sum("on_hand_delta")).values_list("stock_id", "n").order_by())
    result, level = [], dict(opening)
    for r in moved:
        level[r["stock_id"]] = level.get(r["stock_id"], 0) + r["net"]
        result.append(StockDaily(day=r["d"], warehouse_id=r["stock__warehouse_id"], product_id=r["stock__product_id"],
                                 received=r["received"], issued=-r["issued"],
                                 other=r["net"] - r["received"] - r["issued"], closing=level[r["stock_id"]]))
    return result


def _states(first: date, last: date) -> list[StateDaily]:
    """Time in each state from the orders' audit history: a state is left when the next history row
    shows another status; its duration is counted on the day it was left."""
    History = Order.history.model
    start, end = day_start(first), day_start(last + timedelta(days=1))
    order_ids = (History.objects.filter(history_date__gte=start, history_date__lt=end)
                 .values_list("id", flat=True).distinct().order_by())
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    ids = list(order_ids)
    for i in range(0, len(ids), BATCH):
        chunk = ids[i:i + BATCH]
        rows = (History.objects.filter(id__in=chunk, history_date__lt=end)
                .order_by("id", "history_date", "history_id").values_list("id", "history_date", "status", "channel_id"))
        current = None
        for order_id, at, status, channel_id in rows:
            if current and current[0] == order_id:
                if status == current[2]:
                    continue
                if at >= start:
                    bucket = totals[(local_day(at), channel_id, current[2])]
                    bucket[0] += 1
                    bucket[1] += int((at - current[1]).total_seconds())
            current = (order_id, at, status)
    return [StateDaily(day=k[0], channel_id=k[1], state=k[2], count=v[0], seconds=v[1]) for k, v in totals.items()]


MODELS = (OrderDaily, OrderChannelDaily, SalesDaily, ProductSalesDaily, SalesChannelDaily, RefundDaily, StockDaily,
          StateDaily)
BUILDERS = (_all_orders, _all_sales, lambda first, last: {RefundDaily: _refunds(first, last)},
            lambda first, last: {StockDaily: _stock(first, last)},
            lambda first, last: {StateDaily: _states(first, last)})


def _write(first: date, last: date, *, replace: bool) -> None:
    with transaction.atomic():
        if replace:
            for model in MODELS:
                model.objects.filter(day__gte=first, day__lte=last).delete()
        for build in BUILDERS:
            for model, rows in build(first, last).items():
                model.objects.bulk_create(rows, batch_size=BATCH)


def recompute_days(days: set[date]) -> int:
    """Recompute whole days in every rollup table; returns the number of days."""
    for first, last in _ranges(days):
        _write(first, last, replace=True)
    return len(days)


def _watermarks() -> dict:
    return {
        "last_entry_id": JournalEntry.objects.aggregate(m=Max("id"))["m"] or 0,
        "last_movement_id": StockMovement.objects.aggregate(m=Max("id"))["m"] or 0,
        "last_event_id": OrderEvent.objects.aggregate(m=Max("id"))["m"] or 0,
    }


def _first_day() -> date | None:
    candidates = [Order.objects.aggregate(m=Min("ordered_at"))["m"], StockMovement.objects.aggregate(m=Min("at"))["m"],
                  JournalEntry.objects.aggregate(m=Min("posted_at"))["m"]]
    candidates = [c for c in candidates if c]
    return local_day(min(candidates)) if candidates else None


def rollups_rebuild() -> RollupRun:
    """Recompute every day from the first record to today (the `rebuild_report_rollups` command)."""
    clock = time.monotonic()
    run = RollupRun(full=True, orders_since=timezone.now(), **_watermarks())
    first = _first_day()
    with transaction.atomic():
        for model in MODELS:
            model.objects.all().delete()
    days = 0
    if first:
        today = local_day(timezone.now())
        # Month by month: each transaction and each aggregate stays a manageable size.
        cursor = first
        while cursor <= today:
            month_end = min((cursor.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1), today)
            _write(cursor, month_end, replace=False)
            days += (month_end - cursor).days + 1
            cursor = month_end + timedelta(days=1)
    run.days, run.finished_at, run.seconds = days, timezone.now(), time.monotonic() - clock
    run.save()
    return run


def touched_days(last: RollupRun, marks: dict) -> set[date]:
    days: set[date] = set()

    def add(values):
        days.update(local_day(v) for v in values if v is not None)

    if last.orders_since:
        add(Order.objects.filter(updated_at__gte=last.orders_since).values_list("ordered_at", flat=True))
        add(Refund.objects.filter(completed_at__gte=last.orders_since).values_list("completed_at", flat=True))
        History = Order.history.model
        add(History.objects.filter(history_date__gte=last.orders_since).values_list("history_date", flat=True))
    add(JournalEntry.objects.filter(id__gt=last.last_entry_id, id__lte=marks["last_entry_id"])
        .values_list("posted_at", flat=True))
    add(StockMovement.objects.filter(id__gt=last.last_movement_id, id__lte=marks["last_movement_id"])
        .values_list("at", flat=True))
    # A return, a shipment or a payment writes a timeline event: its order's own day is touched too.
    add(Order.objects.filter(events__id__gt=last.last_event_id, events__id__lte=marks["last_event_id"])
        .values_list("ordered_at", flat=True))
    # A later stock day's closing level depends on every earlier movement: carry a touched stock day forward.
    return days


def rollups_refresh() -> RollupRun:
    """The scheduled job: recompute the days touched since the last run (a full rebuild the first time)."""
    last = RollupRun.objects.filter(finished_at__isnull=False).first()
    if last is None:
        return rollups_rebuild()
    clock = time.monotonic()
    started = timezone.now()
    marks = _watermarks()
    days = touched_days(last, marks)
    stock_days = {local_day(v) for v in StockMovement.objects.filter(
        id__gt=last.last_movement_id, id__lte=marks["last_movement_id"]).values_list("at", flat=True)}
    if stock_days:
        # Closing levels after a back-dated movement change on every later day that has a row.
        days |= set(StockDaily.objects.filter(day__gt=min(stock_days)).values_list("day", flat=True).distinct())
    recompute_days(days)
    run = RollupRun.objects.create(started_at=started, finished_at=timezone.now(), full=False, days=len(days),
                                   seconds=time.monotonic() - clock, orders_since=started, **marks)
    return run
