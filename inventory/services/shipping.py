"""Goods leaving with a shipment: reserved stock is issued (called by the logistics stage)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import InsufficientStock, InvalidTransition
from inventory.allocation import LotOption, get_strategy
from inventory.lock_objects import lock_stocks
from inventory.models import Lot, MovementKind, Reservation
from inventory.services.common import Errors, find_warehouse, is_positive_int
from inventory.services.ledger import LedgerBatch
from orders.lock_objects import lock_order
from orders.models import Order, OrderStatus
from orders.services import order_line_quantities_set

ISSUABLE_STATUSES = (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED)


@dataclass
class IssueResult:
    order: Order
    warehouse_code: str
    reference: str
    lines: dict[int, list[dict]] = field(default_factory=dict)  # line id → [{"batch", "expiry", "quantity"}]


@transaction.atomic
def shipment_stock_issue(*, order: Order, warehouse, quantities: dict[int, int], reference: str,
                         actor) -> IssueResult:
    """Issue reserved units of an order from one warehouse for a shipment: `{order_line_id: qty}`.

    Each unit must be reserved for that line in that warehouse; lots leave first-expired, then
    first-in. Writes ledger `issue` rows (on hand and reserved both go down) with the shipment
    `reference`, and the lines' `quantity_reserved`. It writes no timeline event and does not touch
    `quantity_shipped`: the calling logistics service owns the shipment, its event and that summary,
    and can print the returned lots (batch, expiry) on the packing slip.
    """
    errors = Errors()
    wh = find_warehouse(warehouse, errors)
    if not quantities:
        errors.add("lines", _("A shipment needs at least one line."))
    if not (reference or "").strip():
        errors.add("reference", _("This field is required."))
    for line_id, qty in (quantities or {}).items():
        if not is_positive_int(qty):
            errors.add(f"lines.{line_id}", _("Must be a positive whole number."))
    errors.raise_if_any()
    order = lock_order(order)
    if order.status not in ISSUABLE_STATUSES:
        raise InvalidTransition(_("Stock can only be issued for orders awaiting shipment."))
    line_by_id = {line.pk: line for line in order.lines.all()}
    for line_id in quantities:
        if line_id not in line_by_id:
            errors.add(f"lines.{line_id}", _("Not a line of order %(number)s.") % {"number": order.number})
    errors.raise_if_any()
    reservations = list(Reservation.objects.filter(order=order, order_line_id__in=list(quantities),
                                                   stock__warehouse=wh, quantity__gt=0).order_by("pk"))
    reserved_here: dict[int, int] = {}
    for r in reservations:
        reserved_here[r.order_line_id] = reserved_here.get(r.order_line_id, 0) + r.quantity
    for line_id, qty in quantities.items():
        if qty > reserved_here.get(line_id, 0):
            errors.add(f"lines.{line_id}", _("Only %(reserved)s of %(sku)s are reserved in %(warehouse)s.")
                       % {"reserved": reserved_here.get(line_id, 0), "sku": line_by_id[line_id].sku,
                          "warehouse": wh.code})
    if errors:
        raise InsufficientStock(_("Not enough reserved stock for this shipment."), errors=errors.errors)

    stocks = lock_stocks(r.stock_id for r in reservations)
    lots = {lot.pk: lot for lot in Lot.objects.filter(pk__in={r.lot_id for r in reservations})}
    strategy = get_strategy()
    batch = LedgerBatch(actor=actor, reference=reference.strip(), reason=_("Issued for shipment"), order=order)
    result = IssueResult(order=order, warehouse_code=wh.code, reference=reference.strip())
    by_line: dict[int, dict[int, Reservation]] = {}
    for r in reservations:
        by_line.setdefault(r.order_line_id, {})[r.lot_id] = r
    for line_id, qty in quantities.items():
        line = line_by_id[line_id]
        options = [LotOption(lot_id=lot_id, free=r.quantity, received_at=lots[lot_id].received_at,
                             expiry_date=lots[lot_id].expiry_date) for lot_id, r in by_line[line_id].items()]
        wanted = qty
        issued = []
        for option in strategy.lot_order(options):
            if wanted == 0:
                break
            r = by_line[line_id][option.lot_id]
            take = min(wanted, r.quantity)
            lot = lots[r.lot_id]
            batch.move(kind=MovementKind.ISSUE, stock=stocks[r.stock_id], lot=lot, on_hand=-take, reserved=-take,
                       order_line=line)
            r.quantity -= take
            r.quantity_issued += take
            wanted -= take
            issued.append({"batch": lot.batch_number,
                           "expiry": lot.expiry_date.isoformat() if lot.expiry_date else None, "quantity": take})
        result.lines[line_id] = issued
    batch.flush()
    Reservation.objects.bulk_update(reservations, ["quantity", "quantity_issued"])
    order_line_quantities_set(lines={
        line_id: {"quantity_reserved": line_by_id[line_id].quantity_reserved - qty}
        for line_id, qty in quantities.items()
    })
    return result
