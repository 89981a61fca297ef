"""Exchange replacements: a no-charge order for the replacement goods, linked to the request.

The replacement order goes through the normal goods stages: stock is reserved by the inventory
stage and the logistics stage ships it like any order, so warehouses and carriers need nothing
special; its total is zero, so nothing is charged and no revenue is booked twice.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import ReturnLine, ReturnRequest
from oms.core.money import ZERO
from orders import services as order_services
from orders.models import Order, OrderSource
from orders.services import LineInput, OrderInput


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
    return order_services.order_pass_review(order=order, actor=actor)
