"""Goods coming back from customers (called by the after-sales stage) and quarantine decisions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from core import hooks
from core.errors import InsufficientStock, ValidationFailed
from inventory.models import Bin, Lot, MovementKind, StockMovement, Warehouse
from inventory.services.common import (
    Errors,
    document_number,
    fefo,
    find_product,
    find_warehouse,
    is_positive_int,
    lock_stock_map,
)
from inventory.services.ledger import LedgerBatch, require_perm
from orders.lock_objects import lock_order
from orders.models import OrderLine


class ReturnDisposition:
    RESTOCK = "restock"          # sellable again at once
    QUARANTINE = "quarantine"    # waits for QC in a quarantine bin; not sellable
    CHOICES = (RESTOCK, QUARANTINE)


@dataclass
class ReturnResult:
    lot: Lot
    warehouse: Warehouse
    quantity: int
    disposition: str


def returnable_quantity(*, order_line: OrderLine) -> int:
    """Units of the line issued for shipments and not yet received back, from the ledger."""
    sums = StockMovement.objects.filter(order_line=order_line).aggregate(
        issued=Sum("on_hand_delta", filter=Q(kind=MovementKind.ISSUE)),
        returned_on_hand=Sum("on_hand_delta", filter=Q(kind=MovementKind.RETURN)),
        returned_quarantine=Sum("quarantined_delta", filter=Q(kind=MovementKind.RETURN)),
    )
    issued = -(sums["issued"] or 0)
    returned = (sums["returned_on_hand"] or 0) + (sums["returned_quarantine"] or 0)
    return issued - returned


@transaction.atomic
def return_stock_receive(*, order_line: OrderLine, warehouse, quantity: int, disposition: str, reference: str,
                         actor, bin_code: str = "") -> ReturnResult:
    """Take returned units of a shipped order line back into a warehouse.

    `disposition` is `restock` (sellable at once; waiting backorders are retried) or `quarantine`
    (held in a quarantine bin until `quarantine_stock_release` decides). At most what was issued
    for the line and not yet returned can come back. Restocked goods rejoin their original lot when
    they come back to the warehouse they left from a single lot, keeping its age and expiry;
    otherwise they get a lot of their own. Writes ledger `return` rows with the RMA `reference`; the
    after-sales service writes the timeline event and `quantity_returned`.
    """
    errors = Errors()
    wh = find_warehouse(warehouse, errors)
    if not is_positive_int(quantity):
        errors.add("quantity", _("Must be a positive whole number."))
    if disposition not in ReturnDisposition.CHOICES:
        errors.add("disposition", _("Must be “restock” or “quarantine”."))
    if not (reference or "").strip():
        errors.add("reference", _("This field is required."))
    bin_obj = None
    if wh is not None and bin_code:
        wanted_kind = Bin.Kind.QUARANTINE if disposition == ReturnDisposition.QUARANTINE else Bin.Kind.STORAGE
        bin_obj = Bin.objects.filter(warehouse=wh, code__iexact=bin_code.strip(), kind=wanted_kind,
                                     active=True).first()
        if bin_obj is None:
            errors.add("bin", _("No suitable bin “%(bin)s” in this warehouse.") % {"bin": bin_code})
    errors.raise_if_any()
    lock_order(order_line.order_id)  # serialises returns of the same order: no double counting
    returnable = returnable_quantity(order_line=order_line)
    if quantity > returnable:
        raise InsufficientStock(
            _("Only %(count)s units of %(sku)s were shipped and not yet returned.")
            % {"count": returnable, "sku": order_line.sku}, errors={"quantity": [_("Too many units.")]},
        )
    stock = lock_stock_map(warehouse_ids=[wh.pk], product_ids=[order_line.product_id], create=True)[
        (wh.pk, order_line.product_id)]
    issued_lots = list(Lot.objects.filter(
        pk__in=StockMovement.objects.filter(order_line=order_line, kind=MovementKind.ISSUE).values("lot_id")))
    batch = LedgerBatch(actor=actor, reference=reference.strip(), reason=_("Customer return"),
                        order=order_line.order)
    quarantine = disposition == ReturnDisposition.QUARANTINE
    same_lot = issued_lots[0] if len(issued_lots) == 1 and issued_lots[0].stock_id == stock.pk else None
    if same_lot is not None and not quarantine and not same_lot.quarantined \
            and (bin_obj is None or same_lot.bin_id == bin_obj.pk):
        lot = same_lot
    else:
        if bin_obj is None and quarantine:
            bin_obj = Bin.objects.filter(warehouse=wh, kind=Bin.Kind.QUARANTINE, active=True).order_by("code").first()
        expiries = [lot.expiry_date for lot in issued_lots if lot.expiry_date]
        # Returned goods come back at the cost they left with, when their lots agree on one.
        costs = {lot.unit_cost for lot in issued_lots}
        lot = batch.new_lot(
            unit_cost=costs.pop() if len(costs) == 1 else None,
            stock=stock,
            batch_number=issued_lots[0].batch_number if len(issued_lots) == 1 else f"RET-{reference.strip()}",
            received_at=min((lot.received_at for lot in issued_lots), default=None) if not quarantine else None,
            expiry_date=min(expiries) if expiries else None, bin=bin_obj, quarantined=quarantine,
        )
    if quarantine:
        batch.move(kind=MovementKind.RETURN, stock=stock, lot=lot, quarantined=quantity, order_line=order_line)
    else:
        batch.move(kind=MovementKind.RETURN, stock=stock, lot=lot, on_hand=quantity, order_line=order_line)
    batch.flush()
    if not quarantine:
        hooks.stock_replenished.fire(hooks.StockReplenished(product_ids=(order_line.product_id,), warehouse_id=wh.pk,
                                                            kind=MovementKind.RETURN))
    return ReturnResult(lot=lot, warehouse=wh, quantity=quantity, disposition=disposition)


@transaction.atomic
def quarantine_stock_release(*, warehouse, sku: str, quantity: int, restock: bool, reason: str, actor,
                             reference: str = "") -> list[Lot]:
    """QC decided: quarantined units become sellable again (`restock=True`) or are scrapped.

    Oldest quarantine lots go first. Restocked units join a sellable lot with the same batch and
    expiry; waiting backorders are retried after commit.
    """
    require_perm(actor, "inventory.adjust_stock")
    errors = Errors()
    wh = find_warehouse(warehouse, errors)
    product = find_product(sku, errors)
    if not is_positive_int(quantity):
        errors.add("quantity", _("Must be a positive whole number."))
    if not (reason or "").strip():
        errors.add("reason", _("A reason is required."))
    errors.raise_if_any()
    stock = lock_stock_map(warehouse_ids=[wh.pk], product_ids=[product.pk], create=True)[(wh.pk, product.pk)]
    if quantity > stock.quarantined:
        raise InsufficientStock(_("Only %(count)s units of %(sku)s are in quarantine in %(warehouse)s.")
                                % {"count": stock.quarantined, "sku": product.sku, "warehouse": wh.code},
                                errors={"quantity": [_("Too many units.")]})
    number = reference.strip() or document_number("QC")
    batch = LedgerBatch(actor=actor, reference=number, reason=reason.strip())
    quarantine_lots = fefo(list(Lot.objects.filter(stock=stock, quarantined=True, quantity__gt=0)))
    sellable = {}
    if restock:
        sellable = {(lot.batch_number, lot.expiry_date): lot
                    for lot in Lot.objects.filter(stock=stock, quarantined=False).order_by("-received_at")}
    storage_bin = Bin.objects.filter(warehouse=wh, kind=Bin.Kind.STORAGE, active=True).order_by("code").first()
    touched = []
    wanted = quantity
    for qlot in quarantine_lots:
        if wanted == 0:
            break
        take = min(wanted, qlot.quantity)
        if restock:
            batch.move(kind=MovementKind.QUARANTINE_RELEASE, stock=stock, lot=qlot, quarantined=-take)
            target = sellable.get((qlot.batch_number, qlot.expiry_date))
            if target is None:
                target = batch.new_lot(stock=stock, batch_number=qlot.batch_number, received_at=qlot.received_at,
                                       expiry_date=qlot.expiry_date, bin=storage_bin, unit_cost=qlot.unit_cost)
                sellable[(qlot.batch_number, qlot.expiry_date)] = target
            batch.move(kind=MovementKind.QUARANTINE_RELEASE, stock=stock, lot=target, on_hand=take)
            touched.append(target)
        else:
            batch.move(kind=MovementKind.SCRAP, stock=stock, lot=qlot, quarantined=-take)
            touched.append(qlot)
        wanted -= take
    if wanted:
        raise ValidationFailed(errors={"quantity": [_("Quarantine lots do not add up; run check_stock.")]})
    batch.flush()
    if restock:
        hooks.stock_replenished.fire(hooks.StockReplenished(product_ids=(product.pk,), warehouse_id=wh.pk,
                                                            kind=MovementKind.QUARANTINE_RELEASE))
    return touched
