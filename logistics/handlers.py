"""Handlers the logistics stage registers into lower stages' hooks (see `LogisticsConfig.ready`)."""

from __future__ import annotations

from oms.core.hooks import OrderCancelled, OrderStatusChanged
from orders.models import OrderStatus


def create_shipments_when_releasable(payload: OrderStatusChanged) -> None:
    """An order reached `awaiting_shipment` (reviewed and paid, or COD): plan its shipments."""
    if payload.target == OrderStatus.AWAITING_SHIPMENT:
        from logistics.services import order_shipments_create

        order_shipments_create(order=payload.order, actor=payload.actor)


def cancel_shipments(payload: OrderCancelled) -> None:
    """The order was cancelled before it shipped: withdraw the shipments still in the warehouse."""
    from logistics.services import order_shipments_cancel

    order_shipments_cancel(order=payload.order, actor=payload.actor, reason=payload.reason)
