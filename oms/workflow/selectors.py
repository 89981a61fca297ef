"""Reads of the review workbench, with joins done so a page costs the same whatever its size."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from core.errors import NotFound
from oms.workflow.checks import HOLD_REASON_LABELS
from oms.workflow.filters import ReviewQueueFilter, with_hold_reason
from orders.events import EventKind
from orders.history import HistoryEntry, history_entries
from orders.models import Order, OrderEvent, OrderStatus
from orders.selectors import order_detail_qs, order_list_rows


def _held_since():
    return Subquery(OrderEvent.objects.filter(order=OuterRef("pk"), kind=EventKind.HELD)
                    .order_by("-at", "-id").values("at")[:1])


def order_list_for_review(*, filters: dict | None = None, user=None) -> QuerySet[Order]:
    """On-hold orders for the manual review queue, filtered and sorted per `ReviewQueueFilter`.

    Channel, customer and assignee are joined; `held_since` (when it was last put on hold) is a
    subquery, so a page of 20 or 100 rows is one query plus the count.
    """
    qs = order_list_rows().filter(status=OrderStatus.ON_HOLD).annotate(held_since=_held_since())
    return ReviewQueueFilter(filters or {}, queryset=qs, user=user).qs


def order_for_review(*, number: str) -> Order:
    """One order for the workbench detail page (any status: a decided order still opens)."""
    try:
        return order_detail_qs().get(number=number)
    except Order.DoesNotExist:
        raise NotFound()


@dataclass(frozen=True)
class HoldReasonView:
    code: str
    label: str
    details: list[str]


def hold_reason_details(*, order: Order) -> list[HoldReasonView]:
    """The order's current hold reasons with what the checks said, from its (prefetched) timeline."""
    said: dict[str, list[str]] = {}
    for event in order.events.all():
        if event.kind != EventKind.HELD:
            continue
        for reason in event.data.get("reasons", []):
            code = reason.get("code")
            if code in order.hold_reasons:
                said[code] = [reason.get("message", "")]  # the latest hold's wording wins
    return [HoldReasonView(code=code, label=str(HOLD_REASON_LABELS.get(code, code)), details=said.get(code, []))
            for code in order.hold_reasons]


def hold_reason_labels(codes) -> str:
    return "、".join(str(HOLD_REASON_LABELS.get(code, code)) for code in codes or [])


def order_history(*, order: Order, user) -> list[HistoryEntry]:
    """The order's audit history (simple_history), newest first, hold reasons by name."""
    records = order.history.select_related("history_user").order_by("-history_date", "-history_id")
    return history_entries(records, user=user, formatters={"hold_reasons": hold_reason_labels})


@dataclass(frozen=True)
class FollowUpRow:
    kind: str
    kind_label: str
    status: str
    status_label: str
    attempts: int
    last_error: str
    outcome: str
    created_at: object
    done_at: object

    @property
    def pending(self) -> bool:
        return self.status == "pending"


def order_follow_ups(order) -> list[FollowUpRow]:
    """What the order's intake left for after commit (invoice, shipments) and how far it got, in the
    order it runs: for the order page (pending ones are still to come, failed ones need a look)."""
    from oms.workflow.follow_ups import ORDER_OF_KINDS
    from oms.workflow.models import FollowUp

    rows = sorted(FollowUp.objects.filter(order_id=getattr(order, "pk", order)),
                  key=lambda f: (ORDER_OF_KINDS.index(f.kind), f.pk))
    return [FollowUpRow(kind=f.kind, kind_label=str(f.get_kind_display()), status=f.status,
                        status_label=str(f.get_status_display()), attempts=f.attempts, last_error=f.last_error,
                        outcome=f.outcome, created_at=f.created_at, done_at=f.done_at) for f in rows]


def approval_codes(user) -> list[str]:
    """Hold reasons (review rule codes) that only a role of this user may approve."""
    from oms.workflow.models import ReviewRule

    rules = ReviewRule.objects.exclude(approval_role="")
    if not user.is_superuser:
        rules = rules.filter(approval_role__in=list(user.groups.values_list("name", flat=True)))
    return sorted(set(rules.values_list("code", flat=True)))


def held_for_my_approval(user) -> list[Order]:
    """Orders on hold for a review rule whose approval role is one of mine (decided on the review
    workbench), oldest first: the second list of the approvals inbox."""
    codes = approval_codes(user)
    if not codes:
        return []
    held = Order.objects.filter(status=OrderStatus.ON_HOLD)
    ids: set[int] = set()
    for code in codes:
        ids.update(with_hold_reason(held, code).values_list("pk", flat=True))
    return list(Order.objects.filter(pk__in=ids).select_related("channel", "customer").order_by("created_at", "pk"))
