"""Read side of the orders stage for the REST API: querysets with their joins done."""

from __future__ import annotations

from django.db.models import QuerySet, prefetch_related_objects

from orders.api.shipments import order_shipments
from orders.models import Order, OrderEvent


def order_list_for_api(*, channel_id: int | None = None) -> QuerySet[Order]:
    """Orders with everything the API representation reads: channel, customer, lines, shipments.

    A page of any size costs the same number of queries (one for orders, one per prefetch).
    """
    qs = Order.objects.select_related("channel", "customer").prefetch_related("lines")
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    return order_shipments.prefetch(qs)


def order_for_api(*, number: str) -> Order | None:
    return order_list_for_api().filter(number=number).first()


def order_prefetched_for_api(order: Order) -> Order:
    """An order the caller holds, current, with its channel and customer loaded (the intake's), made
    ready for the API representation: its lines and shipments prefetched (two queries, instead of
    reading the order again with `order_for_api`)."""
    lookups = order_shipments.prefetch(Order.objects.all())._prefetch_related_lookups
    prefetch_related_objects([order], "lines", *lookups)
    return order


def order_events_for_api(*, order: Order) -> QuerySet[OrderEvent]:
    return OrderEvent.objects.filter(order=order).order_by("at", "id")
