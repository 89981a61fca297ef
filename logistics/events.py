"""Timeline kinds written by the logistics stage (through `orders.events.record_event`)."""

from django.utils.functional import lazy

from orders.events import timeline_message  # re-exported: formatted when stored, in zh-hans


class LogisticsEventKind:
    SHIPMENTS_CREATED = "shipments_created"
    PICKING_STARTED = "picking_started"
    SHIPMENT_PACKED = "shipment_packed"
    SHIPMENT_SHIPPED = "shipment_shipped"  # kept in the data of the order's `status_changed` event
    TRACKING = "tracking"
    SHIPMENT_CANCELLED = "shipment_cancelled"
    SHIPMENT_RETURNED = "shipment_returned"
    CARRIER_CHANGED = "carrier_changed"


__all__ = ["LogisticsEventKind", "later", "timeline_message"]

later = lazy(lambda build: build(), str)
later.__doc__ = "A piece of a timeline message built (and translated) when the message is stored."
