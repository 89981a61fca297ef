"""The API's order representation, composed here from the stages that know its parts.

The orders stage renders the order (`orders.api.serializers.OrderOutSerializer`, read through
`orders.api.selectors`); the logistics stage, a later floor the orders stage cannot see, renders
its shipments (`logistics.api.representation`). The API sits on top of both and puts them together
explicitly: the selectors prefetch the shipments (a list page costs a constant number of queries)
and the serializer adds the `shipments` field. No registration, no hook: read this module and you
see where every field comes from.
"""

from __future__ import annotations

from django.db.models import QuerySet, prefetch_related_objects
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from logistics.api.representation import ShipmentOutSerializer, prefetch_shipments, render_shipments
from orders.api import selectors as order_selectors
from orders.api import serializers as order_serializers
from orders.models import Order


def order_list_for_api(*, channel_id: int | None = None) -> QuerySet[Order]:
    """Orders with everything the representation reads (stages' joins and prefetches)."""
    return prefetch_shipments(order_selectors.order_list_for_api(channel_id=channel_id))


def order_for_api(*, number: str) -> Order | None:
    return order_list_for_api().filter(number=number).first()


def order_prefetched_for_api(order: Order) -> Order:
    """An order the caller holds (current, channel and customer loaded), made ready for the
    representation: its lines and shipments prefetched in place instead of reading it again."""
    lookups = prefetch_shipments(Order.objects.all())._prefetch_related_lookups
    prefetch_related_objects([order], "lines", *lookups)
    return order


def order_created_for_api(order: Order) -> Order:
    """The order the intake just committed, ready for the representation without a query: its lines
    as written and reserved in the request (`created_lines`), and no shipments — the intake never
    plans them in the request; they follow after commit, so the 201 shows the order as committed."""
    lines = getattr(order, "created_lines", None)
    if lines is None:
        return order_prefetched_for_api(order)
    cache = getattr(order, "_prefetched_objects_cache", {})
    for name, rows in (("lines", sorted(lines, key=lambda line: line.pk)), ("shipments", [])):
        queryset = getattr(order, name).all()
        queryset._result_cache = list(rows)
        queryset._prefetch_done = True
        cache[name] = queryset
    order._prefetched_objects_cache = cache
    return order


class OrderOutSerializer(order_serializers.OrderOutSerializer):
    """The order as the API contract shows it (`contracts/api-v1.md`): the orders stage's fields plus
    the shipments. Named like its base so the OpenAPI component stays `OrderOut`."""

    shipments = serializers.SerializerMethodField()

    @extend_schema_field(ShipmentOutSerializer(many=True))
    def get_shipments(self, order: Order) -> list[dict]:
        return render_shipments(order)

    def get_fields(self):
        fields = super().get_fields()
        # the contract's order of fields: shipments after the money, before the times
        order = [name for name in fields if name not in ("shipments", "ordered_at", "created_at", "updated_at")]
        return {name: fields[name] for name in [*order, "shipments", "ordered_at", "created_at", "updated_at"]}
