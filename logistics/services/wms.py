"""Reports from a warehouse management system about an order's parcels in one of its warehouses.

A WMS speaks about orders, not about our shipments (contract: `POST /api/v1/webhooks/wms/{warehouse}`
with `picked`, `packed` or `shipped`, and optional `lines` for a partial shipment). These services
map a report onto the order's shipments still in that warehouse and call the shipment services;
reports that arrive again (a retried delivery) change nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.selectors import normalise_sku
from core.errors import InvalidTransition, ValidationFailed
from core.fsm import run_transition
from inventory.models import Warehouse
from logistics.lock_objects import lock_shipments
from logistics.models import IN_WAREHOUSE_STATUSES, Shipment, ShipmentLine, ShipmentStatus
from logistics.services.shipments import shipment_carrier_change
from logistics.services.shipping import ShipOutcome, shipment_ship
from logistics.services.warehouse_work import shipment_pack, shipment_start_picking
from orders.lock_objects import lock_order
from orders.models import Order


class WmsEvent:
    PICKED = "picked"
    PACKED = "packed"
    SHIPPED = "shipped"
    ALL = (PICKED, PACKED, SHIPPED)


@dataclass(frozen=True)
class ReportedLine:
    sku: str
    quantity: int


def _open_shipments(order: Order, warehouse: Warehouse) -> list[Shipment]:
    ids = order.shipments.filter(warehouse=warehouse, status__in=IN_WAREHOUSE_STATUSES).values_list("pk", flat=True)
    return lock_shipments(ids)


def _consolidate(shipments: list[Shipment]) -> Shipment:
    """Several open shipments of one warehouse leave as one parcel: fold them into the oldest."""
    target, others = shipments[0], shipments[1:]
    if not others:
        return target
    lines = {line.order_line_id: line for line in target.lines.all()}
    for other in others:
        for line in other.lines.all():
            mine = lines.get(line.order_line_id)
            if mine is None:
                ShipmentLine.objects.filter(pk=line.pk).update(shipment=target)
                lines[line.order_line_id] = line
            else:
                mine.quantity += line.quantity - line.quantity_shipped
                mine.quantity_packed += line.quantity_packed
                mine.save(update_fields=["quantity", "quantity_packed"])
                line.delete()
        target.cod_amount += other.cod_amount
        other.cod_amount = 0
        run_transition(other, "cancel", actor=None)
        other.exception_reason = _("Merged into %(number)s.") % {"number": target.number}
        other.save()
    target.save(update_fields=["cod_amount", "updated_at"])
    return target


def _quantities(shipment: Shipment, lines: list[ReportedLine]) -> dict[int, int]:
    """Reported SKUs → {order line id: units} of this shipment; every problem named by its path."""
    by_sku: dict[str, list[ShipmentLine]] = defaultdict(list)
    for line in shipment.lines.select_related("order_line").order_by("pk"):
        by_sku[normalise_sku(line.order_line.sku)].append(line)
    wanted: dict[int, int] = defaultdict(int)
    errors: dict[str, list[str]] = {}
    for index, reported in enumerate(lines):
        candidates = by_sku.get(normalise_sku(reported.sku))
        if not candidates:
            errors[f"lines.{index}.sku"] = [_("%(sku)s is not waiting to ship from this warehouse.")
                                            % {"sku": reported.sku}]
            continue
        left = reported.quantity
        for line in candidates:
            room = line.quantity - line.quantity_shipped - wanted[line.order_line_id]
            take = min(room, left)
            if take > 0:
                wanted[line.order_line_id] += take
                left -= take
        if left:
            errors[f"lines.{index}.quantity"] = [_("Only %(open)s of %(sku)s are waiting to ship from here.")
                                                 % {"open": reported.quantity - left, "sku": reported.sku}]
    if errors:
        raise ValidationFailed(errors=errors)
    return dict(wanted)


def wms_report(*, order: Order, warehouse: Warehouse, event: str, actor, carrier: str = "", tracking_number: str = "",
               weight_kg=None, lines: list[ReportedLine] | None = None) -> list[Shipment] | ShipOutcome:
    """Apply one WMS report to the order's parcels in `warehouse`."""
    if event not in WmsEvent.ALL:
        raise ValidationFailed(errors={"event": [_("Unknown event “%(event)s”.") % {"event": event}]})
    tracking_number = (tracking_number or "").strip()
    if event == WmsEvent.SHIPPED:
        with transaction.atomic():
            order = lock_order(order)
            open_ones = _open_shipments(order, warehouse)
            if not open_ones:
                done = order.shipments.filter(warehouse=warehouse, tracking_number=tracking_number).exclude(
                    status=ShipmentStatus.CANCELLED).first()
                if done is not None:  # the same report processed before
                    return ShipOutcome(shipment=done, remainder=None)
                raise InvalidTransition(_("Order %(order)s has nothing waiting to ship from %(warehouse)s.")
                                        % {"order": order.number, "warehouse": warehouse.code})
            shipment = _consolidate(open_ones)
            quantities = _quantities(shipment, lines) if lines else None
            return shipment_ship(shipment=shipment, actor=actor, tracking_number=tracking_number, carrier=carrier,
                                 weight_kg=weight_kg, quantities=quantities)
    touched = []
    for shipment in order.shipments.filter(warehouse=warehouse, status__in=IN_WAREHOUSE_STATUSES).order_by("pk"):
        if event == WmsEvent.PICKED and shipment.status == ShipmentStatus.CREATED:
            touched.append(shipment_start_picking(shipment=shipment, actor=actor, note="wms"))
        elif event == WmsEvent.PACKED and shipment.status != ShipmentStatus.PACKED:
            if carrier and carrier != shipment.carrier:
                shipment = shipment_carrier_change(shipment=shipment, carrier=carrier, actor=actor)
            touched.append(shipment_pack(shipment=shipment, actor=actor, weight_kg=weight_kg,
                                         tracking_number=tracking_number, verify_scan=False, assign_waybill=False))
    return touched
