"""Row locks for stock, in one place so every writer locks the same way and in the same order.

The rule that keeps concurrent writers free of deadlocks: an order row first (its caller holds it),
then `Stock` rows in primary-key order, then order lines. Lots and reservations are only ever
written while their stock row is locked, so the stock row lock covers them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from inventory.models import Stock


def stock_qs_for_update() -> QuerySet[Stock]:
    # `of=("self",)`: lock the stock rows only, not the joined warehouse. (The product is not
    # joined: the hot allocation path never needs it, error messages load it lazily.)
    return Stock.objects.select_for_update(of=("self",)).select_related("warehouse")


def lock_stocks(pks: Iterable[int]) -> dict[int, Stock]:
    """Stock rows by pk, locked in pk order."""
    wanted = sorted(set(pks))
    if not wanted:
        return {}
    return {stock.pk: stock for stock in stock_qs_for_update().filter(pk__in=wanted).order_by("pk")}


def lock_stocks_for_products(product_ids: Iterable[int], *, warehouse_ids: Iterable[int] | None = None) -> list[Stock]:
    """Every stock row of these products (optionally only in these warehouses), locked in pk order."""
    qs = stock_qs_for_update().filter(product_id__in=sorted(set(product_ids)))
    if warehouse_ids is not None:
        qs = qs.filter(warehouse_id__in=sorted(set(warehouse_ids)))
    return list(qs.order_by("pk"))
