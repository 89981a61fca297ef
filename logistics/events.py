"""Timeline kinds written by the logistics stage (through `orders.events.record_event`)."""


class LogisticsEventKind:
    SHIPMENTS_CREATED = "shipments_created"
    PICKING_STARTED = "picking_started"
    SHIPMENT_PACKED = "shipment_packed"
    SHIPMENT_SHIPPED = "shipment_shipped"  # kept in the data of the order's `status_changed` event
    TRACKING = "tracking"
    SHIPMENT_CANCELLED = "shipment_cancelled"
    SHIPMENT_RETURNED = "shipment_returned"
    CARRIER_CHANGED = "carrier_changed"
