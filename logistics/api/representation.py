"""The `shipments` list of the API's order representation (composed by `oms.api.representation`)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from rest_framework import serializers

from logistics.models import Shipment


class ShipmentOutSerializer(serializers.Serializer):
    """A shipment of the order; the list stays empty until goods leave a warehouse."""

    number = serializers.CharField()
    warehouse = serializers.CharField()
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    status = serializers.CharField()


def prefetch_shipments(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(Prefetch(
        "shipments", queryset=Shipment.objects.select_related("warehouse").order_by("created_at", "pk")))


def render_shipments(order) -> list[dict]:
    return [{"number": s.number, "warehouse": s.warehouse.code, "carrier": s.carrier,
             "tracking_number": s.tracking_number, "status": s.status}
            for s in order.shipments.all()]
