"""Read side of the reports: the orders behind a figure (drill-through), and live counts for today."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from aftersales.models import OPEN_RETURN_STATUSES, ReturnRequest
from catalog.selectors import category_subtree_ids
from finance.models import RecognisedLine, Refund, RefundStatus
from inventory.models import Reservation
from logistics.models import Shipment
from oms.reports.queries import MEASURES
from oms.reports.rollups import LEGACY_SHIPPED, day_start
from orders.models import Order, OrderLine, OrderSource


def _window(field: str, start: date, end: date) -> Q:
    return Q(**{f"{field}__gte": day_start(start), f"{field}__lt": day_start(end + timedelta(days=1))})


def drill_orders(*, measure: str, start: date, end: date, filters: dict) -> QuerySet[Order]:
    """The orders behind one figure: the same period, source and keys the rollups used for it."""
    source = MEASURES[measure].source if measure in MEASURES else "orders"
    qs = Order.objects.select_related("channel", "customer")
    if source == "sales":
        posted = RecognisedLine.objects.filter(_window("entry__posted_at", start, end), order=OuterRef("pk"))
        if filters.get("product") not in (None, ""):
            posted = posted.filter(order_line__product_id=None if filters["product"] == "none" else filters["product"])
        legacy = Q(_window("ordered_at", start, end), source=OrderSource.IMPORT, status__in=LEGACY_SHIPPED) & ~Exists(
            RecognisedLine.objects.filter(order=OuterRef("pk")))
        if filters.get("product") not in (None, "", "none"):
            legacy &= Exists(OrderLine.objects.filter(order=OuterRef("pk"), product_id=filters["product"]))
        category = filters.get("category")
        if category == "none":
            # the rollup's "no category" row: uncategorised products and the shipping fee (no order line)
            posted = posted.filter(Q(order_line__isnull=True) | Q(order_line__product__category__isnull=True))
            legacy &= (Q(shipping_fee__gt=0) | Exists(OrderLine.objects.filter(order=OuterRef("pk"),
                                                                               product__category__isnull=True)))
        elif category not in (None, ""):
            subtree = category_subtree_ids(category)
            posted = posted.filter(order_line__product__category_id__in=subtree)
            legacy &= Exists(OrderLine.objects.filter(order=OuterRef("pk"), product__category_id__in=subtree))
        qs = qs.filter(Exists(posted) | legacy)
    elif source == "refunds":
        qs = qs.filter(Exists(Refund.objects.filter(_window("completed_at", start, end), order=OuterRef("pk"),
                                                    status=RefundStatus.SUCCEEDED)))
    else:
        qs = qs.filter(_window("ordered_at", start, end))
        if measure == "cancelled":
            qs = qs.filter(status="cancelled")
    for key, value in filters.items():
        if value in (None, "") or key in ("product", "category"):
            continue
        if key == "channel":
            qs = qs.filter(channel_id=value)
        elif key == "province":
            qs = qs.filter(province="" if value == "none" else value)
        elif key == "legacy":
            qs = qs.filter(source=OrderSource.IMPORT) if value in (True, "1") else qs.exclude(source=OrderSource.IMPORT)
        elif key == "warehouse":
            shipped = Exists(Shipment.objects.filter(order=OuterRef("pk"), **({} if value == "none" else
                                                                              {"warehouse_id": value})))
            reserved = Exists(Reservation.objects.filter(order=OuterRef("pk"), **({} if value == "none" else
                                                                                  {"stock__warehouse_id": value})))
            qs = qs.filter(~shipped & ~reserved) if value == "none" else qs.filter(shipped | reserved)
    return qs.order_by("-ordered_at", "-id")


def open_returns_count() -> int:
    return ReturnRequest.objects.filter(status__in=OPEN_RETURN_STATUSES).count()
