"""The `shipments` list of the API's order representation (filled into `orders.api.shipments`)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from logistics.models import Shipment


def prefetch_shipments(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(Prefetch(
        "shipments", queryset=Shipment.objects.select_related("warehouse").order_by("created_at", "pk")))


def render_shipments(order) -> list[dict]:
    return [{"number": s.number, "warehouse": s.warehouse.code, "carrier": s.carrier,
             "tracking_number": s.tracking_number, "status": s.status}
            for s in order.shipments.all()]
