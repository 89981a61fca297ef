"""Goods coming in: supplier receipts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.selectors import normalise_sku, products_by_sku
from core import hooks
from inventory.models import Bin, Lot, MovementKind, Warehouse
from inventory.services.common import Errors, document_number, find_warehouse, is_positive_int, lock_stock_map
from inventory.services.ledger import LedgerBatch, require_perm


@dataclass(frozen=True)
class ReceiptLine:
    sku: str
    quantity: int
    batch_number: str = ""
    expiry_date: date | None = None
    bin_code: str = ""
    unit_cost: Decimal | None = None  # purchase cost of one unit; None: the product's standard cost


@dataclass
class Receipt:
    number: str
    warehouse: Warehouse
    lots: list[Lot] = field(default_factory=list)


def _cost(value) -> Decimal | None:
    try:
        cost = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not cost.is_finite() or cost < 0 or cost != cost.quantize(Decimal("0.01")) or cost >= Decimal("1e12"):
        return None
    return cost.quantize(Decimal("0.01"))


@transaction.atomic
def stock_receive(*, warehouse, lines: list[ReceiptLine], actor, reference: str = "", note: str = "",
                  received_at: datetime | None = None) -> Receipt:
    """Book goods received from a supplier: one lot per line (batch, expiry, bin), numbered `RC…`.

    `reference` is the supplier's delivery note or purchase order; it goes into the ledger reason,
    the receipt number into the ledger reference.

    Every problem of the request is reported at once (`lines.1.quantity`), and nothing is stored
    unless all lines are good. Waiting backorders are retried after commit (`stock_replenished`).
    """
    require_perm(actor, "inventory.receive_stock")
    errors = Errors()
    wh = find_warehouse(warehouse, errors)
    if not lines:
        errors.add("lines", _("A receipt needs at least one line."))
    products = products_by_sku(line.sku for line in lines if isinstance(line.sku, str))
    bins = {b.code.upper(): b for b in Bin.objects.filter(warehouse=wh, active=True)} if wh else {}
    for index, line in enumerate(lines):
        if products.get(normalise_sku(line.sku)) is None:
            errors.add(f"lines.{index}.sku", _("Unknown SKU “%(sku)s”.") % {"sku": line.sku})
        if not is_positive_int(line.quantity):
            errors.add(f"lines.{index}.quantity", _("Must be a positive whole number."))
        if line.bin_code and wh is not None:
            found = bins.get(line.bin_code.strip().upper())
            if found is None or found.kind != Bin.Kind.STORAGE:
                errors.add(f"lines.{index}.bin", _("No storage bin “%(bin)s” in this warehouse.")
                           % {"bin": line.bin_code})
        if line.unit_cost is not None and _cost(line.unit_cost) is None:
            errors.add(f"lines.{index}.unit_cost", _("Enter a cost of zero or more, with at most 2 decimals."))
        if len(line.batch_number or "") > 64:
            errors.add(f"lines.{index}.batch_number", _("At most 64 characters."))
    errors.raise_if_any()

    number = document_number("RC")
    product_ids = sorted({products[normalise_sku(line.sku)].pk for line in lines})
    stocks = lock_stock_map(warehouse_ids=[wh.pk], product_ids=product_ids, create=True)
    parts = ((note or "").strip() or _("Supplier receipt"), (reference or "").strip())
    reason = " ".join(part for part in parts if part)
    batch = LedgerBatch(actor=actor, reference=number, reason=reason)
    receipt = Receipt(number=number, warehouse=wh)
    for line in lines:
        product = products[normalise_sku(line.sku)]
        stock = stocks[(wh.pk, product.pk)]
        lot = batch.new_lot(stock=stock, batch_number=(line.batch_number or "").strip() or number,
                            received_at=received_at, expiry_date=line.expiry_date,
                            bin=bins.get((line.bin_code or "").strip().upper()),
                            unit_cost=_cost(line.unit_cost) if line.unit_cost is not None else None)
        batch.move(kind=MovementKind.RECEIPT, stock=stock, lot=lot, on_hand=line.quantity)
        receipt.lots.append(lot)
    batch.flush()
    hooks.stock_replenished.fire(hooks.StockReplenished(product_ids=tuple(product_ids), warehouse_id=wh.pk,
                                                        kind=MovementKind.RECEIPT))
    return receipt
