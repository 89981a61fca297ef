"""Reads of the after-sales stage: the workbench queue, a request with everything its page shows,
parcels waiting at receiving, and the API representation. Joins are done here, so a list costs a
constant number of queries whatever its length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from aftersales.models import (
    OPEN_RETURN_STATUSES,
    QcPhoto,
    ReturnLine,
    ReturnPolicy,
    ReturnRequest,
    ReturnStatus,
)
from aftersales.rules import SLA_WARNING_SHARE, SlaLevel, policy_for, sla_for, sla_level
from core.errors import NotFound
from orders.models import Order, OrderEvent
from orders.selectors import order_search

RECEIVABLE_STATUSES = (ReturnStatus.APPROVED, ReturnStatus.AWAITING_RETURN)


def _lines_prefetch() -> Prefetch:
    return Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line", "exchange_product")
                    .prefetch_related(Prefetch("photos", queryset=QcPhoto.objects.order_by("pk")))
                    .order_by("pk"))


def return_request_list(*, order: Order | None = None) -> QuerySet[ReturnRequest]:
    qs = ReturnRequest.objects.select_related("order", "order__channel", "reason", "warehouse",
                                              "replacement_order").prefetch_related(_lines_prefetch())
    if order is not None:
        qs = qs.filter(order=order)
    return qs


@dataclass
class QueueFilters:
    status: str = ""
    kind: str = ""
    search: str = ""
    sla: str = ""  # "", "due_soon", "overdue": only those at risk
    open_only: bool = True
    awaiting_refund: bool = False  # refunds finance still has to transfer by hand


def return_request_queue(*, filters: QueueFilters) -> QuerySet[ReturnRequest]:
    """The workbench queue: oldest in their state first (what waits longest is most at risk)."""
    qs = return_request_list()
    if filters.awaiting_refund:
        return qs.filter(awaiting_manual_refund=True).order_by("status_changed_at", "pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    elif filters.open_only:
        # A refund finance has not transferred yet is not finished work.
        qs = qs.filter(Q(status__in=OPEN_RETURN_STATUSES) | Q(awaiting_manual_refund=True))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    term = (filters.search or "").strip()
    if term:
        qs = qs.filter(Q(number__iexact=term) | Q(order__number__iexact=term) | Q(return_tracking_number__iexact=term)
                       | Q(order__external_id__iexact=term) | Q(channel_ref__iexact=term))
    return qs.order_by("status_changed_at", "pk")


def queue_counts() -> dict[str, int]:
    rows = ReturnRequest.objects.filter(status__in=OPEN_RETURN_STATUSES).values("status").annotate(n=Count("pk"))
    counts = {status: 0 for status in OPEN_RETURN_STATUSES}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def awaiting_refund_count() -> int:
    return ReturnRequest.objects.filter(awaiting_manual_refund=True).count()


def policies_by_channel() -> tuple[dict[int, ReturnPolicy], ReturnPolicy]:
    """All policies in one query: per channel id, and the default."""
    by_channel, default = {}, None
    for policy in ReturnPolicy.objects.all():
        if policy.channel_id is None:
            default = default or policy
        else:
            by_channel[policy.channel_id] = policy
    return by_channel, default or ReturnPolicy()


@dataclass
class SlaInfo:
    level: str
    deadline: datetime | None


def attach_sla(requests, *, now: datetime | None = None) -> list[ReturnRequest]:
    """Set `request.sla` (level and deadline) on each request, reading the policies once."""
    by_channel, default = policies_by_channel()
    now = now or timezone.now()
    result = []
    for request in requests:
        policy = by_channel.get(request.order.channel_id, default)
        level, deadline = sla_level(policy, request.status, request.status_changed_at, now)
        request.sla = SlaInfo(level=level, deadline=deadline)
        result.append(request)
    return result


def sla_filter(qs: QuerySet[ReturnRequest], level: str, *, now: datetime | None = None) -> QuerySet[ReturnRequest]:
    """Only requests at risk: `overdue`, or `due_soon` (due soon or overdue), in SQL.

    Each channel's policy has its own limits per state, so the condition is an OR over (policy,
    state): in that state since before now − limit (overdue) or now − share × limit (due soon).
    """
    if level not in (SlaLevel.OVERDUE, SlaLevel.DUE_SOON):
        return qs
    now = now or timezone.now()
    by_channel, default = policies_by_channel()
    own_channels = list(by_channel)
    condition = Q(pk__in=[])
    for policy, channels in [*((p, Q(order__channel_id=c)) for c, p in by_channel.items()),
                             (default, ~Q(order__channel_id__in=own_channels))]:
        for status in OPEN_RETURN_STATUSES:
            limit = sla_for(policy, status)
            if level == SlaLevel.DUE_SOON:
                limit = limit * float(SLA_WARNING_SHARE)
            condition |= channels & Q(status=status, status_changed_at__lte=now - limit)
    return qs.filter(condition)


def return_request_detail(*, number: str) -> ReturnRequest:
    request = return_request_list().select_related("order__customer").filter(number__iexact=(number or "").strip()) \
        .first()
    if request is None:
        raise NotFound()
    return attach_sla([request])[0]


def return_request_for_order(*, order: Order, number: str) -> ReturnRequest:
    request = return_request_list(order=order).filter(number__iexact=(number or "").strip()).first()
    if request is None:
        raise NotFound()
    return request


def return_request_timeline(*, request: ReturnRequest) -> QuerySet[OrderEvent]:
    """The request's own steps on the order's timeline (entries carry the RMA number)."""
    return OrderEvent.objects.filter(order_id=request.order_id, data__rma=request.number) \
        .select_related("actor").order_by("at", "pk")


def parcels_to_receive(*, search: str) -> QuerySet[ReturnRequest]:
    """Requests whose goods may arrive, found by return tracking number, order number or RMA number."""
    term = (search or "").strip()
    qs = return_request_list().filter(status__in=RECEIVABLE_STATUSES)
    if not term:
        return qs.order_by("status_changed_at", "pk")
    return qs.filter(Q(return_tracking_number__iexact=term) | Q(order__number__iexact=term)
                     | Q(number__iexact=term) | Q(order__external_id__iexact=term)).order_by("status_changed_at", "pk")


def order_for_return(*, number: str) -> Order:
    order = Order.objects.select_related("channel", "customer").prefetch_related("lines").filter(
        number__iexact=(number or "").strip()).first()
    if order is None:
        raise NotFound()
    return order


def orders_for_return(*, term: str, limit: int = 20) -> list[Order]:
    """The orders a clerk means when raising a request: what the global search understands (order
    number with or without SO, channel order ID, name, phone, last four digits) plus the tracking
    number of its parcel or of a return parcel. Newest first."""
    term = (term or "").strip()
    if not term:
        return []
    exact = Order.objects.filter(number__iexact=term)
    matches = order_search(Order.objects.all(), term)
    tracked = Order.objects.filter(Q(shipments__tracking_number=term) | Q(return_requests__return_tracking_number=term))
    ids = set(exact.values_list("pk", flat=True)) | set(matches.values_list("pk", flat=True)[:limit]) | set(
        tracked.values_list("pk", flat=True)[:limit])
    return list(Order.objects.select_related("channel", "customer").filter(pk__in=ids)
                .order_by("-created_at", "-pk")[:limit])


def policy_of(request: ReturnRequest) -> ReturnPolicy:
    return policy_for(request.order)
