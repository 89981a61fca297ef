"""Timeline kinds written by the logistics stage (through `orders.events.record_event`)."""

from django.utils.functional import lazy


class LogisticsEventKind:
    SHIPMENTS_CREATED = "shipments_created"
    PICKING_STARTED = "picking_started"
    SHIPMENT_PACKED = "shipment_packed"
    SHIPMENT_SHIPPED = "shipment_shipped"  # kept in the data of the order's `status_changed` event
    TRACKING = "tracking"
    SHIPMENT_CANCELLED = "shipment_cancelled"
    SHIPMENT_RETURNED = "shipment_returned"
    CARRIER_CHANGED = "carrier_changed"


def _format(template, params: dict) -> str:
    return str(template) % {key: str(value) for key, value in params.items()}


_format_lazy = lazy(_format, str)


def timeline_message(template, params: dict):
    """A timeline message formatted when it is stored, not when it is built.

    `record_event` stores messages in the project language (zh-hans) whatever language the clerk's
    request uses; `gettext_lazy(...) % params` would be translated at once, in the request's
    language. Lazy labels among the params (a carrier's name) are translated at the same moment.
    """
    return _format_lazy(template, params)


later = lazy(lambda build: build(), str)
later.__doc__ = "A piece of a timeline message built (and translated) when the message is stored."
