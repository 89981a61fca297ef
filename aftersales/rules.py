"""The after-sales rules: which request is allowed, which needs approval, how much is refunded.

Reads only. The numbers come from `ReturnPolicy` / `ReturnReason` rows (editable in the admin);
the services call these functions inside their transaction, after locking the order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.funds import refundable_funds
from aftersales.models import (
    ReturnKind,
    ReturnLine,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
    ShippingFeeRefund,
)
from core.money import ZERO, to_money
from logistics.models import Shipment
from orders.models import Order, OrderLine

# Before any warning turns red it turns amber at this share of the SLA.
SLA_WARNING_SHARE = Decimal("0.75")


def policy_for(order: Order) -> ReturnPolicy:
    """The order's channel policy, else the default one; an unsaved default if nobody made one."""
    policies = list(ReturnPolicy.objects.filter(Q(channel_id=order.channel_id) | Q(channel__isnull=True)))
    for policy in policies:
        if policy.channel_id == order.channel_id:
            return policy
    for policy in policies:
        if policy.channel_id is None:
            return policy
    return ReturnPolicy()


def window_days(policy: ReturnPolicy, reason: ReturnReason) -> int:
    if reason.window_days is not None:
        return reason.window_days
    return policy.fault_window_days if reason.seller_fault else policy.return_window_days


def delivered_at_for(order: Order) -> datetime | None:
    """When the customer got the goods: the last delivery among the order's shipments (logistics).

    None while nothing has been delivered: the window has not started. Orders completed without
    a delivery report (auto-completed, or imported) count from their completion.
    """
    delivered = Shipment.objects.filter(order=order, delivered_at__isnull=False).aggregate(
        last=Max("delivered_at"))["last"]
    if delivered is not None:
        return delivered
    event = order.events.filter(kind="status_changed", data__to="completed").order_by("-at").first()
    return event.at if event else None


@dataclass(frozen=True)
class Problem:
    """A reason to refuse a request or to send it to approval."""

    code: str
    message: str
    path: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


def claimed_quantities(order: Order, *, exclude_request_id: int | None = None) -> dict[int, int]:
    """Units per order line already covered by other requests that are still alive.

    A rejected request claims nothing; one closed without goods arriving (or a refund) claims
    nothing; once goods arrived, what arrived counts, and after QC what was really ours (a customer
    who sent back less, or something else, can ask again for the rest).
    """
    claimed: dict[int, int] = {}
    lines = (ReturnLine.objects.filter(request__order=order).exclude(request__status=ReturnStatus.REJECTED)
             .select_related("request"))
    if exclude_request_id is not None:
        lines = lines.exclude(request_id=exclude_request_id)
    for line in lines:
        request = line.request
        if request.kind == ReturnKind.REFUND_ONLY:
            units = line.quantity_refunded if request.status == ReturnStatus.CLOSED else line.quantity
        elif request.inspected_at is not None:
            units = line.quantity_passed + line.quantity_damaged  # wrong items were never ours back
        elif request.received_at is not None:
            units = line.quantity_received
        elif request.status == ReturnStatus.CLOSED:
            units = 0
        else:
            units = line.quantity
        claimed[line.order_line_id] = claimed.get(line.order_line_id, 0) + units
    return claimed


def returnable_quantities(order: Order, lines: list[OrderLine], *, exclude_request_id: int | None = None
                          ) -> dict[int, int]:
    """Shipped minus returned minus what other requests claim, per order line; never below zero."""
    claimed = claimed_quantities(order, exclude_request_id=exclude_request_id)
    result = {}
    for line in lines:
        # Goods received back are in quantity_returned *and* in their request's claim: count them once.
        taken = max(claimed.get(line.pk, 0), line.quantity_returned)
        result[line.pk] = max(line.quantity_shipped - taken, 0)
    return result


# -- money ------------------------------------------------------------------------------------------

def line_amount_for_units(order_line: OrderLine, units: int) -> Decimal:
    """The paid amount of the first `units` units of a line; all units add up to the line amount exactly."""
    if units <= 0:
        return ZERO
    if units >= order_line.quantity:
        return to_money(order_line.amount)
    return to_money(order_line.amount * units / order_line.quantity)


def refunded_units_by_line(order: Order, *, exclude_request_id: int | None = None) -> dict[int, int]:
    rows = ReturnLine.objects.filter(request__order=order, quantity_refunded__gt=0)
    if exclude_request_id is not None:
        rows = rows.exclude(request_id=exclude_request_id)
    return {row["order_line_id"]: row["units"] for row in
            rows.values("order_line_id").annotate(units=Sum("quantity_refunded"))}


def shipping_fee_already_refunded(order: Order, *, exclude_request_id: int | None = None) -> Decimal:
    qs = ReturnRequest.objects.filter(order=order)
    if exclude_request_id is not None:
        qs = qs.exclude(pk=exclude_request_id)
    return to_money(qs.aggregate(total=Sum("shipping_fee_refunded"))["total"] or ZERO)


@dataclass
class QuoteLine:
    return_line: ReturnLine
    units: int
    amount: Decimal


@dataclass
class RefundQuote:
    """What a request refunds by the rules: goods, shipping fee, and the ceiling of what was paid."""

    lines: list[QuoteLine] = field(default_factory=list)
    shipping_fee: Decimal = ZERO
    refundable_funds: Decimal = ZERO  # paid, less refunded or on its way back

    @property
    def goods(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return min(self.goods + self.shipping_fee, self.refundable_funds)


def refund_units(request: ReturnRequest, line: ReturnLine) -> int:
    """Units of a line that the request refunds: all asked for without a return; else what passed QC,
    plus units damaged on arrival when the reason is the seller's fault. Wrong items are not refunded."""
    if request.kind == ReturnKind.REFUND_ONLY:
        return line.quantity
    units = line.quantity_passed
    if request.reason.seller_fault:
        units += line.quantity_damaged
    return units


def refund_quote(request: ReturnRequest, *, lines: list[ReturnLine] | None = None) -> RefundQuote:
    order = request.order
    lines = lines if lines is not None else list(request.lines.select_related("order_line"))
    already = refunded_units_by_line(order, exclude_request_id=request.pk)
    quote = RefundQuote(refundable_funds=refundable_funds(order, exclude_request_id=request.pk))
    for line in lines:
        units = refund_units(request, line)
        before = already.get(line.order_line_id, 0)
        amount = line_amount_for_units(line.order_line, before + units) - line_amount_for_units(line.order_line, before)
        quote.lines.append(QuoteLine(return_line=line, units=units, amount=amount))
    quote.shipping_fee = _shipping_fee_due(request, lines, already)
    return quote


def _shipping_fee_due(request: ReturnRequest, lines: list[ReturnLine], already: dict[int, int]) -> Decimal:
    order = request.order
    if order.shipping_fee <= 0 or request.kind == ReturnKind.EXCHANGE:
        return ZERO
    if shipping_fee_already_refunded(order, exclude_request_id=request.pk) > 0:
        return ZERO
    rule = policy_for(order).shipping_fee_refund
    seller_fault = request.reason.seller_fault
    units_now = {line.order_line_id: refund_units(request, line) for line in lines}
    if not any(units_now.values()):
        return ZERO  # no goods refunded, no shipping fee either
    full = all(already.get(ol.pk, 0) + units_now.get(ol.pk, 0) >= ol.quantity for ol in order.lines.all())
    due = {
        ShippingFeeRefund.NEVER: False,
        ShippingFeeRefund.SELLER_FAULT: seller_fault,
        ShippingFeeRefund.FULL_RETURN: full,
        ShippingFeeRefund.SELLER_FAULT_OR_FULL_RETURN: seller_fault or full,
    }[rule]
    return to_money(order.shipping_fee) if due else ZERO


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` over `weights` proportionally in cents; the rounding rest goes to the largest weight."""
    total = to_money(total)
    weight_sum = sum(weights, ZERO)
    if not weights:
        return []
    if weight_sum <= 0:
        return [total if i == 0 else ZERO for i in range(len(weights))]
    shares = [to_money(total * w / weight_sum) for w in weights]
    rest = total - sum(shares, ZERO)
    biggest = max(range(len(weights)), key=lambda i: weights[i])
    shares[biggest] += rest
    return shares


# -- SLA ----------------------------------------------------------------------------------------------

def sla_for(policy: ReturnPolicy, status: str) -> timedelta | None:
    return {
        ReturnStatus.REQUESTED: timedelta(hours=policy.sla_review_hours),
        ReturnStatus.APPROVED: timedelta(days=policy.sla_ship_back_days),
        ReturnStatus.AWAITING_RETURN: timedelta(days=policy.sla_receive_days),
        ReturnStatus.RECEIVED: timedelta(hours=policy.sla_inspect_hours),
        ReturnStatus.INSPECTED: timedelta(hours=policy.sla_settle_hours),
    }.get(status)


class SlaLevel:
    OK = "ok"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    NONE = ""


def sla_level(policy: ReturnPolicy, status: str, since: datetime, now: datetime | None = None) -> tuple[str, datetime
                                                                                                       | None]:
    """(`ok` / `due_soon` / `overdue`, deadline) for a request in `status` since `since`."""
    limit = sla_for(policy, status)
    if limit is None:
        return SlaLevel.NONE, None
    now = now or timezone.now()
    deadline = since + limit
    age = now - since
    if age >= limit:
        return SlaLevel.OVERDUE, deadline
    if age >= limit * float(SLA_WARNING_SHARE):
        return SlaLevel.DUE_SOON, deadline
    return SlaLevel.OK, deadline


def window_problem(*, policy: ReturnPolicy, reason: ReturnReason, delivered_at: datetime | None,
                   now: datetime | None = None) -> Problem | None:
    if delivered_at is None:
        return None  # not delivered yet: the window has not started
    days = window_days(policy, reason)
    now = now or timezone.now()
    deadline = delivered_at + timedelta(days=days)
    if now <= deadline:
        return None
    return Problem(
        code="outside_window",
        message=_("The %(days)s-day return window after delivery on %(date)s ended on %(end)s.") % {
            "days": days, "date": timezone.localtime(delivered_at).strftime("%Y-%m-%d"),
            "end": timezone.localtime(deadline).strftime("%Y-%m-%d")},
        path="reason",
    )
