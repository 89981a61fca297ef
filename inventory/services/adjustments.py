"""Clerk corrections: adjustments with a reason, transfers between warehouses, stock settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from core import hooks
from core.errors import InsufficientStock
from inventory.models import Lot, MovementKind, Stock, StockMovement
from inventory.services.common import (
    Errors,
    document_number,
    fefo,
    find_product,
    find_warehouse,
    is_positive_int,
    lock_stock_map,
    sellable_lots,
)
from inventory.services.ledger import LedgerBatch, require_perm


@dataclass
class Adjustment:
    number: str
    stock: Stock
    movements: list[StockMovement] = field(default_factory=list)


def take_from_lots(batch: LedgerBatch, *, kind: str, stock: Stock, lots: list[Lot], quantity: int) -> list[tuple]:
    """Take free units out of sellable lots, first expired / first in first; returns (lot, units) taken."""
    taken = []
    wanted = quantity
    for lot in fefo(lots):
        if wanted == 0:
            break
        take = min(wanted, lot.free)
        if take <= 0:
            continue
        batch.move(kind=kind, stock=stock, lot=lot, on_hand=-take)
        taken.append((lot, take))
        wanted -= take
    if wanted:
        raise InsufficientStock(_("Not enough free stock of %(sku)s in %(warehouse)s.")
                                % {"sku": stock.product.sku, "warehouse": stock.warehouse.code})
    return taken


@transaction.atomic
def stock_adjust(*, warehouse, sku: str, quantity_change: int, reason: str, actor, batch_number: str = "",
                 expiry_date: date | None = None) -> Adjustment:
    """Correct sellable stock by a signed amount with a required reason (damage, found goods, …).

    Up: a new lot (batch number optional). Down: free units leave first-expired / first-in; stock
    reserved for orders cannot be adjusted away (release or ship it first).
    """
    require_perm(actor, "inventory.adjust_stock")
    errors = Errors()
    wh = find_warehouse(warehouse, errors)
    product = find_product(sku, errors)
    if not isinstance(quantity_change, int) or isinstance(quantity_change, bool) or quantity_change == 0:
        errors.add("quantity_change", _("Must be a whole number other than zero."))
    if not (reason or "").strip():
        errors.add("reason", _("A reason is required."))
    errors.raise_if_any()
    stock = lock_stock_map(warehouse_ids=[wh.pk], product_ids=[product.pk], create=True)[(wh.pk, product.pk)]
    if quantity_change < 0 and -quantity_change > stock.on_hand - stock.reserved:
        raise InsufficientStock(
            _("Only %(free)s units of %(sku)s in %(warehouse)s are not reserved.")
            % {"free": stock.on_hand - stock.reserved, "sku": product.sku, "warehouse": wh.code},
            errors={"quantity_change": [_("More than the unreserved stock.")]},
        )
    number = document_number("AJ")
    batch = LedgerBatch(actor=actor, reference=number, reason=reason.strip())
    if quantity_change > 0:
        lot = batch.new_lot(stock=stock, batch_number=(batch_number or "").strip() or number, expiry_date=expiry_date)
        batch.move(kind=MovementKind.ADJUSTMENT, stock=stock, lot=lot, on_hand=quantity_change)
    else:
        take_from_lots(batch, kind=MovementKind.ADJUSTMENT, stock=stock,
                       lots=sellable_lots([stock.pk]).get(stock.pk, []), quantity=-quantity_change)
    movements = batch.flush()
    if quantity_change > 0:
        hooks.stock_replenished.fire(hooks.StockReplenished(product_ids=(product.pk,), warehouse_id=wh.pk,
                                                            kind=MovementKind.ADJUSTMENT))
    return Adjustment(number=number, stock=stock, movements=movements)


@transaction.atomic
def stock_transfer(*, source, destination, sku: str, quantity: int, reason: str, actor) -> Adjustment:
    """Move available units between warehouses; lots keep their batch, receipt date and expiry.

    Only available stock moves (not reserved, not safety stock, not expired lots). Both stock rows are locked in pk
    order. Waiting backorders are retried after commit for the destination.
    """
    require_perm(actor, "inventory.transfer_stock")
    errors = Errors()
    src = find_warehouse(source, errors, "source")
    dst = find_warehouse(destination, errors, "destination")
    product = find_product(sku, errors)
    if not is_positive_int(quantity):
        errors.add("quantity", _("Must be a positive whole number."))
    if src is not None and dst is not None and src.pk == dst.pk:
        errors.add("destination", _("Source and destination must differ."))
    if not (reason or "").strip():
        errors.add("reason", _("A reason is required."))
    errors.raise_if_any()
    stocks = lock_stock_map(warehouse_ids=[src.pk, dst.pk], product_ids=[product.pk], create=True)
    out_stock, in_stock = stocks[(src.pk, product.pk)], stocks[(dst.pk, product.pk)]
    if quantity > out_stock.available:
        raise InsufficientStock(
            _("Only %(available)s units of %(sku)s are available in %(warehouse)s.")
            % {"available": out_stock.available, "sku": product.sku, "warehouse": src.code},
            errors={"quantity": [_("More than the available stock.")]},
        )
    # Expired lots stay where they are (they are written off, not shipped around).
    lots = sellable_lots([out_stock.pk], include_expired=False).get(out_stock.pk, [])
    movable = sum(lot.free for lot in lots)
    if quantity > movable:
        raise InsufficientStock(
            _("Only %(available)s units of %(sku)s in %(warehouse)s are in lots that have not expired.")
            % {"available": movable, "sku": product.sku, "warehouse": src.code},
            errors={"quantity": [_("More than the available stock.")]},
        )
    number = document_number("TR")
    batch = LedgerBatch(actor=actor, reference=number, reason=reason.strip())
    taken = take_from_lots(batch, kind=MovementKind.TRANSFER_OUT, stock=out_stock, lots=lots, quantity=quantity)
    for lot, units in taken:
        twin = batch.new_lot(stock=in_stock, batch_number=lot.batch_number, received_at=lot.received_at,
                             expiry_date=lot.expiry_date, unit_cost=lot.unit_cost)  # goods keep their cost
        batch.move(kind=MovementKind.TRANSFER_IN, stock=in_stock, lot=twin, on_hand=units)
    movements = batch.flush()
    hooks.stock_replenished.fire(hooks.StockReplenished(product_ids=(product.pk,), warehouse_id=dst.pk,
                                                        kind=MovementKind.TRANSFER_IN))
    return Adjustment(number=number, stock=in_stock, movements=movements)


@transaction.atomic
def stock_settings_update(*, stock: Stock, safety_stock: int, low_stock_threshold: int, actor) -> Stock:
    """Change how much is kept back from allocation and when a low-stock alert shows. Not a movement."""
    require_perm(actor, "inventory.change_stock")
    errors = Errors()
    for name, value in (("safety_stock", safety_stock), ("low_stock_threshold", low_stock_threshold)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors.add(name, _("Must be zero or a positive whole number."))
    errors.raise_if_any()
    locked = lock_stock_map(warehouse_ids=[stock.warehouse_id], product_ids=[stock.product_id])[
        (stock.warehouse_id, stock.product_id)]
    locked.safety_stock = safety_stock
    locked.low_stock_threshold = low_stock_threshold
    locked.save(update_fields=["safety_stock", "low_stock_threshold"])
    return locked
