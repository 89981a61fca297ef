"""Goods-flow summaries on order lines, written by the stage that moved the goods."""

from __future__ import annotations

from django.db import transaction

from core.bulk import update_values
from orders.models import OrderLine


def order_line_quantities_set(*, lines: dict[int, dict[str, int]]) -> None:
    """Set goods-flow summaries per line id: `{line_id: {"quantity_reserved": 2}}`.

    Called by the stage that moved the goods, inside the transaction (and under the order's row
    lock) in which it writes its ledger rows and the order's timeline event; it writes no event of
    its own. The values are absolute, computed by the caller from what it read under its locks, so
    this only writes them, in id order, without reading them first and without a savepoint (the
    reservation benchmark spent a third of each reservation here when it read, locked and
    `bulk_update`d the lines). An unknown line id raises `OrderLine.DoesNotExist`.
    """
    allowed = {"quantity_reserved", "quantity_shipped", "quantity_returned"}
    for values in lines.values():
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"not a line quantity: {sorted(unknown)}")
    # Lines that set the same columns share one statement (in practice: all of them).
    by_columns: dict[tuple[str, ...], dict[int, list[int]]] = {}
    for line_id, values in lines.items():
        columns = tuple(sorted(values))
        if columns:
            by_columns.setdefault(columns, {})[line_id] = [int(values[name]) for name in columns]
    with transaction.atomic(savepoint=False):
        for columns, rows in by_columns.items():
            update_values(OrderLine, list(columns), rows, must_exist=True)  # unknown ids: OrderLine.DoesNotExist
