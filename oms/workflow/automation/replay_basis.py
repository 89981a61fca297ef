"""What the replay knows of an order "as it was when the trigger happened", and what it takes as now.

The replay judges past orders with the rule's condition. Some facts of an order never change after
it arrives; some the trigger itself fixes; the others may have changed since, and the replay can
only see them as they are now (the order row keeps no copy per trigger):

- fixed at arrival: amount, line count, quantity, SKUs, channel, source (lines and totals are not
  edited after the order is created);
- fixed by the trigger: the status (created → pending review, paid → awaiting shipment with the
  paid amount equal to the total, shipped, completed, cancelled, stalled → the rule's state);
- as now: the paid amount (except at `paid`), the payment method and COD, the province and city
  (an address can be corrected), the customer's tags, the products' QC flag and weight, and the
  status for the other triggers.

Orders that never reached the trigger (a `shipped` rule and an order still awaiting payment) are not
counted at all: the trigger did not happen to them. Whether it did is read from the timeline's state
changes (one query per replay page).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy

from oms.workflow.automation.models import Trigger
from orders.models import OrderEvent, OrderStatus

FIXED_AT_ARRIVAL = ("amount", "line_count", "quantity", "skus", "channel", "source")
_AS_NOW = ("paid_amount", "payment_method", "is_cod", "province", "city", "customer_tags", "needs_qc", "weight")

# trigger → the status the engine sees when the trigger fires
TRIGGER_STATUS = {
    Trigger.CREATED: OrderStatus.PENDING_REVIEW,
    Trigger.PAID: OrderStatus.AWAITING_SHIPMENT,
    Trigger.SHIPPED: OrderStatus.SHIPPED,
    Trigger.COMPLETED: OrderStatus.COMPLETED,
    Trigger.CANCELLED: OrderStatus.CANCELLED,
}


def trigger_status(rule) -> str | None:
    if rule.trigger == Trigger.STALLED:
        return rule.stalled_state or None
    return TRIGGER_STATUS.get(rule.trigger)


def fixed_by_trigger(rule) -> tuple[str, ...]:
    fields = ("status",) if trigger_status(rule) else ()
    return fields + (("paid_amount",) if rule.trigger == Trigger.PAID else ())


BASIS_LABELS = {"arrived": gettext_lazy("as it arrived"), "trigger": gettext_lazy("as at the trigger"),
                "now": gettext_lazy("as now")}


def basis(rule) -> list[tuple[str, str]]:
    """(field, how the replay knows it: a key of `BASIS_LABELS`) for the replay page."""
    fixed = fixed_by_trigger(rule)
    rows = [(name, "arrived") for name in FIXED_AT_ARRIVAL]
    rows += [(name, "trigger") for name in fixed]
    rows += [(name, "now") for name in (*_AS_NOW, "status") if name not in fixed]
    return rows


def reached_trigger(rule, order_ids: list[int]) -> set[int] | None:
    """The orders among `order_ids` that went through the trigger's state change (None: every order,
    or a trigger the timeline does not show, judged as now)."""
    if rule.trigger == Trigger.CREATED:
        return None
    status = trigger_status(rule)
    if status is None or status == OrderStatus.PENDING_REVIEW:
        return None
    events = OrderEvent.objects.filter(order_id__in=order_ids, data__to=status).exclude(data__from=status)
    if rule.trigger == Trigger.PAID:
        events = events.filter(data__from=OrderStatus.AWAITING_PAYMENT)
    return set(events.values_list("order_id", flat=True))


def as_at_trigger(rule, context: dict, order) -> dict:
    """`context` (the order as now) with what the trigger fixes put back."""
    status = trigger_status(rule)
    if status is None:
        return context
    context = {**context, "status": str(status)}  # a plain str: conditions compare types strictly
    if rule.trigger == Trigger.PAID:
        context["paid_amount"] = Decimal(order.total)
    return context
