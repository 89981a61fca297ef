"""Row-lock querysets for shipments. Writers lock the order first, then its shipments in pk order."""

from django.db.models import QuerySet

from logistics.models import Shipment


def shipment_qs_for_update() -> QuerySet[Shipment]:
    return Shipment.objects.select_for_update(of=("self",))


def lock_shipment(shipment_or_pk) -> Shipment:
    pk = getattr(shipment_or_pk, "pk", shipment_or_pk)
    return shipment_qs_for_update().select_related("warehouse").get(pk=pk)


def lock_shipments(pks) -> list[Shipment]:
    pks = list(pks)
    if not pks:
        return []
    return list(shipment_qs_for_update().select_related("warehouse").filter(pk__in=pks).order_by("pk"))
