"""Creating shipments from an order's reservations, and withdrawing them when the order is cancelled."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import hooks
from core.errors import InvalidTransition, ValidationFailed
from core.fsm import run_transition
from core.money import ZERO, to_money
from core.numbering import local_today, next_value
from inventory.models import Warehouse
from inventory.selectors import order_reservations_by_warehouse
from logistics import events
from logistics.lock_objects import lock_shipment, lock_shipments, shipment_qs_for_update
from logistics.models import (
    IN_WAREHOUSE_STATUSES,
    Carrier,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)
from logistics.services.instructions import send_instruction
from orders.lock_objects import lock_order
from orders.models import Order, OrderStatus, PaymentMethod

SHIPPABLE_ORDER_STATUSES = (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED)


def next_shipment_number() -> str:
    """`SH` + YYYYMMDD + six-digit daily sequence: SH20261124000001."""
    prefix = f"SH{local_today():%Y%m%d}"
    return f"{prefix}{next_value(prefix):06d}"


def default_carrier(*, order: Order, warehouse: Warehouse) -> str:
    """The carrier a new shipment starts with: per warehouse code in `OMS_WAREHOUSE_CARRIERS`, else the default."""
    by_warehouse = getattr(settings, "OMS_WAREHOUSE_CARRIERS", {}) or {}
    return by_warehouse.get(warehouse.code) or getattr(settings, "OMS_DEFAULT_CARRIER", Carrier.SF)


def open_quantities(*, order: Order) -> dict[tuple[int, int], int]:
    """(warehouse id, order line id) → units already planned in shipments still in the warehouse."""
    planned: dict[tuple[int, int], int] = defaultdict(int)
    rows = ShipmentLine.objects.filter(shipment__order=order, shipment__status__in=IN_WAREHOUSE_STATUSES).values_list(
        "shipment__warehouse_id", "order_line_id", "quantity", "quantity_shipped")
    for warehouse_id, line_id, quantity, shipped in rows:
        planned[(warehouse_id, line_id)] += quantity - shipped
    return planned


def cod_to_collect(*, order: Order) -> Decimal:
    """What carriers still have to collect for a cash-on-delivery order (nothing for prepaid ones)."""
    if order.payment_method != PaymentMethod.COD:
        return ZERO
    already = sum((s.cod_amount for s in order.shipments.exclude(status=ShipmentStatus.CANCELLED)), ZERO)
    return max(order.total - order.paid_amount - already, ZERO)


def split_amount(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split money by weights to the cent; the last part takes the rounding remainder."""
    if not weights:
        return []
    weight_sum = sum(weights, ZERO)
    parts = []
    for weight in weights[:-1]:
        parts.append(to_money(total * weight / weight_sum) if weight_sum else ZERO)
    parts.append(total - sum(parts, ZERO))
    return parts


def line_value(line, quantity: int) -> Decimal:
    return line.amount * quantity / line.quantity


@transaction.atomic
def order_shipments_create(*, order: Order, actor) -> list[Shipment]:
    """One shipment per warehouse holding reserved, not yet planned units of the order.

    Idempotent: units already planned in a shipment still in the warehouse are not planned again,
    so running it again after the order came back from a hold creates nothing twice. Shipments of
    warehouses run by a WMS get their shipping instruction written to the outbox in this
    transaction (`send_instruction`). Writes one `shipments_created` event.
    """
    order = lock_order(order)
    if order.status not in SHIPPABLE_ORDER_STATUSES:
        raise InvalidTransition(_("Shipments are created only for orders awaiting shipment."))
    planned = open_quantities(order=order)
    lines = {line.pk: line for line in order.lines.all()}
    wanted: list[tuple[int, dict[int, int]]] = []
    for group in order_reservations_by_warehouse(order=order):
        quantities = {}
        for line_id, reserved in group.lines.items():
            missing = reserved - planned.get((group.warehouse_id, line_id), 0)
            if missing > 0:
                quantities[line_id] = missing
        if quantities:
            wanted.append((group.warehouse_id, quantities))
    if not wanted:
        return []
    warehouses = Warehouse.objects.in_bulk([warehouse_id for warehouse_id, _q in wanted])
    cod_parts = split_amount(cod_to_collect(order=order), [
        sum((line_value(lines[line_id], qty) for line_id, qty in quantities.items()), ZERO)
        for _w, quantities in wanted
    ])
    now = timezone.now()
    shipments = []
    for (warehouse_id, quantities), cod in zip(wanted, cod_parts, strict=True):
        warehouse = warehouses[warehouse_id]
        shipment = Shipment.objects.create(
            number=next_shipment_number(), order=order, warehouse=warehouse,
            carrier=default_carrier(order=order, warehouse=warehouse), cod_amount=cod, created_at=now,
        )
        ShipmentLine.objects.bulk_create([
            ShipmentLine(shipment=shipment, order_line_id=line_id, quantity=qty)
            for line_id, qty in sorted(quantities.items())
        ])
        shipments.append(shipment)
    events.shipments_created_event(order=order, actor=actor, shipments=shipments,
                                   quantities=[q for _w, q in wanted])
    for shipment in shipments:
        send_instruction(shipment=shipment, action="ship")
    hooks.shipments_planned.fire(hooks.ShipmentsPlanned(order=order, actor=actor, shipments=tuple(shipments)))
    return shipments


@transaction.atomic
def order_shipments_hold(*, order: Order, hold: bool, actor) -> list[Shipment]:
    """The order went on hold after its release (`hold=True`), or came back (`hold=False`).

    Own warehouses need nothing: the packing bench and waves refuse orders that may not ship. A
    WMS is told to stop (`hold`) or go on (`release`) with the parcels it holds for the order.
    Called from the `order_status_changed` hook inside the order's transaction; no event of its own.
    """
    return orders_shipments_hold(orders=[order], hold=hold, actor=actor)


@transaction.atomic
def orders_shipments_hold(*, orders: list[Order], hold: bool, actor) -> list[Shipment]:
    """`order_shipments_hold` for many orders (held in bulk by the legacy import): their shipments
    found and locked in one query (pk order) — imported orders come by the thousand and have none."""
    shipments = list(shipment_qs_for_update().select_related("warehouse")
                     .filter(order__in=[order.pk for order in orders], status__in=IN_WAREHOUSE_STATUSES)
                     .order_by("pk"))
    sequence = f"{timezone.now():%Y%m%d%H%M%S%f}"
    for shipment in shipments:
        send_instruction(shipment=shipment, action="hold" if hold else "release", sequence=sequence)
    return shipments


@transaction.atomic
def order_shipments_readdress(*, order: Order, actor) -> list[Shipment]:
    """The order's shipping address changed: a WMS holding its parcels is sent the new recipient.

    Called from the `order_address_changed` hook inside the order's transaction. Own warehouses need
    nothing: their labels and packing slips are printed from the order as it is now. Returns the
    shipments an `update` instruction went out for; no event of its own (the order's timeline has
    the address change).
    """
    shipments = list(shipment_qs_for_update().select_related("warehouse", "order")
                     .filter(order=order, status__in=IN_WAREHOUSE_STATUSES).order_by("pk"))
    sequence = f"{timezone.now():%Y%m%d%H%M%S%f}"
    return [s for s in shipments if send_instruction(shipment=s, action="update", sequence=sequence)]


@transaction.atomic
def order_shipments_cancel(*, order: Order, actor, reason: str) -> list[Shipment]:
    """The order was cancelled: shipments still in the warehouse are withdrawn (WMS told to stop).

    Called from the `order_cancelled` hook inside the cancellation's transaction, which already
    holds the order's row lock and writes the timeline event; this writes none of its own.
    """
    open_ids = list(order.shipments.filter(status__in=IN_WAREHOUSE_STATUSES).values_list("pk", flat=True))
    shipments = lock_shipments(open_ids)
    for shipment in shipments:
        run_transition(shipment, "cancel", actor=None)
        shipment.exception_reason = reason[:255]
        shipment.save()
        send_instruction(shipment=shipment, action="cancel")
    return shipments


@transaction.atomic
def shipment_carrier_change(*, shipment: Shipment, carrier: str, actor) -> Shipment:
    """Choose another carrier before the parcel is packed (the waybill number belongs to the carrier)."""
    if carrier not in Carrier.values:
        raise ValidationFailed(errors={"carrier": [_("Unknown carrier “%(code)s”.") % {"code": carrier}]})
    order = lock_order(shipment.order_id)
    shipment = lock_shipment(shipment)
    if shipment.status not in (ShipmentStatus.CREATED, ShipmentStatus.PICKING) or shipment.tracking_number:
        raise InvalidTransition(_("The carrier can only be changed before the parcel is packed."))
    before = shipment.carrier
    shipment.carrier = carrier
    shipment.save(update_fields=["carrier", "updated_at"])
    events.carrier_changed_event(order=order, actor=actor, shipment=shipment, before=before, after=carrier)
    return shipment
