"""Timeline entries of the logistics stage: one writer per kind, through `orders.events.record_event`.

Messages are `timeline_message(gettext_lazy(...), {...})`, rendered when stored in the timeline's
language (zh-hans); carrier names and warehouse names inside them are translated then too. A shipment
leaving the warehouse and the last delivery are written by the orders stage (`order_ship`,
`order_complete`: the order's state changes) with the messages built here.
"""

from __future__ import annotations

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy

from logistics.carriers import carrier_label
from orders.events import TimelineMessage, record_event, timeline_message
from orders.models import Order, OrderEvent


class LogisticsEventKind:
    SHIPMENTS_CREATED = "shipments_created"
    PICKING_STARTED = "picking_started"
    SHIPMENT_PACKED = "shipment_packed"
    SHIPMENT_SHIPPED = "shipment_shipped"  # kept in the data of the order's `status_changed` event
    TRACKING = "tracking"
    SHIPMENT_RETURNED = "shipment_returned"
    CARRIER_CHANGED = "carrier_changed"
    QC_REQUESTED = "qc_requested"
    QC_PASSED = "qc_passed"
    QC_FAILED = "qc_failed"  # the order's hold is its own `status_changed` entry


later = lazy(lambda build: build(), str)
later.__doc__ = "A piece of a timeline message built (and translated) when the message is stored."


def shipments_created_event(*, order: Order, actor, shipments, quantities: list[dict[int, int]]) -> OrderEvent:
    """Shipments planned for `order`; `quantities[i]` are the units (by order line) of `shipments[i]`."""
    return record_event(
        order=order, kind=LogisticsEventKind.SHIPMENTS_CREATED,
        message=timeline_message(gettext_lazy("Shipments created: %(shipments)s."), {"shipments": later(
            lambda: "，".join(f"{s.number}（{s.warehouse.name}，{carrier_label(s.carrier)}）" for s in shipments))}),
        actor=actor,
        data={"shipments": [{"number": s.number, "warehouse": s.warehouse.code, "carrier": s.carrier,
                             "cod_amount": f"{s.cod_amount:.2f}",
                             "lines": {str(k): v for k, v in q.items()}}
                            for s, q in zip(shipments, quantities, strict=True)]},
    )


def picking_started_event(*, order: Order, actor, shipment, wave=None, note: str = "") -> OrderEvent:
    """Picking started: in a wave, or for one shipment outside a wave (a WMS report, a clerk by hand)."""
    if wave is not None:
        message = timeline_message(gettext_lazy("Shipment %(number)s: picking started in wave %(wave)s."),
                                   {"number": shipment.number, "wave": wave.number})
        data = {"shipment": shipment.number, "wave": wave.number}
    else:
        message = timeline_message(gettext_lazy("Shipment %(number)s: picking started in %(warehouse)s."),
                                   {"number": shipment.number, "warehouse": shipment.warehouse.name})
        data = {"shipment": shipment.number, "note": note}
    return record_event(order=order, kind=LogisticsEventKind.PICKING_STARTED, message=message, actor=actor, data=data)


def shipment_packed_event(*, order: Order, actor, shipment) -> OrderEvent:
    weight = shipment.weight_kg
    return record_event(
        order=order, kind=LogisticsEventKind.SHIPMENT_PACKED,
        message=timeline_message(gettext_lazy("Shipment %(number)s packed: %(packages)s package(s), %(weight)s kg, "
                                              "%(carrier)s waybill %(tracking)s."),
                                 {"number": shipment.number, "packages": shipment.packages,
                                  "weight": weight if weight is not None else "-",
                                  "carrier": carrier_label(shipment.carrier),
                                  "tracking": shipment.tracking_number or "-"}),
        actor=actor,
        data={"shipment": shipment.number, "tracking_number": shipment.tracking_number,
              "weight_kg": str(weight) if weight is not None else None, "packages": shipment.packages},
    )


def shipment_shipped_message(*, shipment, lines: str) -> TimelineMessage:
    """The text of the order's `status_changed` entry when `shipment` leaves (`orders.services.order_ship`)."""
    return timeline_message(gettext_lazy(
        "Shipment %(number)s shipped from %(warehouse)s with %(carrier)s, waybill %(tracking)s: %(lines)s."), {
        "number": shipment.number, "warehouse": shipment.warehouse.name,
        "carrier": carrier_label(shipment.carrier), "tracking": shipment.tracking_number, "lines": lines})


def tracking_message(*, shipment, status_label, details: str) -> TimelineMessage:
    return timeline_message(gettext_lazy("%(carrier)s %(tracking)s: %(status)s%(details)s"), {
        "carrier": carrier_label(shipment.carrier), "tracking": shipment.tracking_number,
        "status": status_label, "details": details})


def delivered_and_completed_message(*, news: TimelineMessage) -> TimelineMessage:
    """The text of the order's `status_changed` entry when the last parcel is delivered (`order_complete`)."""
    return timeline_message(gettext_lazy("%(news)s. Every shipment has been delivered; order completed."),
                            {"news": news})


def auto_completed_message(*, days: int) -> TimelineMessage:
    """The text of the order's `status_changed` entry when the sign-off job completes it (`order_complete`)."""
    return timeline_message(gettext_lazy(
        "Completed automatically %(days)s days after shipment without a delivery report."), {"days": days})


def tracking_event(*, order: Order, actor, news: TimelineMessage, data: dict) -> OrderEvent:
    return record_event(order=order, kind=LogisticsEventKind.TRACKING, message=news, actor=actor, data=data)


def shipment_returned_event(*, order: Order, actor, shipment, reason: str) -> OrderEvent:
    return record_event(
        order=order, kind=LogisticsEventKind.SHIPMENT_RETURNED,
        message=timeline_message(gettext_lazy("Shipment %(number)s is being returned to the sender: %(reason)s"),
                                 {"number": shipment.number, "reason": reason}),
        actor=actor, data={"shipment": shipment.number, "reason": reason})


def carrier_changed_event(*, order: Order, actor, shipment, before: str, after: str) -> OrderEvent:
    return record_event(
        order=order, kind=LogisticsEventKind.CARRIER_CHANGED,
        message=timeline_message(gettext_lazy("Shipment %(number)s: carrier changed from %(before)s to %(after)s."),
                                 {"number": shipment.number, "before": carrier_label(before),
                                  "after": carrier_label(after)}),
        actor=actor, data={"shipment": shipment.number, "before": before, "after": after})


def qc_requested_event(*, order: Order, actor, reason: str) -> OrderEvent:
    return record_event(order=order, kind=LogisticsEventKind.QC_REQUESTED, actor=actor,
                        message=timeline_message(gettext_lazy("Quality check required before shipping: %(reason)s"),
                                                 {"reason": reason or "-"}),
                        data={"reason": reason})


def qc_decided_event(*, order: Order, actor, passed: bool, note: str, photo: str = "") -> OrderEvent:
    if passed:
        message = timeline_message(gettext_lazy("Quality check passed: %(note)s"), {"note": note or "-"})
    else:
        message = timeline_message(gettext_lazy("Quality check failed: %(note)s"), {"note": note})
    return record_event(order=order, kind=LogisticsEventKind.QC_PASSED if passed else LogisticsEventKind.QC_FAILED,
                        actor=actor, message=message, data={"note": note, "photo": photo})
