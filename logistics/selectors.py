"""Reads of the logistics stage: querysets with their joins done, for screens, PDFs, admin and API."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.selectors import normalise_sku
from inventory.models import Reservation, Warehouse
from logistics.models import (
    IN_WAREHOUSE_STATUSES,
    PickWave,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)
from orders.models import Order, OrderStatus

SHIPPABLE_ORDER_STATUSES = (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED)


def _lines_prefetch() -> Prefetch:
    return Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line__product").order_by("pk"))


def shipment_list(*, warehouse: Warehouse | None = None, status: str = "", carrier: str = "", search: str = "",
                  printed: bool | None = None) -> QuerySet[Shipment]:
    """Shipments for the warehouse list: newest first, with order, warehouse and unit totals."""
    qs = (Shipment.objects.select_related("order", "warehouse")
          .annotate(units=Coalesce(Sum("lines__quantity"), 0)))
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    if status:
        qs = qs.filter(status=status)
    if carrier:
        qs = qs.filter(carrier=carrier)
    if search:
        term = search.strip()
        qs = qs.filter(Q(number=term) | Q(order__number=term) | Q(tracking_number=term)
                       | Q(order__external_id=term))
    if printed is not None:
        qs = qs.filter(label_printed_at__isnull=not printed)
    return qs.order_by("-created_at", "-pk")


def shipments_with_lines(ids) -> list[Shipment]:
    """Shipments ready to print (slip, label, picking list): order, warehouse, lines and products loaded."""
    return list(Shipment.objects.filter(pk__in=list(ids)).select_related("order__customer", "warehouse", "wave")
                .prefetch_related(_lines_prefetch()).order_by("order__number", "number"))


def waveable_shipments(*, warehouse: Warehouse, carrier: str = "",
                       cutoff: datetime | None = None) -> QuerySet[Shipment]:
    """Shipments of one own warehouse waiting to be picked: `created`, of orders that may ship, oldest first."""
    qs = (Shipment.objects.filter(warehouse=warehouse, status=ShipmentStatus.CREATED,
                                  order__status__in=SHIPPABLE_ORDER_STATUSES)
          .select_related("order", "warehouse")
          .annotate(units=Coalesce(Sum("lines__quantity"), 0), line_count=Count("lines")))
    if carrier:
        qs = qs.filter(carrier=carrier)
    if cutoff is not None:
        qs = qs.filter(created_at__lte=cutoff)
    return qs.order_by("created_at", "pk")


def wave_list(*, warehouse: Warehouse | None = None) -> QuerySet[PickWave]:
    qs = PickWave.objects.select_related("warehouse", "created_by").annotate(shipment_count=Count("shipments"))
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    return qs.order_by("-created_at", "-pk")


@dataclass
class PickRow:
    bin: str
    sku: str
    name: str
    barcode: str
    quantity: int
    shipments: set[str] = field(default_factory=set)


@dataclass
class PickingList:
    shipments: list[Shipment]
    rows: list[PickRow]  # by bin, then SKU

    @property
    def units(self) -> int:
        return sum(row.quantity for row in self.rows)


def picking_list(*, shipments: list[Shipment]) -> PickingList:
    """What to take from which bin for these shipments, grouped by bin and SKU.

    The bins come from the lots reserved for each order line in the shipment's warehouse, taken in
    the order inventory issues them (first expired, then first received); one query for all lots.
    """
    line_keys = {(s.warehouse_id, line.order_line_id) for s in shipments for line in s.lines.all()}
    reservations: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
    if line_keys:
        rows = (Reservation.objects.filter(order_line_id__in={k[1] for k in line_keys}, quantity__gt=0)
                .values_list("stock__warehouse_id", "order_line_id", "lot__bin__code", "quantity")
                .order_by("order_line_id", F("lot__expiry_date").asc(nulls_last=True), "lot__received_at", "lot_id"))
        for warehouse_id, line_id, bin_code, quantity in rows:
            reservations[(warehouse_id, line_id)].append([bin_code or "", quantity])
    grouped: dict[tuple[str, str], PickRow] = {}
    for shipment in shipments:
        for line in shipment.lines.all():
            wanted = line.quantity - line.quantity_shipped
            product = line.order_line.product
            for slot in reservations.get((shipment.warehouse_id, line.order_line_id), []):
                if wanted <= 0:
                    break
                take = min(wanted, slot[1])
                if take <= 0:
                    continue
                slot[1] -= take  # two open shipments of one line share its reservations
                wanted -= take
                row = grouped.setdefault((slot[0], product.sku), PickRow(slot[0], product.sku, product.name,
                                                                         product.barcode, 0))
                row.quantity += take
                row.shipments.add(shipment.number)
            if wanted > 0:  # not reserved by lot (should not happen): pick without a bin
                row = grouped.setdefault(("", product.sku), PickRow("", product.sku, product.name, product.barcode, 0))
                row.quantity += wanted
                row.shipments.add(shipment.number)
    rows = sorted(grouped.values(), key=lambda r: (r.bin == "", r.bin, r.sku))
    return PickingList(shipments=shipments, rows=rows)


def shipment_for_packing(*, code: str) -> Shipment | None:
    """The shipment a scanned code names: a shipment number, or an order number with one open parcel.

    Only parcels of own warehouses that still can be packed; the oldest first when an order has
    several (a split order packed in the same warehouse twice).
    """
    term = (code or "").strip().upper()
    if not term:
        return None
    qs = (Shipment.objects.filter(status__in=[ShipmentStatus.CREATED, ShipmentStatus.PICKING, ShipmentStatus.PACKED])
          .exclude(warehouse__kind=Warehouse.Kind.EXTERNAL_WMS)
          .filter(Q(number=term) | Q(order__number=term)).select_related("order", "warehouse")
          .order_by("status", "created_at", "pk"))
    candidates = list(qs)
    open_ones = [s for s in candidates if s.status != ShipmentStatus.PACKED]
    return (open_ones or candidates or [None])[0]


def packing_view(*, shipment: Shipment) -> Shipment:
    return (Shipment.objects.select_related("order__customer", "warehouse").prefetch_related(_lines_prefetch())
            .get(pk=shipment.pk))


def line_for_code(shipment: Shipment, code: str) -> ShipmentLine | None:
    wanted = normalise_sku(code)
    for line in shipment.lines.all():
        if wanted in (normalise_sku(line.order_line.product.barcode), normalise_sku(line.order_line.sku)):
            return line
    return None


def stale_shipments(*, now: datetime | None = None, hours: int | None = None) -> QuerySet[Shipment]:
    """On the way, but no carrier news for `OMS_TRACKING_STALE_HOURS` (since shipping or the last report).

    Orders already completed (signed off automatically) are left out: nobody waits for them any more.
    """
    now = now or timezone.now()
    hours = settings.OMS_TRACKING_STALE_HOURS if hours is None else hours
    since = now - timedelta(hours=hours)
    return (Shipment.objects.filter(status__in=[ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT])
            .annotate(last_news=Coalesce("last_tracking_at", "shipped_at"))
            .filter(last_news__lt=since).exclude(order__status=OrderStatus.COMPLETED)
            .select_related("order", "warehouse").order_by("last_news", "pk"))


def exception_shipments() -> QuerySet[Shipment]:
    """Shipments a carrier reported a problem with, or that are on their way back."""
    return (Shipment.objects.filter(status__in=[ShipmentStatus.EXCEPTION, ShipmentStatus.RETURNED_TO_SENDER])
            .select_related("order", "warehouse").order_by("-updated_at", "-pk"))


def order_shipments(*, order: Order) -> list[Shipment]:
    return list(order.shipments.select_related("warehouse").prefetch_related(_lines_prefetch(), "tracking_events")
                .order_by("created_at", "pk"))


def open_shipments_for(*, order: Order, warehouse: Warehouse) -> list[Shipment]:
    """Shipments of an order still in one warehouse, oldest first (for WMS reports by order number)."""
    return list(order.shipments.filter(warehouse=warehouse, status__in=IN_WAREHOUSE_STATUSES)
                .prefetch_related(_lines_prefetch()).order_by("created_at", "pk"))


def shipment_by_tracking(*, carrier: str, tracking_number: str) -> Shipment | None:
    return (Shipment.objects.filter(carrier=carrier, tracking_number=(tracking_number or "").strip())
            .exclude(status=ShipmentStatus.CANCELLED).select_related("order").first())


def quality_checks_open():
    """Quality checks waiting for a decision, and failed ones to inspect again; oldest request first,
    with the order, its lines and their products joined (one page, a fixed number of queries)."""
    from logistics.models import QualityCheck, QualityCheckStatus

    return (QualityCheck.objects.filter(status__in=[QualityCheckStatus.PENDING, QualityCheckStatus.FAILED])
            .select_related("order", "order__channel", "decided_by")
            .prefetch_related("order__lines__product")
            .order_by("status", "requested_at", "pk"))
