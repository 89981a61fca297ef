"""Carrier news about shipments, delivery (sign-off) and completing orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import hooks
from core.actors import SystemActor
from core.errors import InvalidTransition, ValidationFailed
from core.fsm import run_transition
from finance import services as finance
from logistics import events
from logistics.lock_objects import lock_shipment
from logistics.models import (
    IN_WAREHOUSE_STATUSES,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
    TrackingStatus,
)
from orders import services as order_services
from orders.lock_objects import lock_order
from orders.models import Order, OrderStatus

AUTO_SIGN_OFF = SystemActor("auto_sign_off")
FINAL_STATUSES = (ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED_TO_SENDER, ShipmentStatus.CANCELLED)


@dataclass
class TrackingOutcome:
    shipment: Shipment
    event: TrackingEvent
    created: bool  # False: the same report (same source) was seen before and nothing changed
    order_completed: bool = False


def shipment_track(*, shipment: Shipment, status: str, occurred_at: datetime, actor, location: str = "",
                   description: str = "", source: str = "", by_hand: bool = False) -> TrackingOutcome:
    """Store one tracking report and move the shipment (and maybe the order) on.

    `source` identifies the report (a carrier's event id); the same source twice changes nothing.
    News that arrives after the shipment was delivered or returned is stored but moves nothing,
    so reports arriving out of order cannot undo a delivery. The last delivery of an order
    completes it; the timeline then gets the completion (with the delivery) as its one event.
    """
    errors: dict[str, list[str]] = {}
    if status not in TrackingStatus.values:
        errors["status"] = [_("Unknown tracking status “%(status)s”.") % {"status": status}]
    if not isinstance(occurred_at, datetime) or timezone.is_naive(occurred_at):
        errors["occurred_at"] = [_("A date and time with its UTC offset is required.")]
    if errors:
        raise ValidationFailed(errors=errors)
    location, description, source = (location or "")[:100], (description or "")[:255], (source or "")[:64]
    with transaction.atomic():
        order = lock_order(shipment.order_id)
        shipment = lock_shipment(shipment)
        if source:
            seen = shipment.tracking_events.filter(source=source).first()
            if seen is not None:
                return TrackingOutcome(shipment=shipment, event=seen, created=False)
        if shipment.status in IN_WAREHOUSE_STATUSES or shipment.status == ShipmentStatus.CANCELLED:
            raise InvalidTransition(_("Shipment %(number)s has not left the warehouse (%(status)s).")
                                    % {"number": shipment.number, "status": shipment.get_status_display()})
        event = TrackingEvent.objects.create(shipment=shipment, status=status, occurred_at=occurred_at,
                                             location=location, description=description, source=source)
        if shipment.last_tracking_at is None or occurred_at > shipment.last_tracking_at:
            shipment.last_tracking_at = occurred_at
        moved = shipment.status not in FINAL_STATUSES
        if moved:
            if status in (TrackingStatus.IN_TRANSIT, TrackingStatus.OUT_FOR_DELIVERY):
                run_transition(shipment, "move", actor=None)
                shipment.exception_reason = ""
            elif status == TrackingStatus.EXCEPTION:
                run_transition(shipment, "flag_exception", actor=None)
                shipment.exception_reason = description or str(TrackingStatus.EXCEPTION.label)
            elif status == TrackingStatus.DELIVERED:
                run_transition(shipment, "deliver", actor=None)
                shipment.delivered_at = occurred_at
                shipment.exception_reason = ""
        shipment.save()
        if moved and status == TrackingStatus.DELIVERED and shipment.cod_amount > 0:
            # the cash the courier collected settles the receivable booked at shipment; idempotent
            finance.cod_collect(order=order, amount=shipment.cod_amount, reference=shipment.number, actor=actor,
                                collected_at=shipment.delivered_at)

        details = "".join(f" {part}" for part in (location, description) if part)
        news = events.tracking_message(shipment=shipment, status_label=TrackingStatus(status).label, details=details)
        data = {"kind": events.LogisticsEventKind.TRACKING, "shipment": shipment.number, "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number, "status": status,
                "occurred_at": occurred_at.isoformat(), "location": location, "description": description,
                "report_id": source, "moved": moved}
        if moved and status == TrackingStatus.DELIVERED:
            # Before the order may complete: receivers and rules hear "delivered" before "completed".
            hooks.shipment_delivered.fire(hooks.ShipmentDelivered(shipment=shipment, order=order, actor=actor,
                                                                  by_hand=by_hand))
        completed = False
        if moved and status == TrackingStatus.DELIVERED and _all_delivered(order):
            order_services.order_complete(
                order=order, actor=actor, data=data,
                message=events.delivered_and_completed_message(news=news))
            completed = True
        else:
            events.tracking_event(order=order, actor=actor, news=news, data=data)
    return TrackingOutcome(shipment=shipment, event=event, created=True, order_completed=completed)


def _all_delivered(order: Order) -> bool:
    if order.status != OrderStatus.SHIPPED:
        return False  # a part is still in the warehouse (or the order is not in a completable state)
    statuses = set(order.shipments.exclude(status=ShipmentStatus.CANCELLED).values_list("status", flat=True))
    return statuses == {ShipmentStatus.DELIVERED}


def shipment_confirm_delivery(*, shipment: Shipment, actor, note: str = "",
                              delivered_at: datetime | None = None) -> TrackingOutcome:
    """A clerk confirms by hand that a parcel arrived (the customer called, the carrier's report never
    came): the same path as the carrier's report, marked as confirmed by hand, once per shipment."""
    note = (note or "").strip()
    return shipment_track(shipment=shipment, status=TrackingStatus.DELIVERED,
                          occurred_at=delivered_at or timezone.now(), actor=actor,
                          description=note or _("Delivery confirmed by hand"),
                          source=f"manual:{shipment.number}", by_hand=True)


@transaction.atomic
def shipment_return_to_sender(*, shipment: Shipment, reason: str, actor) -> Shipment:
    """The carrier brings the parcel back (refused, unreachable): recorded by a clerk."""
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("A reason is required.")]})
    order = lock_order(shipment.order_id)
    shipment = lock_shipment(shipment)
    run_transition(shipment, "return_to_sender", actor=actor)
    shipment.exception_reason = reason.strip()[:255]
    shipment.save()
    events.shipment_returned_event(order=order, actor=actor, shipment=shipment, reason=reason.strip())
    return shipment


def auto_complete_candidates(*, now: datetime | None = None, days: int | None = None):
    """Shipped orders whose last shipment left more than `days` ago, with nothing gone wrong on the way."""
    now = now or timezone.now()
    days = settings.OMS_AUTO_COMPLETE_DAYS if days is None else days
    cutoff = now - timedelta(days=days)
    troubled = Shipment.objects.filter(status__in=[ShipmentStatus.EXCEPTION, ShipmentStatus.RETURNED_TO_SENDER])
    return (Order.objects.filter(status=OrderStatus.SHIPPED)
            .exclude(pk__in=troubled.values("order_id"))
            .annotate(last_shipped=Max("shipments__shipped_at", filter=~Q(shipments__status=ShipmentStatus.CANCELLED)))
            .filter(last_shipped__lte=cutoff)
            .order_by("last_shipped", "pk"))


def orders_auto_complete(*, now: datetime | None = None, days: int | None = None, actor=AUTO_SIGN_OFF) -> list[str]:
    """Complete shipped orders N days (`OMS_AUTO_COMPLETE_DAYS`) after shipment when no delivery came.

    Each order in its own transaction under its row lock, re-checked there (a delivery report may
    have completed it meanwhile).
    """
    days = settings.OMS_AUTO_COMPLETE_DAYS if days is None else days
    done = []
    for order_id in list(auto_complete_candidates(now=now, days=days).values_list("pk", flat=True)):
        with transaction.atomic():
            order = lock_order(order_id)
            if order.status != OrderStatus.SHIPPED or not auto_complete_candidates(now=now, days=days).filter(
                    pk=order_id).exists():
                continue
            order_services.order_complete(
                order=order, actor=actor,
                message=events.auto_completed_message(days=days),
                data={"auto": True, "days": days})
            done.append(order.number)
    return done
