"""A shipment leaves the warehouse: the step that moves all three flows of the order together.

Goods: the reserved stock is issued (inventory). Funds: revenue is recognised for what left, and for
cash on delivery a receivable is booked (finance). Information: the order becomes partially shipped
or shipped, with one timeline event, and the customer is told the tracking number after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.errors import InvalidTransition, ValidationFailed
from core.fsm import run_transition
from core.money import ZERO
from finance import services as finance
from finance.selectors import order_payment_covers_goods
from inventory.services import shipment_stock_issue
from logistics import events
from logistics.carriers import carrier_label
from logistics.lock_objects import lock_shipment
from logistics.models import IN_WAREHOUSE_STATUSES, Carrier, Shipment, ShipmentLine
from logistics.notifications import Notification, notify
from logistics.services.qc import qc_guard
from logistics.services.shipments import SHIPPABLE_ORDER_STATUSES, line_value, next_shipment_number, split_amount
from logistics.services.warehouse_work import _check_tracking_free, parse_weight
from orders import services as order_services
from orders.lock_objects import lock_order
from orders.models import OrderLine


@dataclass
class ShipOutcome:
    shipment: Shipment
    remainder: Shipment | None  # what stayed behind when only some lines left


def shipment_ship(*, shipment: Shipment, actor, tracking_number: str = "", carrier: str = "", weight_kg=None,
                  quantities: dict[int, int] | None = None, shipped_at: datetime | None = None) -> ShipOutcome:
    """Hand the shipment to the carrier. `quantities` ({order line id: units}) ships only part of it.

    When only part leaves, the rest stays behind in a new `created` shipment of the same warehouse
    (with its share of the cash to collect), so every shipment that left is complete and the order
    is `shipped` exactly when nothing is left behind.
    """
    tracking_number = (tracking_number or "").strip()
    if carrier and carrier not in Carrier.values:
        raise ValidationFailed(errors={"carrier": [_("Unknown carrier “%(code)s”.") % {"code": carrier}]})
    weight = parse_weight(weight_kg, required=False)
    with transaction.atomic():
        order = lock_order(shipment.order_id)
        shipment = lock_shipment(shipment)
        if shipment.status not in IN_WAREHOUSE_STATUSES:
            raise InvalidTransition(_("Shipment %(number)s is already %(status)s.")
                                    % {"number": shipment.number, "status": shipment.get_status_display()})
        if order.status not in SHIPPABLE_ORDER_STATUSES:
            raise InvalidTransition(_("Order %(number)s is %(status)s; it cannot ship.")
                                    % {"number": order.number, "status": order.get_status_display()})
        if not order_payment_covers_goods(order=order):
            raise InvalidTransition(_("Order %(number)s has been refunded and its payment no longer covers the "
                                      "goods; it cannot ship.") % {"number": order.number})
        qc_guard(order)  # a quality check asked for by a rule comes first (issue 19)
        if carrier and carrier != shipment.carrier:
            shipment.carrier = carrier
        if tracking_number and tracking_number != shipment.tracking_number:
            _check_tracking_free(shipment, shipment.carrier, tracking_number)
            shipment.tracking_number = tracking_number
        if not shipment.tracking_number:
            raise ValidationFailed(errors={"tracking_number": [_("A shipment needs a tracking number to ship.")]})
        if weight is not None:
            shipment.weight_kg = weight

        lines = {line.order_line_id: line for line in shipment.lines.select_related("order_line").order_by("pk")}
        planned = {line_id: line.quantity - line.quantity_shipped for line_id, line in lines.items()}
        if quantities is None:
            quantities = dict(planned)
        errors: dict[str, list[str]] = {}
        for line_id, qty in quantities.items():
            if line_id not in lines:
                errors[f"lines.{line_id}"] = [_("Not in shipment %(number)s.") % {"number": shipment.number}]
            elif not isinstance(qty, int) or qty < 0:
                errors[f"lines.{line_id}"] = [_("Must be a positive whole number.")]
            elif qty > planned[line_id]:
                errors[f"lines.{line_id}"] = [_("Only %(planned)s of %(sku)s are in this shipment.")
                                              % {"planned": planned[line_id], "sku": lines[line_id].order_line.sku}]
        quantities = {line_id: qty for line_id, qty in quantities.items() if qty}
        if not errors and not quantities:
            errors["lines"] = [_("Nothing to ship.")]
        if errors:
            raise ValidationFailed(errors=errors)

        remainder = _split_off_remainder(shipment, lines, planned, quantities)

        issued = shipment_stock_issue(order=order, warehouse=shipment.warehouse, quantities=quantities,
                                      reference=shipment.number, actor=actor)
        for line_id, qty in quantities.items():
            lines[line_id].quantity_shipped += qty
        ShipmentLine.objects.bulk_update([lines[line_id] for line_id in quantities], ["quantity_shipped"])
        order_lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
        order_services.order_line_quantities_set(lines={
            line_id: {"quantity_shipped": order_lines[line_id].quantity_shipped + qty}
            for line_id, qty in quantities.items()
        })
        # revenue (and, for cash on delivery or anything unpaid, the receivable) for what left; idempotent
        finance.revenue_recognise(order=order, reference=shipment.number, lines=quantities, actor=actor)

        now = timezone.now()
        run_transition(shipment, "ship", actor=actor)
        shipment.shipped_at = shipped_at or now
        shipment.last_tracking_at = shipment.shipped_at
        shipment.save()

        shipped_after = {line_id: line.quantity_shipped for line_id, line in order_lines.items()}
        for line_id, qty in quantities.items():
            shipped_after[line_id] += qty
        fully = all(shipped_after[line_id] >= line.quantity for line_id, line in order_lines.items())
        shipped_desc = "，".join(f"{lines[line_id].order_line.sku}×{qty}" for line_id, qty in quantities.items())
        message = events.shipment_shipped_message(shipment=shipment, lines=shipped_desc)
        order_services.order_ship(order=order, fully=fully, actor=actor, message=message, data={
            "kind": events.LogisticsEventKind.SHIPMENT_SHIPPED, "shipment": shipment.number,
            "warehouse": shipment.warehouse.code, "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "lines": {str(line_id): qty for line_id, qty in quantities.items()},
            "lots": {str(line_id): lots for line_id, lots in issued.lines.items()},
            "cod_amount": f"{shipment.cod_amount:.2f}",
            "remainder": remainder.number if remainder else None,
        })
        notify(_shipped_notification(order, shipment), order_id=order.pk,
               key=f"shipment_shipped:{shipment.number}", actor=actor)
    return ShipOutcome(shipment=shipment, remainder=remainder)


def _split_off_remainder(shipment: Shipment, lines: dict[int, ShipmentLine], planned: dict[int, int],
                         quantities: dict[int, int]) -> Shipment | None:
    left = {line_id: planned[line_id] - quantities.get(line_id, 0) for line_id in planned}
    left = {line_id: qty for line_id, qty in left.items() if qty > 0}
    if not left:
        return None
    going_value = sum((line_value(lines[i].order_line, q) for i, q in quantities.items()), ZERO)
    staying_value = sum((line_value(lines[i].order_line, q) for i, q in left.items()), ZERO)
    cod_going, cod_staying = split_amount(shipment.cod_amount, [going_value, staying_value])
    remainder = Shipment.objects.create(
        number=next_shipment_number(), order_id=shipment.order_id, warehouse=shipment.warehouse,
        carrier=shipment.carrier, cod_amount=cod_staying, wave=None,
    )
    ShipmentLine.objects.bulk_create([ShipmentLine(shipment=remainder, order_line_id=line_id, quantity=qty)
                                      for line_id, qty in sorted(left.items())])
    keep, drop = [], []
    for line_id, line in lines.items():
        going = quantities.get(line_id, 0)
        if going == 0 and line.quantity_shipped == 0:
            drop.append(line.pk)
            continue
        line.quantity = line.quantity_shipped + going
        line.quantity_packed = min(line.quantity_packed, line.quantity)
        keep.append(line)
    if drop:
        ShipmentLine.objects.filter(pk__in=drop).delete()
        for line_id in [i for i, line in lines.items() if line.pk in drop]:
            del lines[line_id]
    ShipmentLine.objects.bulk_update(keep, ["quantity", "quantity_packed"])
    shipment.cod_amount = cod_going
    return remainder


def _shipped_notification(order, shipment: Shipment) -> Notification:
    with override("zh-hans"):
        body = _("Your order %(order)s has shipped with %(carrier)s, waybill number %(tracking)s.") % {
            "order": order.number, "carrier": carrier_label(shipment.carrier), "tracking": shipment.tracking_number}
        if shipment.cod_amount > 0:
            body += _(" Please have ¥%(amount)s ready for the courier.") % {"amount": f"{shipment.cod_amount:,.2f}"}
        subject = _("Order %(order)s has shipped") % {"order": order.number}
    return Notification(kind="shipment_shipped", order_number=order.number, phone=order.phone,
                        email=order.customer.email, subject=subject, body=body)
