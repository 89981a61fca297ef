"""What OMS tells the platforms back: stock levels and tracking numbers.

Tracking numbers go through the outbox (kind `channel`, destination = the connector's code): the
message is written in the transaction in which the order shipped, delivered after commit by the
adapter's signed call, retried with back-off and logged like every outbound message. Stock levels
are pushed on demand (admin action, schedule `push_channel_stock`): the channel's available to
promise per SKU, summed over the active warehouses.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from catalog.models import Product
from core import hooks
from inventory.selectors import stock_levels
from logistics.models import ON_THE_WAY_STATUSES, ShipmentStatus
from oms.integrations import outbox
from oms.integrations.connectors.base import PlatformError, adapter_for
from oms.integrations.models import ChannelConnector, OutboxMessage, PlatformOrderLink, WebhookKind
from orders.models import OrderStatus

TRACKING_TOPIC = "platform.tracking"


@dataclass
class StockPush:
    pushed: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def connector_push_stock(*, connector: ChannelConnector, skus: list[str] | None = None, adapter=None) -> StockPush:
    """Send the channel's available quantity of every (or the given) SKU to the platform."""
    adapter = adapter or adapter_for(connector)
    if skus is None:
        skus = list(Product.objects.filter(active=True).values_list("sku", flat=True))
    totals: dict[str, int] = defaultdict(int)
    for sku in skus:
        totals[sku] += 0
    for level in stock_levels(skus=skus, channel=connector.channel):
        totals[level.sku] += level.available
    result = StockPush()
    for sku, quantity in sorted(totals.items()):
        try:
            adapter.push_stock(sku=sku, quantity=quantity)
        except PlatformError as exc:
            result.failed[sku] = str(exc)
        else:
            result.pushed += 1
    return result


def write_tracking_messages(payload: hooks.OrderStatusChanged) -> None:
    """Hook `order_status_changed`: an order of a pulled platform shipped → its tracking numbers to the outbox."""
    if payload.target not in (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED):
        return
    order = payload.order
    links = [link for link in PlatformOrderLink.objects.select_related("connector").filter(order_id=order.pk)
             if link.connector.push_tracking and link.connector.active]
    if not links:
        return
    shipments = list(order.shipments.exclude(tracking_number="").filter(
        status__in=[*ON_THE_WAY_STATUSES, ShipmentStatus.DELIVERED]).order_by("pk"))
    for link in links:
        for shipment in shipments:
            outbox.outbox_write(
                kind=WebhookKind.CHANNEL, destination=link.connector.code, topic=TRACKING_TOPIC,
                message_id=f"tracking:{link.connector.code}:{shipment.number}:{shipment.tracking_number}",
                key=order.number, order_number=order.number,
                payload={"external_id": link.external_id, "carrier": shipment.carrier,
                         "tracking_number": shipment.tracking_number, "shipment": shipment.number})


def send_platform_message(message: OutboxMessage) -> outbox.Sent:
    """Outbox transport of kind `channel`: the adapter's own signed call."""
    connector = ChannelConnector.objects.filter(code=message.destination, active=True).first()
    if connector is None:
        return outbox.Sent(None, f"no active connector {message.destination}", waiting=True)
    request = json.dumps(message.payload, ensure_ascii=False)
    if message.topic != TRACKING_TOPIC:
        return outbox.Sent(None, f"unknown topic {message.topic}", request=request, permanent=True)
    try:
        adapter_for(connector).push_tracking(external_id=message.payload["external_id"],
                                             carrier=message.payload["carrier"],
                                             tracking_number=message.payload["tracking_number"])
    except PlatformError as exc:
        return outbox.Sent(None, str(exc), request=request, url=connector.base_url, permanent=not exc.retryable)
    return outbox.Sent(200, "", "ok", request=request, url=connector.base_url)
