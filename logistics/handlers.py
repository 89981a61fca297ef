"""Handlers the logistics stage registers into lower stages' hooks (see `LogisticsConfig.ready`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from core.hooks import OrderAddressChanged, OrderCancelled, OrderStatusChanged
from orders.models import OrderStatus

RELEASED = (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED)

_planned_by_caller: ContextVar[bool] = ContextVar("shipments_planned_by_caller", default=False)


@contextmanager
def shipments_planned_by_caller() -> Iterator[None]:
    """Inside this block the hook does not plan shipments of orders reaching `awaiting_shipment`:
    the caller has them planned (every request and the workflow's services record a follow-up that
    plans them after commit, `oms.workflow.follow_ups.after_commit`)."""
    token = _planned_by_caller.set(True)
    try:
        yield
    finally:
        _planned_by_caller.reset(token)


def _held_after_release(payload: OrderStatusChanged) -> bool:
    return payload.target == OrderStatus.ON_HOLD and payload.source in RELEASED


def create_shipments_when_releasable(payload: OrderStatusChanged) -> None:
    """An order reached `awaiting_shipment` (reviewed and paid, or COD): plan its shipments — inline
    only outside `shipments_planned_by_caller` (a lower stage used on its own: a shell, its tests);
    the workflow defers the planning to a follow-up everywhere else.

    An order put on hold after its release keeps its shipments, but a WMS holding them is told to
    stop, and to go on when the order is released again.
    """
    from logistics.services import order_shipments_create, order_shipments_hold

    if _held_after_release(payload):
        order_shipments_hold(order=payload.order, hold=True, actor=payload.actor)
    elif payload.target == OrderStatus.AWAITING_SHIPMENT:
        if payload.source == OrderStatus.ON_HOLD:
            order_shipments_hold(order=payload.order, hold=False, actor=payload.actor)
        if not _planned_by_caller.get():
            order_shipments_create(order=payload.order, actor=payload.actor)


def create_shipments_when_releasable_many(payloads: list[OrderStatusChanged]) -> None:
    """`create_shipments_when_releasable` for a bulk step: released orders put on hold together
    (the legacy import's orders short of stock) have their shipments held in one query."""
    from logistics.services import orders_shipments_hold

    held = [p for p in payloads if _held_after_release(p)]
    if held:
        orders_shipments_hold(orders=[p.order for p in held], hold=True, actor=held[0].actor)
    for payload in payloads:
        if not _held_after_release(payload):
            create_shipments_when_releasable(payload)


def cancel_shipments(payload: OrderCancelled) -> None:
    """The order was cancelled before it shipped: withdraw the shipments still in the warehouse."""
    from logistics.services import order_shipments_cancel

    order_shipments_cancel(order=payload.order, actor=payload.actor, reason=payload.reason)


def update_shipments_address(payload: OrderAddressChanged) -> None:
    """The recipient changed: a WMS that already holds the order's parcels gets the new address."""
    from logistics.services import order_shipments_readdress

    order_shipments_readdress(order=payload.order, actor=payload.actor)
