"""The only writer of the daily rollup tables.

`rollups_rebuild()` recomputes every day from the stages' own records; `rollups_refresh()` (the
django-q2 schedule, every few minutes) recomputes only the days touched since the last run. What
"touched" means, per source:

- orders whose row changed (`updated_at`) since the last run: their order day (orders, cancellations,
  legacy revenue) and every day they left a state (state durations);
- journal entries, stock movements and order events newer than the last run's high-water ids
  (all three are append-only): the day they were posted;
- refunds completed since the last run: the day they completed.

The customer rollups (`CustomerSummary`, `CustomerMonth`) are per customer, not per day: a run
recomputes every customer whose orders changed (order rows, new timeline events, completed refunds).

Orders and sales are written by one `INSERT … SELECT` per table (joins and GROUP BY in the database);
stock, refunds and state durations by one aggregate query each. A rebuild writes the whole history in
one pass and one transaction.

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
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from aftersales.models import ReturnRequest
from finance.models import JournalEntry, RecognisedLine, Refund, RefundStatus
from inventory.models import MovementKind, Reservation, Stock, StockMovement
from logistics.models import Shipment
from oms.reports.models import (
    CustomerMonth,
    CustomerSummary,
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


# -- orders and sales: one INSERT … SELECT per table ---------------------------------------------------
#
# Joins, not per-row look-ups: a revenue posting finds its warehouse by joining the shipment (or the
# return) whose number is the entry's reference; an order finds its first shipment and its first
# reservation through one grouped pass each. The channel-grain tables are summed from the fine ones
# just written. The SQL is the same on SQLite and PostgreSQL except the local-day expression, which
# comes from Django's own backend (`datetime_cast_date_sql`), so both agree with `TruncDate(tzinfo=TZ)`.

def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _local_day_sql(column: str) -> tuple[str, list]:
    sql, params = connection.ops.datetime_cast_date_sql(column, (), settings.TIME_ZONE)
    # Time-zone names inline (they come from settings, not users): a GROUP BY on the expression must
    # read exactly like its SELECT, which two separate bind parameters would not.
    for value in params:
        sql = sql.replace("%s", "'" + str(value).replace("'", "''") + "'", 1)
    return sql, []


def _bounds(first: date, last: date) -> list:
    adapt = connection.ops.adapt_datetimefield_value
    return [adapt(day_start(first)), adapt(day_start(last + timedelta(days=1)))]


def _execute(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _insert_orders(first: date, last: date) -> None:
    order, line = _table(Order), _table(OrderLine)
    shipment, reservation, stock = _table(Shipment), _table(Reservation), _table(Stock)
    day, day_params = _local_day_sql("o.ordered_at")
    in_window = f"SELECT id FROM {order} WHERE ordered_at >= %s AND ordered_at < %s"
    bounds = _bounds(first, last)
    sql = f"""
        INSERT INTO {_table(OrderDaily)} (day, channel_id, province, warehouse_id, legacy, orders, units, order_value,
                                          cancelled, cod_orders)
        SELECT d, channel_id, province, wh, legacy, COUNT(*), SUM(n_units), SUM(total), SUM(cancelled), SUM(cod)
        FROM (
            SELECT {day} AS d, o.channel_id, o.province, COALESCE(fs.warehouse_id, st.warehouse_id) AS wh,
                   (o.source = %s) AS legacy, COALESCE(u.n, 0) AS n_units, o.total,
                   CASE WHEN o.status = %s THEN 1 ELSE 0 END AS cancelled,
                   CASE WHEN o.payment_method = %s THEN 1 ELSE 0 END AS cod
            FROM {order} o
            LEFT JOIN (SELECT order_id, SUM(quantity) AS n FROM {line} WHERE order_id IN ({in_window})
                       GROUP BY order_id) u ON u.order_id = o.id
            LEFT JOIN (SELECT order_id, MIN(id) AS first_id FROM {shipment} WHERE order_id IN ({in_window})
                       GROUP BY order_id) f ON f.order_id = o.id
            LEFT JOIN {shipment} fs ON fs.id = f.first_id
            LEFT JOIN (SELECT order_id, MIN(id) AS first_id FROM {reservation} WHERE order_id IN ({in_window})
                       GROUP BY order_id) fr ON fr.order_id = o.id
            LEFT JOIN {reservation} rv ON rv.id = fr.first_id
            LEFT JOIN {stock} st ON st.id = rv.stock_id
            WHERE o.ordered_at >= %s AND o.ordered_at < %s
        ) x
        GROUP BY d, channel_id, province, wh, legacy"""
    _execute(sql, [*day_params, OrderSource.IMPORT, OrderStatus.CANCELLED, "cod", *bounds, *bounds, *bounds,
                   *bounds])
    _execute(f"""
        INSERT INTO {_table(OrderChannelDaily)} (day, channel_id, legacy, orders, units, order_value, cancelled,
                                                 cod_orders)
        SELECT day, channel_id, legacy, SUM(orders), SUM(units), SUM(order_value), SUM(cancelled), SUM(cod_orders)
        FROM {_table(OrderDaily)} WHERE day >= %s AND day <= %s GROUP BY day, channel_id, legacy""",
             [first, last])


def _sales_source(first: date, last: date) -> tuple[str, list]:
    """Revenue rows at the finest grain — (day, channel, province, product, warehouse, legacy) — as SQL:
    the journal's recognised lines, then legacy shipped orders that never went through the journal
    (lines net of VAT rounded half up as finance splits them, units net of returns, and the shipping
    fee at the shipping tax rate, on the order day)."""
    recognised, entry, order, line = _table(RecognisedLine), _table(JournalEntry), _table(Order), _table(OrderLine)
    shipment, returned = _table(Shipment), _table(ReturnRequest)
    posted_day, posted_params = _local_day_sql("e.posted_at")
    order_day, order_params = _local_day_sql("o.ordered_at")
    legacy_where = f"""o.ordered_at >= %s AND o.ordered_at < %s AND o.source = %s AND o.status IN (%s, %s)
                       AND NOT EXISTS (SELECT 1 FROM {recognised} x WHERE x.order_id = o.id)"""
    legacy_params = [*_bounds(first, last), OrderSource.IMPORT, *LEGACY_SHIPPED]
    sold = "ROUND(ol.amount * 1.0 * (ol.quantity - ol.quantity_returned) / NULLIF(ol.quantity, 0), 2)"
    sql = f"""
        SELECT {posted_day} AS d, o.channel_id AS ch, o.province AS prov, ol.product_id AS prod,
               COALESCE(s.warehouse_id, r.warehouse_id,
                        (SELECT x.warehouse_id FROM {shipment} x WHERE x.order_id = rl.order_id
                         ORDER BY x.id LIMIT 1)) AS wh,
               (o.source = %s) AS legacy,
               CASE WHEN rl.component = %s AND rl.quantity > 0 THEN rl.quantity ELSE 0 END AS units,
               CASE WHEN rl.component = %s AND rl.quantity < 0 THEN -rl.quantity ELSE 0 END AS units_returned,
               rl.net AS revenue, rl.gross AS revenue_gross,
               CASE WHEN rl.net < 0 THEN -rl.net ELSE 0 END AS returns
        FROM {recognised} rl
        JOIN {entry} e ON e.id = rl.entry_id
        JOIN {order} o ON o.id = rl.order_id
        LEFT JOIN {line} ol ON ol.id = rl.order_line_id
        LEFT JOIN {shipment} s ON s.number = e.reference
        LEFT JOIN {returned} r ON r.number = e.reference
        WHERE e.posted_at >= %s AND e.posted_at < %s
        UNION ALL
        SELECT {order_day}, o.channel_id, o.province, ol.product_id, NULL, (1 = 1),
               ol.quantity - ol.quantity_returned, ol.quantity_returned,
               ROUND({sold} / (1 + ol.tax_rate), 2), {sold}, 0
        FROM {line} ol JOIN {order} o ON o.id = ol.order_id
        WHERE {legacy_where}
        UNION ALL
        SELECT {order_day}, o.channel_id, o.province, NULL, NULL, (1 = 1), 0, 0,
               ROUND(o.shipping_fee * 1.0 / (1 + %s), 2), o.shipping_fee, 0
        FROM {order} o
        WHERE {legacy_where} AND o.shipping_fee > 0"""
    params = [*posted_params, OrderSource.IMPORT, "line", "line", *_bounds(first, last),
              *order_params, *legacy_params,
              *order_params, Decimal(str(settings.OMS_SHIPPING_TAX_RATE)), *legacy_params]
    return sql, params


SALES_SUMS = ("SUM(units), SUM(units_returned), COALESCE(SUM(revenue), 0), COALESCE(SUM(revenue_gross), 0), "
              "COALESCE(SUM(returns), 0)")
SALES_COLUMNS = "units, units_returned, revenue, revenue_gross, returns"


@contextmanager
def _scratch(name: str, select: str, params: list):
    """A temporary table holding one aggregate pass, read by several inserts, dropped afterwards."""
    _execute(f"DROP TABLE IF EXISTS {name}", [])
    _execute(f"CREATE TEMPORARY TABLE {name} AS {select}", params)
    try:
        yield name
    finally:
        _execute(f"DROP TABLE IF EXISTS {name}", [])


def _insert_sales(first: date, last: date) -> None:
    source, params = _sales_source(first, last)
    # One pass over the journal at the finest grain; the province and product tables group that.
    fine = f"""SELECT d, ch, COALESCE(prov, '') AS prov, prod, wh, legacy, SUM(units) AS units,
                      SUM(units_returned) AS units_returned, COALESCE(SUM(revenue), 0) AS revenue,
                      COALESCE(SUM(revenue_gross), 0) AS revenue_gross, COALESCE(SUM(returns), 0) AS returns
               FROM ({source}) src GROUP BY d, ch, COALESCE(prov, ''), prod, wh, legacy"""
    with _scratch("reports_sales_fine", fine, params) as table:
        _execute(f"""
            INSERT INTO {_table(SalesDaily)} (day, channel_id, province, warehouse_id, legacy, {SALES_COLUMNS})
            SELECT d, ch, prov, wh, legacy, {SALES_SUMS} FROM {table} GROUP BY d, ch, prov, wh, legacy""", [])
        _execute(f"""
            INSERT INTO {_table(ProductSalesDaily)} (day, channel_id, product_id, warehouse_id, legacy,
                                                     {SALES_COLUMNS})
            SELECT d, ch, prod, wh, legacy, {SALES_SUMS} FROM {table} GROUP BY d, ch, prod, wh, legacy""", [])
    _execute(f"""
        INSERT INTO {_table(SalesChannelDaily)} (day, channel_id, legacy, {SALES_COLUMNS})
        SELECT day, channel_id, legacy, SUM(units), SUM(units_returned), SUM(revenue), SUM(revenue_gross),
               SUM(returns)
        FROM {_table(SalesDaily)} WHERE day >= %s AND day <= %s GROUP BY day, channel_id, legacy""", [first, last])


def _refunds(first: date, last: date) -> list[RefundDaily]:
    rows = (Refund.objects.filter(_window("completed_at", first, last), status=RefundStatus.SUCCEEDED)
            .annotate(d=TruncDate("completed_at", tzinfo=TZ))
            .values("d", "order__channel_id", "order__province")
            .annotate(n=Count("id"), amount=Sum("amount")).order_by())
    return [RefundDaily(day=r["d"], channel_id=r["order__channel_id"], province=r["order__province"] or "",
                        refunds=r["n"], amount=r["amount"] or ZERO) for r in rows]


def movement_value():
    """A ledger row's on-hand change at cost: its lot's unit cost (goods leave at the cost of the lot they
    are picked from — FIFO by lot), else the product's standard cost, else nothing known (zero)."""
    cost = Coalesce(F("lot__unit_cost"), F("stock__product__standard_cost"), Value(ZERO), output_field=MONEY)
    return ExpressionWrapper(F("on_hand_delta") * cost, output_field=MONEY)


def _stock(first: date, last: date) -> list[StockDaily]:
    value = movement_value()
    moved = (StockMovement.objects.filter(_window("at", first, last))
             .annotate(d=TruncDate("at", tzinfo=TZ), v=value)
             .values("d", "stock_id", "stock__warehouse_id", "stock__product_id")
             .annotate(received=Coalesce(Sum("on_hand_delta", filter=Q(kind__in=RECEIPT_KINDS)), 0),
                       issued=Coalesce(Sum("on_hand_delta", filter=Q(kind=MovementKind.ISSUE)), 0),
                       net=Coalesce(Sum("on_hand_delta"), 0),
                       received_value=Coalesce(Sum("v", filter=Q(kind__in=RECEIPT_KINDS)), ZERO, output_field=MONEY),
                       issued_value=Coalesce(Sum("v", filter=Q(kind=MovementKind.ISSUE)), ZERO, output_field=MONEY),
                       net_value=Coalesce(Sum("v"), ZERO, output_field=MONEY))
             .order_by("stock_id", "d"))
    moved = list(moved)
    if not moved:
        return []
    # Opening level (and value) of each stock row at the first day: everything the ledger holds before it.
    opening = {r["stock_id"]: (r["n"], r["v"] or ZERO) for r in StockMovement.objects.filter(
        at__lt=day_start(first), stock_id__in={r["stock_id"] for r in moved}).annotate(value=value)
        .values("stock_id").annotate(n=Sum("on_hand_delta"), v=Sum("value")).order_by()}
    result, level = [], dict(opening)
    for r in moved:
        units, worth = level.get(r["stock_id"], (0, ZERO))
        units, worth = units + r["net"], worth + r["net_value"]
        level[r["stock_id"]] = (units, worth)
        result.append(StockDaily(day=r["d"], warehouse_id=r["stock__warehouse_id"], product_id=r["stock__product_id"],
                                 received=r["received"], issued=-r["issued"],
                                 other=r["net"] - r["received"] - r["issued"], closing=units,
                                 received_value=r["received_value"], issued_value=-r["issued_value"],
                                 closing_value=worth))
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


# -- customers: one row per customer, one per customer and month --------------------------------------

def _month_index_sql(day_sql: str) -> str:
    """year × 12 + month − 1 of a date expression (the cohort arithmetic stays integer on both databases)."""
    if connection.vendor == "postgresql":
        return f"(EXTRACT(YEAR FROM {day_sql})::integer * 12 + EXTRACT(MONTH FROM {day_sql})::integer - 1)"
    return f"(CAST(strftime('%%Y', {day_sql}) AS INTEGER) * 12 + CAST(strftime('%%m', {day_sql}) AS INTEGER) - 1)"


def _insert_customers(customer_ids: list[int] | None) -> None:
    """(Re)compute the customer rollups of these customers (all of them when None): delete, then insert."""
    if customer_ids is not None and not customer_ids:
        return
    order = _table(Order)
    day, day_params = _local_day_sql("o.ordered_at")
    month = _month_index_sql(day)
    chunks = [None] if customer_ids is None else [customer_ids[i:i + 500] for i in range(0, len(customer_ids), 500)]
    for chunk in chunks:
        only = "" if chunk is None else f" AND o.customer_id IN ({', '.join(['%s'] * len(chunk))})"
        ids = [] if chunk is None else list(chunk)
        if chunk is None:
            CustomerSummary.objects.all().delete()
            CustomerMonth.objects.all().delete()
        else:
            CustomerSummary.objects.filter(customer_id__in=chunk).delete()
            CustomerMonth.objects.filter(customer_id__in=chunk).delete()
        kept = f"o.status <> %s AND o.customer_id IS NOT NULL{only}"
        # One pass over the orders, per customer and month; both tables are read from it.
        monthly = f"""SELECT o.customer_id, {month} AS mi, COUNT(*) AS n, MIN({day}) AS first_day,
                             MAX({day}) AS last_day, SUM(o.total - o.refunded_amount) AS revenue
                      FROM {order} o WHERE {kept} GROUP BY o.customer_id, {month}"""
        with _scratch("reports_customer_months", monthly, [*day_params, OrderStatus.CANCELLED, *ids]) as table:
            _execute(f"""
                INSERT INTO {_table(CustomerSummary)} (customer_id, first_day, last_day, orders, revenue)
                SELECT customer_id, MIN(first_day), MAX(last_day), SUM(n), SUM(revenue)
                FROM {table} GROUP BY customer_id""", [])
            _execute(f"""
                INSERT INTO {_table(CustomerMonth)} (customer_id, month_index, cohort_index, orders)
                SELECT m.customer_id, m.mi, f.first_mi, m.n FROM {table} m
                JOIN (SELECT customer_id, MIN(mi) AS first_mi FROM {table} GROUP BY customer_id) f
                  ON f.customer_id = m.customer_id""", [])


def _touched_customers(last: RollupRun, marks: dict) -> list[int]:
    """Customers whose orders changed since the last run: order rows (placed, cancelled, refunded) and
    orders with a new timeline event or a refund completed since."""
    since = last.orders_since
    ids: set[int] = set()
    if since:
        ids.update(Order.objects.filter(updated_at__gte=since).values_list("customer_id", flat=True))
        ids.update(Refund.objects.filter(completed_at__gte=since).values_list("order__customer_id", flat=True))
    ids.update(Order.objects.filter(events__id__gt=last.last_event_id, events__id__lte=marks["last_event_id"])
               .values_list("customer_id", flat=True))
    return sorted(i for i in ids if i is not None)


MODELS = (OrderDaily, OrderChannelDaily, SalesDaily, ProductSalesDaily, SalesChannelDaily, RefundDaily, StockDaily,
          StateDaily)
# Each writes its tables for a run of whole days; the channel-grain tables after the fine ones they sum.
WRITERS = (_insert_orders, _insert_sales,
           lambda first, last: RefundDaily.objects.bulk_create(_refunds(first, last), batch_size=BATCH),
           lambda first, last: StockDaily.objects.bulk_create(_stock(first, last), batch_size=BATCH),
           lambda first, last: StateDaily.objects.bulk_create(_states(first, last), batch_size=BATCH))


def _write(first: date, last: date, *, replace: bool) -> None:
    with transaction.atomic():
        if replace:
            for model in MODELS:
                model.objects.filter(day__gte=first, day__lte=last).delete()
        for write in WRITERS:
            write(first, last)


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
    days = 0
    # One transaction, one INSERT … SELECT per table over the whole history (set-based: the database
    # joins and groups 1M orders faster than any loop of ours), so readers see the old rollups until
    # the new ones are complete.
    with transaction.atomic():
        for model in MODELS:
            model.objects.all().delete()
        if first:
            today = local_day(timezone.now())
            _write(first, today, replace=False)
            days = (today - first).days + 1
        _insert_customers(None)
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
    with transaction.atomic():
        _insert_customers(_touched_customers(last, marks))
    run = RollupRun.objects.create(started_at=started, finished_at=timezone.now(), full=False, days=len(days),
                                   seconds=time.monotonic() - clock, orders_since=started, **marks)
    return run
