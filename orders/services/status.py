"""State changes of an order: review, hold, payment, cancellation, shipment and completion.

Each locks the order, applies one FSM transition, writes one timeline event and fires
`hooks.order_status_changed` (and `hooks.order_cancelled` when the order ends unshipped)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import hooks
from core.actors import actor_user
from core.bulk import insert_history, insert_objects, update_rows
from core.errors import ValidationFailed
from core.fsm import run_transition
from orders.events import EventKind, build_event, queued_events, record_event, status_data, timeline_message
from orders.lock_objects import lock_order, lock_orders
from orders.models import Order, OrderEvent, OrderStatus


def _status_changed(*, order: Order, actor, source: str) -> None:
    """Let upper stages act on a state change (`hooks.order_status_changed`), after the timeline event."""
    if order.status != source:
        hooks.order_status_changed.fire(hooks.OrderStatusChanged(order=order, actor=actor, source=source,
                                                                 target=order.status))


@dataclass(frozen=True)
class HoldReason:
    code: str
    message: str
    data: dict = field(default_factory=dict)


def _held(*, order: Order, source: str, reasons: list[HoldReason], actor, replace: bool = False) -> OrderEvent:
    """Apply the hold to the locked order in memory; return its unsaved `held` event.

    An order already on hold keeps its earlier reasons and adds the new ones, unless `replace`."""
    run_transition(order, "hold", actor=None)  # holding is always allowed to whoever found a problem
    kept = order.hold_reasons if source == OrderStatus.ON_HOLD and not replace else []
    order.hold_reasons = list(dict.fromkeys([*kept, *(r.code for r in reasons)]))
    with translation.override("zh-hans"):  # the timeline's language, whoever put it on hold
        texts = [str(r.message) for r in reasons]  # reasons' messages may be lazy: rendered here
        message = _("Put on hold: %(reasons)s") % {"reasons": "；".join(texts)}
    details = [{"code": r.code, "message": text, **r.data} for r, text in zip(reasons, texts, strict=True)]
    return build_event(order=order, kind=EventKind.HELD, message=message, actor=actor,
                       data=status_data(source, order.status, reasons=details))


@transaction.atomic
def order_put_on_hold(*, order: Order, reasons: list[HoldReason], actor, replace: bool = False,
                      locked: bool = False) -> Order:
    """Put the order on hold for `reasons`. With `replace`, an order already on hold drops its earlier
    reasons (a reviewer approved them; the new ones are why it stays on hold). `locked`: the caller
    holds `order` locked and current in this transaction (the order intake)."""
    if not locked:
        order = lock_order(order)
    source = order.status
    event = _held(order=order, source=source, reasons=reasons, actor=actor, replace=replace)
    order.save()
    queued = queued_events()
    if queued is not None:  # written with the transaction's other events (the order intake)
        queued.append(event)
    else:
        event.save()
    _status_changed(order=order, actor=actor, source=source)
    return order


@transaction.atomic
def orders_put_on_hold(*, holds: list[tuple[Order, list[HoldReason]]], actor) -> list[Order]:
    """`order_put_on_hold` for many orders in one go: the legacy import's orders short of stock.

    The same transition, reasons, audit history, timeline event and `order_status_changed` hook per
    order, but the rows are locked in one query (pk order) and written in bulk: one by one, the
    holds cost the import more than reading, checking and writing the orders themselves.
    """
    reasons_by_pk = {order.pk: reasons for order, reasons in holds}
    orders = lock_orders(reasons_by_pk)
    if len(orders) != len(reasons_by_pk):
        raise Order.DoesNotExist(f"orders not found among {sorted(reasons_by_pk)}")
    now = timezone.now()
    sources, events = [], []
    for order in orders:
        sources.append(order.status)
        events.append(_held(order=order, source=order.status, reasons=reasons_by_pk[order.pk], actor=actor))
        order.updated_at = now
    update_rows(Order, ["status", "hold_reasons", "updated_at"], orders)
    for order in orders:
        order._update_initial_state()  # saved as held: a later save() must not see a concurrent transition
    user = actor_user(actor)
    insert_history(Order, orders, when=now, user_id=user.pk if user else None, history_type="~")
    insert_objects(OrderEvent, events)
    hooks.order_status_changed.fire_many([
        hooks.OrderStatusChanged(order=order, actor=actor, source=source, target=order.status)
        for order, source in zip(orders, sources, strict=True) if order.status != source])
    return orders


@transaction.atomic
def order_pass_review(*, order: Order, actor, comment: str = "", manual: bool = False,
                      locked: bool = False) -> Order:
    """Move a reviewed order on: to `awaiting_shipment` when paid or COD, else `awaiting_payment`.

    `locked`: the caller holds `order` locked and current in this transaction (the order intake)."""
    if not locked:
        order = lock_order(order)
    source = order.status
    transition_actor = actor if manual else None
    if order.is_settled_for_shipment():
        run_transition(order, "await_shipment", actor=transition_actor)
    else:
        run_transition(order, "await_payment", actor=transition_actor)
    cleared = order.hold_reasons
    order.hold_reasons = []
    order.save()
    if manual:
        message = timeline_message(gettext_lazy("Approved by reviewer: %(comment)s"), {"comment": comment})
        kind = EventKind.APPROVED
    else:
        message = gettext_lazy("Automatic review passed.")
        kind = EventKind.REVIEW_PASSED
    record_event(order=order, kind=kind, message=message, actor=actor,
                 data=status_data(source, order.status, comment=comment, cleared_reasons=cleared))
    _status_changed(order=order, actor=actor, source=source)
    return order


@transaction.atomic
def order_mark_paid(*, order: Order, actor) -> Order:
    """`awaiting_payment` → `awaiting_shipment` once the funds stage recorded full payment."""
    order = lock_order(order)
    source = order.status
    run_transition(order, "await_shipment", actor=None)
    order.save()
    record_event(order=order, kind=EventKind.STATUS_CHANGED, message=gettext_lazy("Paid in full; awaiting shipment."),
                 actor=actor, data=status_data(source, order.status))
    _status_changed(order=order, actor=actor, source=source)
    return order


def _close_unshipped(*, order: Order, transition: str, kind: str, message, reason: str, actor, data: dict) -> Order:
    """Cancel or reject: the order ends before shipment and upper stages undo through the hook."""
    order = lock_order(order)
    source = order.status
    run_transition(order, transition, actor=actor)
    order.hold_reasons = []
    order.save()
    hooks.order_cancelled.fire(hooks.OrderCancelled(order=order, actor=actor, reason=reason))
    record_event(order=order, kind=kind, message=message, actor=actor, data=status_data(source, order.status, **data))
    _status_changed(order=order, actor=actor, source=source)
    return order


@transaction.atomic
def order_cancel(*, order: Order, reason: str, actor) -> Order:
    """Cancel before shipment; upper stages release stock and refund through `hooks.order_cancelled`."""
    if not (reason or "").strip():
        raise ValidationFailed(errors={"reason": [_("A reason is required.")]})
    return _close_unshipped(order=order, transition="cancel", kind=EventKind.CANCELLED,
                            message=timeline_message(gettext_lazy("Cancelled: %(reason)s"), {"reason": reason}),
                            reason=reason, actor=actor, data={"reason": reason})


@transaction.atomic
def order_reject(*, order: Order, comment: str, actor) -> Order:
    """A reviewer rejects an on-hold order: it is cancelled with the reviewer's comment."""
    if not (comment or "").strip():
        raise ValidationFailed(errors={"comment": [_("A comment is required.")]})
    return _close_unshipped(order=order, transition="reject", kind=EventKind.REJECTED,
                            message=timeline_message(
                                gettext_lazy("Rejected by reviewer: %(comment)s"),
                                {"comment": comment}),
                            reason=comment, actor=actor, data={"comment": comment})



@transaction.atomic
def order_ship(*, order: Order, fully: bool, actor, message, data: dict | None = None) -> Order:
    """Logistics reports shipped quantities; the order becomes partially shipped or shipped."""
    order = lock_order(order)
    source = order.status
    run_transition(order, "ship" if fully else "ship_partially", actor=None)
    order.save()
    record_event(order=order, kind=EventKind.STATUS_CHANGED, message=message, actor=actor,
                 data=status_data(source, order.status, **(data or {})))
    _status_changed(order=order, actor=actor, source=source)
    return order


@transaction.atomic
def order_complete(*, order: Order, actor, message, data: dict | None = None) -> Order:
    order = lock_order(order)
    source = order.status
    run_transition(order, "complete", actor=None)
    order.save()
    record_event(order=order, kind=EventKind.STATUS_CHANGED, message=message, actor=actor,
                 data=status_data(source, order.status, **(data or {})))
    _status_changed(order=order, actor=actor, source=source)
    return order
