"""Outbound webhooks: tell subscribed systems what happened (contract: docs/webhooks-outbound.md).

An event is written to the outbox once per matching subscription in the transaction of the step it
reports (kind `webhook`, destination = the subscription's id, ordering key = the order number), so
it exists exactly when the step committed and is delivered after commit, in order per order per
receiver. Delivery is an HTTP POST of the versioned envelope signed like our inbound webhooks
(`X-OMS-Signature: t=…,v1=HMAC-SHA256(secret, "<t>.<body>")`), retried with exponential back-off
(1, 2, 4 … 60 minutes) for just over 24 hours (`MAX_ATTEMPTS`) before it goes to the dead-letter
list. Every attempt keeps the request, the response and its duration. A subscription whose
messages die after many failures in a row is paused (its events wait) and the administrators are
told; resuming it sends what waited.

Where events come from:
- `order.created`: the `order_submitted` hook, fired right after the order is created by the API's
  intake (`oms.workflow.intake.intake_order`) and by `oms.workflow.services.submit_order` (connectors,
  demo data); the workflow does not import integrations;
- `order.reviewed`, `order.paid`, `order.shipped`, `order.completed`, `order.cancelled`: the
  `order_status_changed` hook, i.e. every transition of every order, whoever made it;
- `order.delivered`: a parcel delivered (the carrier's report or a clerk's confirmation: hook `shipment_delivered`);
- `return.requested`, `order.refunded`: relayed from the order timeline (`relay_events`, every minute);
- `stock.low`: relayed when a stock row falls to its alert threshold (same job), once until it recovers.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone

from core import hooks
from oms.integrations import outbox, signing
from oms.integrations.models import (
    OutboxMessage,
    OutboxStatus,
    RelayCursor,
    WebhookEvent,
    WebhookKind,
    WebhookSubscription,
    anyone_listening_value,
)
from orders.models import Order, OrderStatus

logger = logging.getLogger("oms.webhooks")

VERSION = "1"
MAX_ATTEMPTS = 30  # 1+2+4+8+16+32 minutes, then hourly: the 30th attempt is 24 h 3 min after the first
PAUSE_AFTER_FAILURES = 10
EVENT_HEADER = "X-OMS-Event"
EVENT_ID_HEADER = "X-OMS-Event-Id"
ATTEMPT_HEADER = "X-OMS-Delivery-Attempt"
REVIEW_SOURCES = (OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD)


# -- payloads ---------------------------------------------------------------------------------------------------
def _money(value) -> str:
    return f"{Decimal(value or 0):.2f}"


def order_data(order: Order) -> dict:
    """The `order` object of every order event (version 1). Phones are masked: receivers are other systems."""
    from core.pii import mask_phone

    return {
        "number": order.number,
        "channel": order.channel.code,
        "external_id": order.external_id,
        "status": order.status,
        "hold_reasons": list(order.hold_reasons or []),
        "ordered_at": order.ordered_at.isoformat() if order.ordered_at else None,
        "currency": "CNY",
        "total": _money(order.total),
        "paid_amount": _money(order.paid_amount),
        "refunded_amount": _money(getattr(order, "refunded_amount", 0)),
        "customer": {"name": order.customer.name, "phone": mask_phone(order.customer.phone)},
        "shipping_address": {"province": order.province, "city": order.city, "district": order.district},
        "lines": [{"sku": line.product.sku, "quantity": line.quantity, "unit_price": _money(line.unit_price)}
                  for line in order.lines.select_related("product").order_by("pk")],
        "shipments": [{"number": s.number, "carrier": s.carrier, "tracking_number": s.tracking_number,
                       "status": s.status} for s in order.shipments.order_by("pk")],
    }


def envelope(*, event: str, data: dict, event_id: str | None = None, occurred_at=None) -> dict:
    return {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": event, "version": VERSION,
            "occurred_at": (occurred_at or timezone.now()).isoformat(), "data": data}


# -- emitting ---------------------------------------------------------------------------------------------------
def subscriptions_for(*, event: str, order: Order | None = None) -> list[WebhookSubscription]:
    result = []
    for subscription in WebhookSubscription.objects.filter(active=True).prefetch_related("channels"):
        if event not in (subscription.events or []):
            continue
        if order is not None:
            channel_ids = {c.pk for c in subscription.channels.all()}
            if channel_ids and order.channel_id not in channel_ids:
                continue
            if subscription.min_total is not None and order.total < subscription.min_total:
                continue
        result.append(subscription)
    return result


def emit(*, event: str, data: dict, key: str, order: Order | None = None, event_id: str | None = None) -> int:
    """Write `event` for every matching subscription in the caller's transaction; return how many."""
    subscriptions = subscriptions_for(event=event, order=order)
    if not subscriptions:
        return 0
    body = envelope(event=event, data=data, event_id=event_id)
    for subscription in subscriptions:
        outbox.outbox_write(kind=WebhookKind.WEBHOOK, destination=str(subscription.pk), topic=event,
                            message_id=f"{body['id']}:{subscription.pk}", payload=body, key=key[:64],
                            order_number=order.number if order is not None else "")
    return len(subscriptions)


def anyone_listening() -> bool:
    """Whether any subscription is active, from the shared cache and this process's copy of it (the
    order intake asks on every order; `WebhookSubscription.save/delete` forget the answer)."""
    return anyone_listening_value.get(WebhookSubscription.objects.filter(active=True).exists)


def emit_order_event(*, event: str, order: Order, extra: dict | None = None) -> int:
    if not anyone_listening():
        return 0  # nobody listens: not even the payload is built
    return emit(event=event, order=order, key=order.number, data={"order": order_data(order), **(extra or {})})


def on_order_submitted(payload: hooks.OrderSubmitted) -> None:
    """Hook `order_submitted`: a channel order was created (before its review)."""
    emit_order_event(event=WebhookEvent.ORDER_CREATED, order=payload.order)


def on_order_status_changed(payload: hooks.OrderStatusChanged) -> None:
    """Hook `order_status_changed`: each transition becomes the event(s) receivers know."""
    order, source, target = payload.order, payload.source, payload.target
    events = []
    if source in REVIEW_SOURCES and target in (OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_SHIPMENT):
        events.append(WebhookEvent.ORDER_REVIEWED)
        if target == OrderStatus.AWAITING_SHIPMENT and order.paid_amount and order.paid_amount >= order.total:
            events.append(WebhookEvent.ORDER_PAID)
    elif source == OrderStatus.AWAITING_PAYMENT and target == OrderStatus.AWAITING_SHIPMENT:
        events.append(WebhookEvent.ORDER_PAID)
    elif target in (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED):
        events.append(WebhookEvent.ORDER_SHIPPED)
    elif target == OrderStatus.COMPLETED:
        events.append(WebhookEvent.ORDER_COMPLETED)
    elif target == OrderStatus.CANCELLED:
        events.append(WebhookEvent.ORDER_CANCELLED)
    for event in events:
        emit_order_event(event=event, order=order, extra={"previous_status": source})


def on_parcel_delivered(*, shipment, order=None) -> int:
    """A parcel arrived: the carrier said so, or a clerk confirmed it by hand."""
    return emit_order_event(event=WebhookEvent.ORDER_DELIVERED, order=order or shipment.order,
                            extra={"shipment": {"number": shipment.number, "carrier": shipment.carrier,
                                                "tracking_number": shipment.tracking_number}})


def on_shipment_delivered(payload: hooks.ShipmentDelivered) -> None:
    """Hook `shipment_delivered`: fired before the order may complete, so receivers hear it in that order."""
    on_parcel_delivered(shipment=payload.shipment, order=payload.order)


# -- relays: the order timeline and stock levels ----------------------------------------------------------------
TIMELINE_EVENTS = {"return_requested": WebhookEvent.RETURN_REQUESTED, "refund_completed": WebhookEvent.ORDER_REFUNDED}


@transaction.atomic
def relay_events(*, limit: int = 1000) -> int:
    """The schedule's job: timeline entries and low stock since the last run become webhook events."""
    from inventory.selectors import stock_list
    from orders.models import OrderEvent

    emitted = 0
    cursor, _ = RelayCursor.objects.select_for_update().get_or_create(name="timeline")
    if not cursor.state.get("started"):  # first run: start from now, do not replay history
        cursor.position = OrderEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        cursor.state = {"started": timezone.now().isoformat()}
    entries = list(OrderEvent.objects.filter(pk__gt=cursor.position, kind__in=list(TIMELINE_EVENTS))
                   .select_related("order").order_by("pk")[:limit])
    for entry in entries:
        emitted += emit_order_event(event=TIMELINE_EVENTS[entry.kind], order=entry.order,
                                    extra={"details": entry.data or {}, "message": entry.message})
    if entries:
        cursor.position = entries[-1].pk
    cursor.save()

    stock_cursor, _ = RelayCursor.objects.select_for_update().get_or_create(name="stock_low")
    alerted = set(stock_cursor.state.get("low", []))
    low_now = {}
    for stock in stock_list(low_only=True).filter(low_stock_threshold__gt=0):
        low_now[stock.pk] = stock
    for pk in sorted(set(low_now) - alerted):
        stock = low_now[pk]
        if anyone_listening():
            emitted += emit(event=WebhookEvent.STOCK_LOW, key=f"stock:{stock.product.sku}", data={"stock": {
                "sku": stock.product.sku, "warehouse": stock.warehouse.code, "on_hand": stock.on_hand,
                "reserved": stock.reserved, "available": stock.available_qty,
                "threshold": stock.low_stock_threshold}})
    stock_cursor.state = {"low": sorted(low_now)}
    stock_cursor.save()
    return emitted


# -- delivering -------------------------------------------------------------------------------------------------
def send(message: OutboxMessage) -> outbox.Sent:
    """Outbox transport of kind `webhook`."""
    subscription = WebhookSubscription.objects.filter(pk=int(message.destination)).first()
    if subscription is None or not subscription.active:
        return outbox.Sent(None, "subscription inactive or deleted", waiting=True)
    if subscription.paused_at is not None:
        return outbox.Sent(None, "subscription paused", waiting=True)
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        signing.HEADER: signing.sign(body, subscription.secret or settings.OMS_WEBHOOK_SECRET, int(time.time())),
        EVENT_HEADER: message.topic,
        EVENT_ID_HEADER: str(message.payload.get("id", "")),
        outbox.MESSAGE_ID_HEADER: message.message_id,
        ATTEMPT_HEADER: str(message.attempts + 1),
        "User-Agent": "OMS-webhooks/1",
    }
    return outbox.http_post(subscription.url, body, headers, timeout=subscription.timeout_seconds)


def after_attempt(message: OutboxMessage, sent: outbox.Sent) -> None:
    """Count failures per subscription; pause it and tell the administrators when messages die of it."""
    if sent.waiting:
        return
    subscription = WebhookSubscription.objects.select_for_update().filter(pk=int(message.destination)).first()
    if subscription is None:
        return
    if message.status == OutboxStatus.DELIVERED:
        if subscription.consecutive_failures:
            subscription.consecutive_failures = 0
            subscription.save(update_fields=["consecutive_failures"])
        return
    subscription.consecutive_failures += 1
    fields = ["consecutive_failures"]
    if (message.status == OutboxStatus.DEAD and subscription.consecutive_failures >= PAUSE_AFTER_FAILURES
            and subscription.paused_at is None):
        subscription.paused_at = timezone.now()
        subscription.paused_reason = (f"{subscription.consecutive_failures} failed deliveries in a row; "
                                      f"last: {sent.error}")
        fields += ["paused_at", "paused_reason"]
        transaction.on_commit(lambda: _tell_admins(subscription))
    subscription.save(update_fields=fields)


def _tell_admins(subscription: WebhookSubscription) -> None:
    logger.error("webhook subscription %s (%s) paused: %s", subscription.pk, subscription.url,
                 subscription.paused_reason)
    mail_admins(f"Webhook subscription “{subscription.name}” paused",
                f"{subscription.url}\n\n{subscription.paused_reason}\n\n"
                "Its events wait in the outbox; resume it in the admin once the receiver works again.",
                fail_silently=True)


@transaction.atomic
def subscription_resume(*, subscription: WebhookSubscription) -> int:
    """Resume a paused subscription; what waited is due at once. Returns how many messages waited."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.paused_at, subscription.paused_reason, subscription.consecutive_failures = None, "", 0
    subscription.save(update_fields=["paused_at", "paused_reason", "consecutive_failures"])
    return OutboxMessage.objects.filter(kind=WebhookKind.WEBHOOK, destination=str(subscription.pk),
                                        status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED]).update(
        next_attempt_at=timezone.now(), attempts=0)  # waiting while paused used up no real attempts


def replay(*, messages) -> int:
    """Send dead (or failed) messages again from the dead-letter list; each gets a fresh set of attempts.

    Returns how many were delivered now; the others are back in the retry schedule.
    """
    delivered = 0
    for message in sorted(messages, key=lambda m: m.pk):
        OutboxMessage.objects.filter(pk=message.pk, status__in=[OutboxStatus.DEAD, OutboxStatus.FAILED]).update(
            status=OutboxStatus.FAILED, attempts=0, next_attempt_at=timezone.now())
        delivered += outbox.deliver(message_pk=message.pk).status == OutboxStatus.DELIVERED
    return delivered
