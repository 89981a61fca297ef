"""The three reads of the reservation hot path, as plain SQL (and the priority table, for batches).

Profiling `bench/allocation.py` showed the ORM spending more CPU compiling these three querysets
(a join, a correlated subquery, an aggregate, `FOR UPDATE OF`) than the database spent running
them (figures: bench/README.md, "Why the speed machinery exists"). They run once per order
reviewed, so they are written out here once; everything else stays on the ORM. Each returns what
its queryset would, and locks what it would (`inventory/tests/test_allocation_sql_matches_orm.py`). The SQL is portable
between PostgreSQL and SQLite (SQLite has no row locks and needs none: our SQLite transactions
start IMMEDIATE, so one writer at a time). Tests run it on both.
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from inventory.models import Lot, Stock, WarehousePriority


def _in(values) -> tuple[str, list]:
    values = list(values)
    return ", ".join(["%s"] * len(values)), values


def order_lines_with_holdings(order_ids) -> dict[int, list[tuple]]:
    """Per order id: `(line id, product id, sku, quantity, quantity_reserved, reserved + issued)` per line, by id."""
    placeholders, params = _in(order_ids)
    # Each line's reservations summed by a look-up on the line: joined to the lines as a whole,
    # PostgreSQL hashed the entire reservation table for a batch of orders (growing with the
    # table), and a join to reservations pre-summed per order made SQLite scan every line. The
    # correlated sum is an index look-up per line on both (figures: bench/README.md).
    sql = f"""
        SELECT l.order_id, l.id, l.product_id, l.sku, l.quantity, l.quantity_reserved,
               (SELECT COALESCE(SUM(r.quantity + r.quantity_issued), 0)
                FROM inventory_reservation r WHERE r.order_line_id = l.id)
        FROM orders_orderline l
        WHERE l.order_id IN ({placeholders})
        ORDER BY l.id"""
    by_order: dict[int, list[tuple]] = {order_id: [] for order_id in params}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            by_order[row[0]].append(row[1:])
    return by_order


def warehouse_ranks(provinces) -> dict[tuple[str, int], int]:
    """`(province, warehouse id) → rank` from the priority table, for these provinces."""
    return {(province, warehouse_id): rank for province, warehouse_id, rank in
            WarehousePriority.objects.filter(province__in=list(provinces)).values_list("province", "warehouse_id",
                                                                                     "rank")}


def lock_allocatable_stocks(product_ids, *, province: str | None) -> list[Stock]:
    """Stock rows of these products in active warehouses that ship online orders, locked in pk order.

    Each row carries `warehouse_code`, `warehouse_province` and `rank` (the province's priority for
    the warehouse, None when the table does not list it).
    """
    placeholders, params = _in(product_ids)
    lock = ""
    if connection.features.has_select_for_update:
        lock = " FOR UPDATE OF s" if connection.features.has_select_for_update_of else " FOR UPDATE"
    sql = f"""
        SELECT s.id, s.warehouse_id, s.product_id, s.on_hand, s.reserved, s.quarantined, s.safety_stock,
               s.low_stock_threshold, s.updated_at, w.code AS warehouse_code, w.province AS warehouse_province,
               (SELECT p.rank FROM inventory_warehousepriority p
                WHERE p.province = %s AND p.warehouse_id = s.warehouse_id) AS rank
        FROM inventory_stock s
        JOIN inventory_warehouse w ON w.id = s.warehouse_id
        WHERE s.product_id IN ({placeholders}) AND w.active = %s AND w.allocatable = %s
        ORDER BY s.id{lock}"""
    return list(Stock.objects.raw(sql, [province or "", *params, True, True]))


def free_unexpired_lots(stock_ids, *, today: date) -> dict[int, list[Lot]]:
    """Sellable lots of these stock rows with free units and not expired, by stock id.

    Read after the stock rows are locked (lots are only written under their stock row's lock).
    """
    if not stock_ids:
        return {}
    placeholders, params = _in(stock_ids)
    sql = f"""
        SELECT id, stock_id, batch_number, received_at, expiry_date, bin_id, quantity, reserved, quarantined
        FROM inventory_lot
        WHERE stock_id IN ({placeholders}) AND quarantined = %s AND quantity > reserved
          AND (expiry_date IS NULL OR expiry_date >= %s)"""
    by_stock: dict[int, list[Lot]] = {}
    for lot in Lot.objects.raw(sql, [*params, False, today]):
        by_stock.setdefault(lot.stock_id, []).append(lot)
    return by_stock
