"""Work in the own warehouse: pick waves, scanning items into the parcel, packing with weight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.selectors import normalise_sku
from core.actors import actor_user
from core.errors import InvalidTransition, ValidationFailed
from core.fsm import run_transition
from core.numbering import local_today, next_value
from finance.selectors import order_payment_covers_goods
from inventory.models import Warehouse
from logistics import events
from logistics.carriers import carrier_label, connector_for
from logistics.lock_objects import lock_shipment, lock_shipments
from logistics.models import Carrier, PickWave, Shipment, ShipmentLine, ShipmentStatus
from logistics.services.instructions import is_wms_run
from logistics.services.qc import qc_guard
from logistics.services.shipments import SHIPPABLE_ORDER_STATUSES
from orders.lock_objects import lock_order, lock_orders

MAX_WEIGHT_KG = Decimal("999.999")


def next_wave_number() -> str:
    prefix = f"WV{local_today():%Y%m%d}"
    return f"{prefix}{next_value(prefix):04d}"


@transaction.atomic
def wave_create(*, warehouse: Warehouse, shipment_ids: list[int], actor, carrier: str = "",
                cutoff: datetime | None = None) -> PickWave:
    """Start picking a batch of shipments of one own warehouse: they move to `picking` together.

    Every shipment must be `created`, of this warehouse (and carrier, when one is given) and of an
    order that may ship; otherwise nothing happens and every refused shipment is named.
    """
    if not shipment_ids:
        raise ValidationFailed(errors={"shipments": [_("Choose at least one shipment.")]})
    if carrier and carrier not in Carrier.values:
        raise ValidationFailed(errors={"carrier": [_("Unknown carrier “%(code)s”.") % {"code": carrier}]})
    if is_wms_run(warehouse):
        raise ValidationFailed(errors={"warehouse": [
            _("%(warehouse)s is run by an external WMS; it picks from the shipping instructions.")
            % {"warehouse": warehouse.name}]})
    order_ids = Shipment.objects.filter(pk__in=shipment_ids).values_list("order_id", flat=True)
    orders = {order.pk: order for order in lock_orders(set(order_ids))}
    shipments = lock_shipments(shipment_ids)
    errors: dict[str, list[str]] = {}
    if len(shipments) != len(set(shipment_ids)):
        errors["shipments"] = [_("Some of the chosen shipments do not exist.")]
    for shipment in shipments:
        problem = None
        if shipment.warehouse_id != warehouse.pk:
            problem = _("ships from another warehouse")
        elif carrier and shipment.carrier != carrier:
            problem = _("goes with another carrier")
        elif shipment.status != ShipmentStatus.CREATED:
            problem = _("is already %(status)s") % {"status": shipment.get_status_display()}
        elif orders[shipment.order_id].status not in SHIPPABLE_ORDER_STATUSES:
            problem = _("belongs to an order that is %(status)s") % {
                "status": orders[shipment.order_id].get_status_display()}
        if problem:
            errors.setdefault(f"shipments.{shipment.number}", []).append(str(problem))
    if errors:
        raise ValidationFailed(_("These shipments cannot be picked now."), errors=errors)
    now = timezone.now()
    wave = PickWave.objects.create(number=next_wave_number(), warehouse=warehouse, carrier=carrier, cutoff=cutoff,
                                   created_by=actor_user(actor), created_at=now)
    for shipment in shipments:
        run_transition(shipment, "start_picking", actor=actor)
        shipment.wave = wave
        shipment.picking_at = now
    Shipment.objects.bulk_update(shipments, ["status", "wave", "picking_at", "updated_at"])
    for shipment in shipments:
        events.picking_started_event(order=orders[shipment.order_id], actor=actor, shipment=shipment, wave=wave)
    return wave


@dataclass
class ScanResult:
    shipment: Shipment
    line: ShipmentLine
    complete: bool  # every line of the shipment fully scanned


def _check_packable(shipment: Shipment, order, *, own_bench: bool = False) -> None:
    if own_bench and is_wms_run(shipment.warehouse):
        raise InvalidTransition(_("Shipment %(number)s is packed by the WMS of %(warehouse)s, not at our bench.")
                                % {"number": shipment.number, "warehouse": shipment.warehouse.name})
    if shipment.status not in (ShipmentStatus.CREATED, ShipmentStatus.PICKING):
        raise InvalidTransition(_("Shipment %(number)s is already %(status)s.")
                                % {"number": shipment.number, "status": shipment.get_status_display()})
    if order.status not in SHIPPABLE_ORDER_STATUSES:
        raise InvalidTransition(_("Order %(number)s is %(status)s; do not pack it.")
                                % {"number": order.number, "status": order.get_status_display()})
    if not order_payment_covers_goods(order=order):
        raise InvalidTransition(_("Order %(number)s has been refunded and its payment no longer covers the goods; "
                                  "do not pack it.") % {"number": order.number})
    qc_guard(order)  # a quality check asked for by a rule comes first (issue 19)


@transaction.atomic
def shipment_scan(*, shipment: Shipment, code: str, actor, quantity: int = 1) -> ScanResult:
    """One scan at the packing bench: the item's barcode (or SKU) goes into the parcel.

    An item that is not in the shipment, or one more than the shipment holds, is refused with a
    `ValidationFailed` whose `data["reason"]` is `wrong_item` or `extra_quantity`, so the screen can
    refuse it loudly. Scans write no timeline event; packing the parcel does.
    """
    wanted = normalise_sku(code)
    if not wanted:
        raise ValidationFailed(errors={"code": [_("Scan an item barcode.")]})
    if not isinstance(quantity, int) or quantity < 1:
        raise ValidationFailed(errors={"quantity": [_("Must be a positive whole number.")]})
    order = lock_order(shipment.order_id)
    shipment = lock_shipment(shipment)
    _check_packable(shipment, order, own_bench=True)
    lines = list(shipment.lines.select_related("order_line__product").order_by("pk"))
    matching = [line for line in lines
                if wanted in (normalise_sku(line.order_line.product.barcode), normalise_sku(line.order_line.sku))]
    if not matching:
        raise ValidationFailed(
            _("Wrong item: %(code)s is not in shipment %(number)s.")
            % {"code": code.strip(), "number": shipment.number},
            errors={"code": [_("Not in this shipment.")]}, data={"reason": "wrong_item", "code": code.strip()})
    line = next((candidate for candidate in matching if candidate.remaining_to_pack >= quantity), None)
    if line is None:
        first = matching[0]
        raise ValidationFailed(
            _("Too many: %(sku)s needs only %(quantity)s and %(packed)s are already packed.")
            % {"sku": first.order_line.sku, "quantity": sum(m.quantity for m in matching),
               "packed": sum(m.quantity_packed for m in matching)},
            errors={"code": [_("Extra quantity.")]}, data={"reason": "extra_quantity", "code": code.strip()})
    line.quantity_packed += quantity
    line.save(update_fields=["quantity_packed"])
    if shipment.status == ShipmentStatus.CREATED:
        # Packed straight from the shelf, without a wave: picking starts with the first scan.
        run_transition(shipment, "start_picking", actor=actor)
        shipment.picking_at = timezone.now()
        shipment.save(update_fields=["status", "picking_at", "updated_at"])
    complete = all(candidate.remaining_to_pack == 0 for candidate in lines)
    return ScanResult(shipment=shipment, line=line, complete=complete)


@transaction.atomic
def shipment_scan_reset(*, shipment: Shipment, actor) -> Shipment:
    """Empty the parcel and start scanning again (the clerk lost count)."""
    order = lock_order(shipment.order_id)
    shipment = lock_shipment(shipment)
    _check_packable(shipment, order)
    shipment.lines.update(quantity_packed=0)
    return shipment


def parse_weight(value, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise ValidationFailed(errors={"weight_kg": [_("Enter the parcel's weight.")]})
        return None
    try:
        weight = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationFailed(errors={"weight_kg": [_("Enter a weight in kilograms, e.g. 1.25.")]})
    if not weight.is_finite() or weight <= 0 or weight > MAX_WEIGHT_KG:
        raise ValidationFailed(errors={"weight_kg": [_("The weight must be above 0 and at most 999.999 kg.")]})
    return weight.quantize(Decimal("0.001"))


def parse_packages(value) -> int:
    try:
        packages = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(errors={"packages": [_("Must be a positive whole number.")]})
    if packages < 1 or packages > 99:
        raise ValidationFailed(errors={"packages": [_("Between 1 and 99 packages.")]})
    return packages


def shipment_pack(*, shipment: Shipment, actor, weight_kg=None, packages=1, tracking_number: str = "",
                  verify_scan: bool = True, assign_waybill: bool = True) -> Shipment:
    """Close the parcel: weight, number of packages, a waybill number from the carrier; → `packed`.

    At the own packing bench (`verify_scan`) every unit must have been scanned and the weight is
    required. A WMS reporting `packed` skips both. The waybill number is asked from the carrier's
    connector before the transaction opens (it may be a call to the carrier); a WMS that prints its
    own waybills reports the number when it ships (`assign_waybill=False`).
    """
    weight = parse_weight(weight_kg, required=verify_scan)
    packages = parse_packages(packages)
    tracking_number = (tracking_number or "").strip()
    if assign_waybill and not tracking_number and not shipment.tracking_number:
        tracking_number = connector_for(shipment.carrier).waybill_number(shipment=shipment)
    with transaction.atomic():
        order = lock_order(shipment.order_id)
        shipment = lock_shipment(shipment)
        _check_packable(shipment, order, own_bench=verify_scan)
        if verify_scan:
            missing = {
                f"lines.{line.order_line.sku}": [
                    _("%(packed)s of %(quantity)s scanned.") % {"packed": line.quantity_packed,
                                                                 "quantity": line.quantity}]
                for line in shipment.lines.select_related("order_line") if line.remaining_to_pack
            }
            if missing:
                raise ValidationFailed(_("Scan every item before packing."), errors=missing)
        if tracking_number and not shipment.tracking_number:
            _check_tracking_free(shipment, shipment.carrier, tracking_number)
            shipment.tracking_number = tracking_number
        if weight is not None:
            shipment.weight_kg = weight
        shipment.packages = packages
        shipment.packed_at = timezone.now()
        run_transition(shipment, "pack", actor=actor)
        shipment.save()
        events.shipment_packed_event(order=order, actor=actor, shipment=shipment)
    return shipment


def _check_tracking_free(shipment: Shipment, carrier: str, tracking_number: str) -> None:
    taken = (Shipment.objects.filter(carrier=carrier, tracking_number=tracking_number)
             .exclude(pk=shipment.pk).values_list("number", flat=True).first())
    if taken:
        raise ValidationFailed(errors={"tracking_number": [
            _("%(carrier)s waybill %(tracking)s already belongs to shipment %(number)s.")
            % {"carrier": carrier_label(carrier), "tracking": tracking_number, "number": taken}]})


@transaction.atomic
def labels_mark_printed(*, shipment_ids: list[int], actor) -> int:
    """Remember which labels went to the printer (batch printing shows what is left)."""
    return Shipment.objects.filter(pk__in=list(shipment_ids)).exclude(tracking_number="").update(
        label_printed_at=timezone.now())


@transaction.atomic
def shipment_start_picking(*, shipment: Shipment, actor, note: str = "") -> Shipment:
    """One shipment starts being picked outside a wave (a WMS reports `picked`, a clerk starts by hand)."""
    order = lock_order(shipment.order_id)
    shipment = lock_shipment(shipment)
    _check_packable(shipment, order)
    if shipment.status == ShipmentStatus.PICKING:
        return shipment
    run_transition(shipment, "start_picking", actor=actor)
    shipment.picking_at = timezone.now()
    shipment.save(update_fields=["status", "picking_at", "updated_at"])
    events.picking_started_event(order=order, actor=actor, shipment=shipment, note=note)
    return shipment
