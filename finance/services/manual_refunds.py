"""Refunds outside a return (the order's funds page), and their approval above a limit (issue 17).

The rules, applied when the money actually leaves (at once, or when the request is approved):

- everything held for the customer, before anything shipped: the order is cancelled
  (`orders.order_cancel`) — the cancellation's hooks release the stock and refund the money, so goods
  and money cannot both leave;
- part of it: refunded, and if the money left no longer covers the goods still to ship, the order
  goes on hold (payment mismatch) and the warehouse refuses it;
- never more than is held for the customer (advance receipts): after shipment revenue must be
  reversed first (a return or an allowance).

Above `settings.OMS_REFUND_APPROVAL_LIMIT` — counting what the funds page already refunded on the
order, so a refund split into small parts still reaches it — a clerk without `finance.approve_refund`
does not refund:
`refund_request_manual` opens a `RefundApproval` (nothing paid, nothing booked, stock untouched; one
pending per order). Someone else holding the permission approves it (`refund_approval_approve`: the
rules above are checked again, since the order may have shipped or been refunded meanwhile) or rejects
it with a reason (`refund_approval_reject`). Both lock the order, then the request, so two approvers
clicking at once give one refund.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.actors import SystemActor, actor_name, actor_user
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from core.fsm import run_transition
from core.money import to_money
from finance import events
from finance.lock_objects import lock_refund_approval
from finance.models import RecognisedLine, Refund, RefundApproval, RefundApprovalStatus, RefundStatus
from finance.selectors import order_advance_balance, order_payment_covers_goods
from finance.services.refunds import check_refund_amount, refund_request
from orders.events import timeline_message
from orders.lock_objects import lock_order
from orders.models import CANCELLABLE_STATUSES, Order, OrderStatus
from orders.services import HoldReason, order_cancel, order_put_on_hold

APPROVE_PERMISSION = "finance.approve_refund"
CANCEL_PERMISSION = "orders.cancel_order"
# Statuses in which a partial refund can leave the goods still to ship uncovered (hold them).
_HOLDABLE = (OrderStatus.PENDING_REVIEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_SHIPMENT,
             OrderStatus.ON_HOLD)


@dataclass(frozen=True)
class ManualRefund:
    """What a manual refund did: the refunds paid (requested from the provider), or the approval it waits for."""

    refunds: list[Refund] = field(default_factory=list)
    approval: RefundApproval | None = None

    @property
    def amount(self) -> Decimal:
        return self.approval.amount if self.approval else sum((r.amount for r in self.refunds), Decimal("0.00"))


def _may(actor, permission: str) -> bool:
    return actor is None or bool(getattr(actor, "has_perm", None) and actor.has_perm(permission))


def _require_reason(reason: str) -> None:
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("A reason is required.")]})


def _limit() -> Decimal:
    return to_money(settings.OMS_REFUND_APPROVAL_LIMIT)


def _cancels(*, order: Order, wanted: Decimal, held: Decimal) -> bool:
    """Would refunding `wanted` cancel the order (everything held, nothing shipped yet)?"""
    shipped_any = RecognisedLine.objects.filter(order_id=order.pk, gross__gt=0).exists()
    return order.status in CANCELLABLE_STATUSES and not shipped_any and held > 0 and wanted == held


def _refunded_outside_returns(order: Order) -> Decimal:
    """What the funds page has refunded on this order so far (withdrawn refunds gave the money back)."""
    total = (Refund.objects.filter(order=order, outside_return=True).exclude(status=RefundStatus.WITHDRAWN)
             .aggregate(total=Sum("amount"))["total"])
    return total or Decimal("0.00")


def _refund(*, order: Order, reason: str, wanted: Decimal, cancels: bool, actor, cancel_actor=None) -> list[Refund]:
    """Move the money (and, for a full refund before shipment, cancel the order); the order is locked."""
    if cancels:
        before = set(Refund.objects.filter(order=order).values_list("pk", flat=True))
        order_cancel(order=order, reason=_("Refunded in full before shipment: %(reason)s") % {"reason": reason},
                     actor=cancel_actor or actor)
        return list(Refund.objects.filter(order=order).exclude(pk__in=before).order_by("pk"))
    refunds = refund_request(order=order, reason=reason, actor=actor, amount=wanted)
    Refund.objects.filter(pk__in=[r.pk for r in refunds]).update(outside_return=True)
    for refund in refunds:
        refund.outside_return = True
    order.refresh_from_db()
    if order.status in _HOLDABLE and order.paid_amount > 0 and not order_payment_covers_goods(order=order):
        order_put_on_hold(order=order, actor=actor, reasons=[HoldReason(
            "payment_mismatch",
            timeline_message(gettext_lazy("¥%(amount)s refunded before shipment; the payment no longer covers the "
                                          "order."), {"amount": f"{wanted:,.2f}"}),
            {"refunded": f"{wanted:.2f}"})])
    return refunds


def _save(approval: RefundApproval, *, actor) -> None:
    # simple_history: the request's audit history names who asked, approved or rejected (and the why is
    # on the row itself: reason, decision comment).
    approval._history_user = actor_user(actor)
    approval._change_reason = str(approval.get_status_display())
    approval.save()


@transaction.atomic
def refund_request_manual(*, order: Order, reason: str, actor, amount=None) -> ManualRefund:
    """A refund outside a return (default: everything held for the customer). Within the limit (with the
    order's earlier refunds outside a return), or by someone who may approve refunds, the money goes
    now; above it, a clerk's refund waits for approval."""
    _require_reason(reason)
    order = lock_order(order)
    held = order_advance_balance(order_id=order.pk)
    wanted = held if amount is None else to_money(amount)
    check_refund_amount(wanted=wanted, held=held)
    cancels = _cancels(order=order, wanted=wanted, held=held)
    if cancels and not _may(actor, CANCEL_PERMISSION):
        raise PermissionDenied(_("Refunding everything before shipment cancels the order; "
                                 "ask someone who may cancel orders."))
    limit = _limit()
    earlier = _refunded_outside_returns(order)
    if earlier + wanted > limit and not _may(actor, APPROVE_PERMISSION):
        return ManualRefund(approval=_approval_open(order=order, reason=reason, amount=wanted, actor=actor,
                                                    limit=limit, earlier=earlier))
    return ManualRefund(refunds=_refund(order=order, reason=reason, wanted=wanted, cancels=cancels, actor=actor))


def _approval_open(*, order: Order, reason: str, amount: Decimal, actor, limit: Decimal,
                   earlier: Decimal) -> RefundApproval:
    user = actor_user(actor)
    if user is None:  # a machine caller has nobody to answer for the request
        raise PermissionDenied(
            _("A refund of more than ¥%(limit)s outside a return needs the finance director's approval.")
            % {"limit": f"{limit:,.2f}"})
    if RefundApproval.objects.filter(order=order, status=RefundApprovalStatus.PENDING).exists():
        raise InvalidTransition(_("A refund of this order already awaits approval; it must be approved or "
                                  "rejected first."))
    approval = RefundApproval(order=order, amount=amount, reason=reason.strip()[:255], requested_by=user)
    _save(approval, actor=actor)
    events.refund_approval_requested_event(order=order, actor=actor, approval=approval, limit=limit,
                                           earlier=earlier)
    return approval


def _lock_pending(approval: RefundApproval, *, actor) -> tuple[Order, RefundApproval]:
    """Lock the order, then the request (the funds writers' order), and check it still waits for `actor`."""
    if actor_user(actor) is None or not _may(actor, APPROVE_PERMISSION):
        raise PermissionDenied(_("Only someone who may approve refunds (the finance director) decides this."))
    order = lock_order(approval.order_id)
    approval = lock_refund_approval(approval.pk)
    if approval.status != RefundApprovalStatus.PENDING:
        raise InvalidTransition(_("This refund request was already decided (%(status)s).")
                                % {"status": approval.get_status_display()},
                                data={"status": approval.status})
    return order, approval


@transaction.atomic
def refund_approval_approve(*, approval: RefundApproval, actor, comment: str = "") -> list[Refund]:
    """Approve a waiting refund: the manual refund's rules are checked again now, then it happens as if
    the approver had done it, the refunds linked to the request (which names the requester)."""
    order, approval = _lock_pending(approval, actor=actor)
    if approval.requested_by_id == actor.pk:
        raise PermissionDenied(_("You asked for this refund: someone else must approve it."))
    held = order_advance_balance(order_id=order.pk)
    if approval.amount > held:
        raise ValidationFailed(errors={"amount": [
            _("Only ¥%(held)s is held for the customer now (the order shipped or was refunded since the request); "
              "reject this request and ask for a new one if money is still owed.") % {"held": f"{held:,.2f}"}]},
            data={"held": f"{held:.2f}", "amount": f"{approval.amount:.2f}"})
    cancels = _cancels(order=order, wanted=approval.amount, held=held)
    cancel_actor = actor
    if cancels and not _may(actor, CANCEL_PERMISSION):
        # The requester was allowed to cancel when asking (checked then); the approval is the other key.
        if not _may(approval.requested_by, CANCEL_PERMISSION):
            raise PermissionDenied(_("Refunding everything before shipment cancels the order; "
                                     "ask someone who may cancel orders."))
        cancel_actor = SystemActor(f"refund_approval:{actor_name(approval.requested_by)}→{actor_name(actor)}")
    run_transition(approval, "approve", actor=actor)
    approval.decided_by, approval.decided_at = actor, timezone.now()
    approval.decision_comment = (comment or "").strip()[:255]
    _save(approval, actor=actor)
    events.refund_approved_event(order=order, actor=actor, approval=approval)
    refunds = _refund(order=order, reason=approval.reason, wanted=approval.amount, cancels=cancels, actor=actor,
                      cancel_actor=cancel_actor)
    Refund.objects.filter(pk__in=[r.pk for r in refunds]).update(approval=approval)
    for refund in refunds:
        refund.approval = approval
    return refunds


@transaction.atomic
def refund_approval_reject(*, approval: RefundApproval, actor, reason: str) -> RefundApproval:
    """Reject a waiting refund with a reason; nothing was paid or booked, so nothing is undone."""
    _require_reason(reason)
    order, approval = _lock_pending(approval, actor=actor)
    run_transition(approval, "reject", actor=actor)
    approval.decided_by, approval.decided_at = actor, timezone.now()
    approval.decision_comment = reason.strip()[:255]
    _save(approval, actor=actor)
    events.refund_rejected_event(order=order, actor=actor, approval=approval)
    return approval
