"""The order pipeline: submit → automatic review → hold or move on; manual review decisions.

This is the upper layer that composes the stages: it calls `orders` services and the services of
later stages through registered review steps. Outside callers (API, admin, workbench, importer)
call these functions, never the models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import hooks
from core.actors import SYSTEM
from core.errors import DomainError, InvalidTransition, PermissionDenied, ValidationFailed
from core.models import Role
from core.money import to_money
from core.roles import user_has_role
from core.shared_values import SharedValue
from finance.models import PaymentSource
from finance.services import payment_record
from oms.workflow.automation.actions import AUTOMATION_APPROVAL
from oms.workflow.automation.approvals import approvals_settle_for_review
from oms.workflow.automation.engine import automation_approval_roles, automation_fire
from oms.workflow.automation.models import Trigger
from oms.workflow.checks import HOLD_REASON_LABELS
from oms.workflow.follow_ups import AFTER_COMMIT_STEPS, deferred, deferring
from oms.workflow.models import ReviewRule
from oms.workflow.registry import registered_checks, registered_steps
from orders import services as order_services
from orders.events import EventKind, record_event, timeline_message
from orders.lock_objects import lock_order
from orders.models import Order, OrderSource, OrderStatus
from orders.services import HoldReason, OrderInput


@dataclass
class PaymentInput:
    method: str
    paid_amount: Decimal
    transaction_id: str = ""


@dataclass
class ActiveRule:
    code: str
    params: dict
    channel_ids: set[int] = field(default_factory=set)
    approval_role: str = ""


def active_rules() -> list[ActiveRule]:
    """Registered checks with their rule rows; a check without a row runs with its defaults."""
    rows = {rule.code: rule for rule in ReviewRule.objects.prefetch_related("channels")}
    result = []
    for code, spec in sorted(registered_checks().items(), key=lambda item: (item[1].position, item[0])):
        row = rows.get(code)
        if row is not None and not row.enabled:
            continue
        params = {**spec.default_params, **(row.params if row else {})}
        channel_ids = {c.pk for c in row.channels.all()} if row else set()
        result.append(ActiveRule(code=code, params=params, channel_ids=channel_ids,
                                 approval_role=row.approval_role if row else ""))
    return result


# A safety net of five minutes; every writer of review rules calls `review_rules_changed`.
_active_review_rules = SharedValue("workflow:active_review_rules", shared_seconds=300)


def cached_active_rules() -> list[ActiveRule]:
    """`active_rules()` from the shared cache (Redis when REDIS_URL is set) and this process's copy of
    it (`core.shared_values`), filled on a miss. The order intake reads rules this way."""
    return _active_review_rules.get(active_rules)


def review_rules_changed() -> None:
    """Forget the cached rules: call after changing a `ReviewRule` (the admin and
    `ensure_review_rules` do); other processes use the new rules within
    `core.shared_values.LOCAL_SECONDS`."""
    _active_review_rules.forget()


def ensure_review_rules() -> int:
    """Create a rule row for every registered check that has none, so administrators see them all."""
    created = 0
    existing = set(ReviewRule.objects.values_list("code", flat=True))
    for code, spec in registered_checks().items():
        if code not in existing:
            ReviewRule.objects.create(code=code, name=spec.name, params=spec.default_params, position=spec.position)
            created += 1
    if created:
        review_rules_changed()
    return created


def evaluate_checks(*, order: Order, rules: list[ActiveRule] | None = None) -> list[HoldReason]:
    checks = registered_checks()
    reasons: list[HoldReason] = []
    for rule in active_rules() if rules is None else rules:
        if rule.channel_ids and order.channel_id not in rule.channel_ids:
            continue
        reasons.extend(checks[rule.code].fn(order, rule.params))
    return reasons


def _run_steps(*, order: Order, actor) -> list[HoldReason]:
    """The stages' review steps; when deferring (`follow_ups.after_commit`), the invoice is left to the
    follow-up that the order's release records."""
    skip = AFTER_COMMIT_STEPS if deferring() else ()
    for step in registered_steps():
        if step.code in skip:
            continue
        reasons = step.fn(order, actor)
        if reasons:
            return reasons
    return []


@deferred
@transaction.atomic
def review_order(*, order: Order, actor=SYSTEM) -> Order:
    """Automatic review of a `pending_review` order: every check, then the stages' steps."""
    order = lock_order(order)
    if order.status != OrderStatus.PENDING_REVIEW:
        raise InvalidTransition(_("Only orders pending review can be reviewed automatically."))
    reasons = evaluate_checks(order=order)
    # Automation rules (issue 19), trigger `created`: their holds join the checks' reasons.
    order = automation_fire(order=order, trigger=Trigger.CREATED, actor=actor, holds=reasons)
    if not reasons:
        reasons = _run_steps(order=order, actor=actor)
    if reasons:
        return order_services.order_put_on_hold(order=order, reasons=reasons, actor=actor)
    order = order_services.order_pass_review(order=order, actor=actor)
    return automation_fire(order=order, trigger=Trigger.REVIEWED, actor=actor)


@deferred
@transaction.atomic
def submit_order(*, data: OrderInput, payment: PaymentInput | None, actor, source: str = OrderSource.API) -> Order:
    """Create an order from a channel, record the payment the channel reports, review it at once.

    The invoice and shipments follow after commit (`follow_ups`), as on every path; the API takes
    the leaner `oms.workflow.intake.intake_order`, which records them in its write pipeline.
    """
    order = order_services.order_create(data=data, actor=actor, source=source)
    hooks.order_submitted.fire(hooks.OrderSubmitted(order=order, actor=actor))  # e.g. outbound webhooks
    if payment is not None and to_money(payment.paid_amount) > 0:
        record_channel_payment(order=order, payment=payment, actor=actor)
    return review_order(order=order, actor=actor)


def record_channel_payment(*, order: Order, payment: PaymentInput, actor) -> Order:
    """The payment a channel reports with the order: a Payment, a journal entry and the order's
    funds summary (finance). The review's `payment_match` check then holds a mismatching amount."""
    payment_record(order=order, amount=payment.paid_amount, method=payment.method, source=PaymentSource.CHANNEL,
                   provider=order.channel.code, transaction_id=payment.transaction_id, actor=actor)
    return Order.objects.get(pk=order.pk)


def required_approval_roles(*, order: Order) -> set[str]:
    roles = dict(ReviewRule.objects.filter(code__in=order.hold_reasons).exclude(approval_role="")
                 .values_list("code", "approval_role"))
    result = set(roles.values())
    if AUTOMATION_APPROVAL in order.hold_reasons:  # automation rules: the roles their firings asked for
        result |= automation_approval_roles(order=order)
    return result


@deferred
@transaction.atomic
def approve_order(*, order: Order, actor, comment: str) -> Order:
    """A reviewer approves an on-hold order; the stages' steps then run (e.g. stock is reserved).

    A hold reason whose rule names an approval role (say, large amounts → finance director) can only
    be approved by someone in that role. If a step fails again (stock still short), the order stays
    on hold with the new reason and the approval is still on the timeline.
    """
    if not (comment or "").strip():
        raise ValidationFailed(errors={"comment": [_("A comment is required.")]})
    if not actor.has_perm("orders.review_order"):
        raise PermissionDenied(_("Only reviewers can approve orders."))
    order = lock_order(order)
    if order.status != OrderStatus.ON_HOLD:
        raise InvalidTransition(_("Only orders on hold can be approved."))
    missing = [role for role in required_approval_roles(order=order) if not user_has_role(actor, role)]
    if missing:
        roles = "、".join(str(Role(r).label) for r in missing)
        raise PermissionDenied(_("This order needs the approval of: %(roles)s.") % {"roles": roles})
    # Automation approval chains: only a reviewer whose approval completes them may approve here.
    approvals_settle_for_review(order=order, actor=actor, comment=comment)
    return release_held_order(order=order, actor=actor, comment=comment)


def release_held_order(*, order: Order, actor, comment: str) -> Order:
    """An approved on-hold order (locked) moves on: the stages' steps run, then the review passes — or
    it is held again if a step fails. For `approve_order` and the last approval of a chain."""
    approved_reasons = list(order.hold_reasons)
    reasons = _run_steps(order=order, actor=actor)
    if reasons:
        # The reviewer's decision and comment stay on the timeline although a step put the order
        # back on hold (stock short): the form promised the comment goes there.
        record_event(order=order, kind=EventKind.APPROVED, actor=actor,
                     message=timeline_message(gettext_lazy("Approved by reviewer: %(comment)s"), {"comment": comment}),
                     data={"comment": comment, "cleared_reasons": approved_reasons,
                           "held_again": [reason.code for reason in reasons]})
        return order_services.order_put_on_hold(order=order, reasons=reasons, actor=actor, replace=True)
    return order_services.order_pass_review(order=order, actor=actor, comment=comment, manual=True)


@dataclass
class BulkResult:
    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@deferred
def bulk_approve(*, orders, actor, comment: str) -> BulkResult:
    """Approve many orders; each in its own transaction so one refusal does not undo the others."""
    result = BulkResult()
    for order in sorted(orders, key=lambda o: o.pk):
        try:
            with transaction.atomic():
                approved = approve_order(order=order, actor=actor, comment=comment)
        except DomainError as exc:
            result.failed[order.number] = str(exc)
        else:
            if approved.status == OrderStatus.ON_HOLD:
                result.failed[order.number] = _("Still on hold: %(reasons)s") % {
                    "reasons": "、".join(str(HOLD_REASON_LABELS.get(c, c)) for c in approved.hold_reasons)}
            else:
                result.succeeded.append(order.number)
    return result


def backorder_queue(*, product_ids=None):
    """Orders waiting only for stock (on hold with just `stock_shortage`), first ordered first.

    With `product_ids`, only orders with a line of one of those products.
    """
    from oms.workflow.checks import HoldCode

    qs = Order.objects.filter(status=OrderStatus.ON_HOLD, hold_reasons=[HoldCode.STOCK_SHORTAGE])
    if product_ids:
        qs = qs.filter(lines__product_id__in=list(product_ids)).distinct()
    return qs.order_by("ordered_at", "pk")


@dataclass
class BackorderResult:
    released: list[str] = field(default_factory=list)       # reserved and moved on
    still_waiting: list[str] = field(default_factory=list)  # still short; left as they were
    held: list[str] = field(default_factory=list)           # reserved, but a later step held them


@deferred
def retry_backorders(*, product_ids=None, actor=SYSTEM, limit: int | None = None) -> BackorderResult:
    """Give waiting orders the stock that arrived, oldest order first; move those that fit on.

    Each order is tried in its own transaction (a failure does not undo the others) under its row
    lock, and re-checked there: a reviewer may have approved or cancelled it meanwhile. An order
    that still does not fit is left untouched (no new timeline entry) and a later, smaller order may
    still be served: the queue gives priority, it does not block. An order that fits has its stock
    reserved by the review steps and moves on like a passed review.
    """
    from oms.workflow.checks import HoldCode

    result = BackorderResult()
    ids = list(backorder_queue(product_ids=product_ids).values_list("pk", flat=True)[:limit])
    for order_id in ids:
        with transaction.atomic():
            order = lock_order(order_id)
            if order.status != OrderStatus.ON_HOLD or order.hold_reasons != [HoldCode.STOCK_SHORTAGE]:
                continue
            reasons = _run_steps(order=order, actor=actor)
            if not reasons:
                order_services.order_pass_review(order=order, actor=actor)
                result.released.append(order.number)
            elif [r.code for r in reasons] == [HoldCode.STOCK_SHORTAGE]:
                transaction.set_rollback(True)
                result.still_waiting.append(order.number)
            else:
                order_services.order_put_on_hold(order=order, reasons=reasons, actor=actor, replace=True)
                result.held.append(order.number)
    return result


def imported_orders_reserve_stock(*, orders, actor) -> BackorderResult:
    """Legacy orders imported as awaiting payment or shipment hold stock like reviewed orders do.

    The batch is reserved at once, first ordered first served, each order all or nothing (nearest
    warehouses first); one that is short goes on hold with `stock_shortage` and waits in the
    backorder queue like any other. Pending review orders are left for the review. Orders that now
    await shipment get their shipments planned by a background job after the import commits:
    planning writes shipments, numbers and WMS instructions per order, which the import's own
    transaction should not wait for (`order_shipments_create` is idempotent, so a retry is safe).
    """
    from inventory.services import orders_stock_reserve
    from oms.workflow.checks import HoldCode
    from oms.workflow.jobs import enqueue_shipment_planning

    result = BackorderResult()
    waiting = sorted((o for o in orders if o.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_SHIPMENT)),
                     key=lambda o: (o.ordered_at, o.pk))
    if not waiting:
        return result
    batch = orders_stock_reserve(orders=waiting, actor=actor)
    holds = [(order, [HoldReason(HoldCode.STOCK_SHORTAGE, batch.short[order.pk].message,
                                 {"shortages": batch.short[order.pk].data.get("shortages", [])})])
             for order in waiting if order.pk in batch.short]
    if holds:
        order_services.orders_put_on_hold(holds=holds, actor=actor)
    result.still_waiting = [order.number for order, _reasons in holds]
    released = [order for order in waiting if order.pk in batch.reserved]
    result.released = [order.number for order in released]
    enqueue_shipment_planning([o.pk for o in released if o.status == OrderStatus.AWAITING_SHIPMENT])
    return result
