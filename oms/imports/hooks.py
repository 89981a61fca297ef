"""The seam where the goods and funds flows join imported open orders.

Imported orders enter in their legacy status without re-running review. Historical ones (shipped,
completed, cancelled) are records and move nothing. Open ones (pending review, awaiting payment,
awaiting shipment) continue through the normal lifecycle, so the stages that own stock and money
have to catch up with them: an order awaiting payment or shipment holds reserved stock, and a paid
amount belongs in the journal.

`open_orders_imported` fires once per written batch, inside the batch's transaction and after the
orders, lines and timeline events exist, with the open orders of that batch. A failing handler
rolls the batch back (those orders are then reported as not imported). The inventory and finance
stages sit below this app, so their handlers are registered here, in `ImportsConfig.ready()` (see
`register_stage_handlers`), calling those stages' own services:

    from oms.imports import hooks
    hooks.open_orders_imported.register(reserve_stock_for_imported_orders)   # inventory services
    hooks.open_orders_imported.register(book_imported_payments)              # finance services
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.hooks import Hook
from orders.models import OrderStatus

# Statuses an imported order may have in which it still moves through the lifecycle.
OPEN_IMPORT_STATUSES = (OrderStatus.PENDING_REVIEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_SHIPMENT)


@dataclass(frozen=True)
class OpenOrdersImported:
    orders: list  # orders.models.Order, just created, with `lines` written (not prefetched)
    actor: Any  # the User who ran the import, or a SystemActor for the command line
    batch: Any  # oms.imports.models.ImportBatch or None


open_orders_imported: Hook[OpenOrdersImported] = Hook(
    "open_orders_imported",
    "After a batch of legacy orders in open statuses was written, inside its transaction: reserve stock "
    "for orders awaiting payment or shipment, book paid amounts in the journal.",
)


def register_stage_handlers() -> None:
    """Called from `ImportsConfig.ready()`: the lead wires inventory and finance here once they merge."""
    open_orders_imported.register(reserve_stock_for_imported_orders)


def reserve_stock_for_imported_orders(payload: OpenOrdersImported) -> None:
    """Inventory: open orders awaiting payment or shipment reserve their stock; short ones wait for it."""
    from oms.workflow.services import imported_orders_reserve_stock

    imported_orders_reserve_stock(orders=payload.orders, actor=payload.actor)
