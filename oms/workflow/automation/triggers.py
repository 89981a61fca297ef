"""The triggers that lower stages cause, each from its stage's hook (issue 19's steps).

Registered in `WorkflowConfig.ready()`; each runs the trigger's rules inside the stage's transaction,
so a failing action rolls the stage's step back. Created / reviewed / paid are called directly by
the workflow's own services; shipped / completed / cancelled come from `order_status_changed`
(`engine.fire_on_status_change`).

- `delivered`: `shipment_delivered` (a carrier's report or a delivery confirmed by hand), before the
  order completes;
- `shipment_planned`: `shipments_planned` (new shipments for an order);
- `return_requested`: `return_requested` (after-sales);
- `refunded`: `refund_completed` (finance paid a refund out).
"""

from __future__ import annotations

from core import hooks
from oms.workflow.automation.engine import automation_fire
from oms.workflow.automation.models import Trigger


def on_shipment_delivered(payload: hooks.ShipmentDelivered) -> None:
    automation_fire(order=payload.order, trigger=Trigger.DELIVERED, actor=payload.actor)


def on_shipments_planned(payload: hooks.ShipmentsPlanned) -> None:
    automation_fire(order=payload.order, trigger=Trigger.SHIPMENT_PLANNED, actor=payload.actor)


def on_return_requested(payload: hooks.ReturnRequested) -> None:
    automation_fire(order=payload.order, trigger=Trigger.RETURN_REQUESTED, actor=payload.actor)


def on_refund_completed(payload: hooks.RefundCompleted) -> None:
    automation_fire(order=payload.order, trigger=Trigger.REFUNDED, actor=payload.actor)


def register() -> None:
    hooks.shipment_delivered.register(on_shipment_delivered)
    hooks.shipments_planned.register(on_shipments_planned)
    hooks.return_requested.register(on_return_requested)
    hooks.refund_completed.register(on_refund_completed)
