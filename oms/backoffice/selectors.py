"""Reads of the back office: the global order search and the order page (all three flows at once).

Each part of the order page comes from its stage's own selector, with joins done, so the page costs
the same number of queries whatever the order holds (a test counts them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from aftersales.events import ALL_KINDS as AFTERSALES_KINDS
from aftersales.models import ReturnRequest
from aftersales.selectors import return_request_list
from core.errors import NotFound
from core.pii import user_can_view_pii
from finance.events import FinanceEventKind
from finance.models import Invoice, JournalEntry, Payment, Refund
from finance.selectors import order_balances
from inventory.events import StockEventKind
from inventory.selectors import order_reservations_by_warehouse
from logistics.events import LogisticsEventKind
from logistics.models import QualityCheck, Shipment, ShipmentLine, TrackingEvent
from oms.workflow.automation.models import SatisfactionSurvey
from oms.workflow.selectors import order_history
from orders.events import EventKind, event_for_viewer, kind_label
from orders.models import Order, OrderEvent
from orders.selectors import order_detail_qs, order_list_rows
from orders.selectors import order_search as orders_matching

SEARCH_LIMIT = 50


def order_search(term: str) -> QuerySet[Order]:
    """Orders a clerk means by what they typed: order number (with or without `SO`), channel order
    ID, tracking number (own or return parcel), customer or recipient name, a phone in full, its
    last four digits or with `+86`. Newest first."""
    term = (term or "").strip()
    if not term:
        return order_list_rows().none()
    by_orders = orders_matching(order_list_rows(), term)
    tracked = set(Shipment.objects.filter(tracking_number=term).values_list("order_id", flat=True))
    tracked |= set(ReturnRequest.objects.filter(return_tracking_number=term).values_list("order_id", flat=True))
    tracked |= set(ReturnRequest.objects.filter(number=term.upper()).values_list("order_id", flat=True))
    if tracked:
        return (by_orders | order_list_rows().filter(pk__in=tracked)).order_by("-created_at", "-id")
    return by_orders.order_by("-created_at", "-id")


# -- the order page -----------------------------------------------------------------------------------
def _kinds(enum) -> set[str]:
    return {value for name, value in vars(enum).items() if name.isupper() and isinstance(value, str)}


FUNDS_KINDS = _kinds(FinanceEventKind) | {EventKind.PAYMENT_RECORDED, "return_refunded"}
GOODS_KINDS = (_kinds(StockEventKind) | _kinds(LogisticsEventKind) | set(AFTERSALES_KINDS)) - FUNDS_KINDS


def event_flow(event: OrderEvent) -> str:
    kind = event.kind
    if kind == EventKind.STATUS_CHANGED:
        # A parcel leaving or the last delivery moves the order's status, so the orders stage writes it
        # as status_changed; logistics names its news in data["kind"], and that news is the goods flow.
        kind = (event.data or {}).get("kind") or kind
    if kind in FUNDS_KINDS:
        return "funds"
    if kind in GOODS_KINDS:
        return "goods"
    return "info"


@dataclass
class TimelineEntry:
    event: OrderEvent
    flow: str
    label: str
    message: str = ""  # as the viewer may see it: personal data masked without the PII permission


@dataclass
class LineRow:
    line: object
    reserved_by_warehouse: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class OrderPage:
    order: Order
    lines: list[LineRow]
    warehouses: list[str]
    payments: list[Payment]
    refunds: list[Refund]
    invoices: list[Invoice]
    entries: list[JournalEntry]
    balances: dict
    shipments: list[Shipment]
    returns: list[ReturnRequest]
    timeline: list[TimelineEntry]
    history: list
    quality_check: QualityCheck | None = None
    survey: SatisfactionSurvey | None = None


def order_page(*, number: str, user) -> OrderPage:
    """Everything the order page shows, with a fixed number of queries."""
    number = (number or "").strip().upper()
    order = order_detail_qs().filter(number=number).first()
    if order is None:
        raise NotFound()
    reservations = order_reservations_by_warehouse(order=order)
    lines = []
    for line in order.lines.all():
        lines.append(LineRow(line=line, reserved_by_warehouse=[
            (group.warehouse_code, group.lines[line.pk]) for group in reservations if line.pk in group.lines]))
    pii = user_can_view_pii(user)
    timeline = [TimelineEntry(event=event, flow=event_flow(event), label=kind_label(event.kind) or event.kind,
                              message=event_for_viewer(event, pii=pii)[0])
                for event in order.events.all()]
    return OrderPage(
        order=order, lines=lines, warehouses=[group.warehouse_code for group in reservations],
        payments=list(Payment.objects.filter(order=order).order_by("paid_at", "pk")),
        refunds=list(Refund.objects.filter(order=order).select_related("payment").order_by("requested_at", "pk")),
        invoices=list(Invoice.objects.filter(order=order).select_related("original").order_by("issued_at", "pk")),
        entries=list(JournalEntry.objects.filter(order=order).prefetch_related("lines").order_by("posted_at", "id")),
        balances=order_balances(order_id=order.pk),
        shipments=list(Shipment.objects.filter(order=order).select_related("warehouse", "wave").prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line").order_by("pk")),
            Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("occurred_at", "pk")))
            .order_by("created_at", "pk")),
        returns=list(return_request_list(order=order).order_by("created_at", "pk")),
        timeline=timeline,
        history=order_history(order=order, user=user),
        quality_check=QualityCheck.objects.filter(order=order).select_related("decided_by").first(),
        survey=SatisfactionSurvey.objects.filter(order=order).first(),
    )
