"""Shipping instructions for warehouses run by an external WMS.

The instruction is built here and handed to `hooks.shipping_instruction` inside the caller's
transaction; `oms.integrations` (an upper app) registers the handler that writes it to the outbox,
from where a background job delivers it, signed, with retries. Own warehouses and stores get no
instruction: their clerks work from the wave picking and packing screens.
"""

from __future__ import annotations

from core import hooks
from core.money import money_str


def is_wms_run(warehouse) -> bool:
    return warehouse.kind == warehouse.Kind.EXTERNAL_WMS


def instruction_payload(*, shipment, action: str, sequence: str = "") -> dict:
    order = shipment.order
    return {
        "instruction_id": f"{shipment.number}-{action}{f'-{sequence}' if sequence else ''}",
        "action": action,
        "shipment_number": shipment.number,
        "order_number": order.number,
        "warehouse": shipment.warehouse.code,
        "wms_code": shipment.warehouse.wms_code,
        "carrier": shipment.carrier,
        "cod_amount": money_str(shipment.cod_amount),
        "recipient": {
            "name": order.recipient, "phone": order.phone, "province": order.province, "city": order.city,
            "district": order.district, "address": order.address_detail, "postal_code": order.postal_code,
        },
        "lines": [
            {"sku": line.order_line.sku, "name": line.order_line.name, "barcode": line.order_line.product.barcode,
             "quantity": line.quantity - line.quantity_shipped}
            for line in shipment.lines.select_related("order_line__product").order_by("pk")
        ],
        "note": order.note,
        "created_at": shipment.created_at.isoformat(),
    }


def send_instruction(*, shipment, action: str, sequence: str = "") -> bool:
    """Fire the instruction for a WMS-run warehouse; returns whether one was sent.

    `action` is `ship` (once per shipment), `cancel` (once), or `hold` / `release` (the order went
    on hold after it was released, and came back; `sequence` keeps each of those distinct).
    """
    if not is_wms_run(shipment.warehouse):
        return False
    payload = instruction_payload(shipment=shipment, action=action, sequence=sequence)
    hooks.shipping_instruction.fire(hooks.ShippingInstruction(shipment=shipment, action=action, payload=payload))
    return True
