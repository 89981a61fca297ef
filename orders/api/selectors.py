"""Read side of the orders stage for the REST API: querysets with their joins done."""

from __future__ import annotations

from django.db.models import QuerySet

from orders.models import Order, OrderEvent


def order_list_for_api(*, channel_id: int | None = None) -> QuerySet[Order]:
    """Orders with everything the orders stage's API representation reads: channel, customer, lines
    (`oms.api.representation` adds the shipments).

    A page of any size costs the same number of queries (one for orders, one per prefetch).
    """
    qs = Order.objects.select_related("channel", "customer").prefetch_related("lines")
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    return qs


def order_for_api(*, number: str) -> Order | None:
    return order_list_for_api().filter(number=number).first()


def order_events_for_api(*, order: Order) -> QuerySet[OrderEvent]:
    return OrderEvent.objects.filter(order=order).order_by("at", "id")
