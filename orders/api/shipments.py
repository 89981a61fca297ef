"""Hook point: the `shipments` of an order in the API representation.

The orders stage cannot see shipments (they belong to logistics, a later stage), yet the order
representation of the API contract lists them. The logistics stage fills this in from its
`AppConfig.ready()`:

    from orders.api.shipments import order_shipments

    order_shipments.register(
        prefetch=lambda qs: qs.prefetch_related("shipments__warehouse"),
        render=lambda order: [{"number": s.number, "warehouse": s.warehouse.code, "carrier": s.carrier,
                               "tracking_number": s.tracking_number, "status": s.status}
                              for s in order.shipments.all()],
    )

`prefetch` is applied to every order queryset the API renders, so a list page keeps a constant
number of queries; `render` must only read what `prefetch` loaded. Until something registers,
every order has `"shipments": []`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

Prefetch = Callable[[QuerySet], QuerySet]
Render = Callable[[object], list[dict]]


class OrderShipmentsProvider:
    def __init__(self) -> None:
        self._prefetch: Prefetch | None = None
        self._render: Render | None = None

    def register(self, *, prefetch: Prefetch, render: Render) -> None:
        self._prefetch, self._render = prefetch, render

    def unregister(self) -> None:
        self._prefetch = self._render = None

    @property
    def registered(self) -> bool:
        return self._render is not None

    def prefetch(self, queryset: QuerySet) -> QuerySet:
        return self._prefetch(queryset) if self._prefetch else queryset

    def render(self, order) -> list[dict]:
        return list(self._render(order)) if self._render else []


order_shipments = OrderShipmentsProvider()
