"""Exchange replacements: a no-charge order for the replacement goods, linked to the request.

The replacement order goes through the normal goods stages: stock is reserved by the inventory
stage and the logistics stage ships it like any order, so warehouses and carriers need nothing
special; its total is zero, so nothing is charged and no revenue is booked twice.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import ReturnLine, ReturnRequest
from core.errors import InsufficientStock
from core.money import ZERO
from inventory.services import order_stock_reserve
from orders import services as order_services
from orders.models import Order, OrderSource
from orders.services import HoldReason, LineInput, OrderInput

# The hold code of the review pipeline's stock step (`oms.workflow.checks.HoldCode.STOCK_SHORTAGE`,
# an upper app): orders held with only this code are retried when stock arrives.
STOCK_SHORTAGE = "stock_shortage"


def create_replacement_order(*, request: ReturnRequest, units: list[tuple[ReturnLine, int]], actor) -> Order:
    original = request.order
    data = OrderInput(
        channel=original.channel.code, external_id=request.number,
        customer_name=original.customer.name, customer_phone=original.customer.phone,
        customer_email=original.customer.email,
        recipient=original.recipient, recipient_phone=original.phone, province=original.province,
        city=original.city, district=original.district, address_detail=original.address_detail,
        postal_code=original.postal_code,
        lines=[LineInput(sku=(line.exchange_product or line.order_line.product).sku, quantity=n, unit_price=ZERO)
               for line, n in units],
        ordered_at=timezone.now(), shipping_fee=ZERO,
        note=_("Exchange replacement for %(rma)s of order %(order)s.") % {"rma": request.number,
                                                                          "order": original.number},
    )
    order = order_services.order_create(data=data, actor=actor, source=OrderSource.ADMIN)
    # Like the review pipeline's stock step: reserve the whole order in the nearest warehouses, or
    # wait on hold in the backorder queue until stock arrives. Released, the logistics stage plans
    # its shipments through the `order_status_changed` hook, as for any order.
    try:
        order_stock_reserve(order=order, actor=actor)
    except InsufficientStock as exc:
        return order_services.order_put_on_hold(order=order, actor=actor, reasons=[HoldReason(
            STOCK_SHORTAGE, exc.message, {"shortages": exc.data.get("shortages", [])})])
    return order_services.order_pass_review(order=order, actor=actor)
