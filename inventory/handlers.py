"""Handlers of hooks fired by lower stages (registered in `InventoryConfig.ready()`)."""

from __future__ import annotations

from core.hooks import OrderCancelled


def release_stock_of_cancelled_order(payload: OrderCancelled) -> None:
    from inventory.services import order_stock_release

    order_stock_release(order=payload.order, actor=payload.actor, reason=payload.reason)
