"""Raising and deciding return requests: create, approve, reject, the customer's parcel, close."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.events import AftersalesEventKind, record_return_event
from aftersales.lock_objects import lock_return_request
from aftersales.models import (
    OutsideRules,
    ReturnKind,
    ReturnLine,
    ReturnReason,
    ReturnRequest,
    ReturnSource,
    ReturnStatus,
)
from aftersales.rules import (
    Problem,
    delivered_at_for,
    policy_for,
    refund_quote,
    returnable_quantities,
    window_problem,
)
from aftersales.services.common import Errors, mark_status_changed, next_return_number, require_comment
from aftersales.services.settlement import return_request_refund
from catalog.selectors import normalise_sku, products_by_sku
from core import hooks
from core.actors import SYSTEM, actor_name, actor_user
from core.errors import IdempotencyConflict, InvalidTransition, ValidationFailed
from core.fsm import run_transition
from core.money import format_cny
from logistics.carriers import carrier_label
from orders.lock_objects import lock_order
from orders.models import CANCELLABLE_STATUSES, Order, OrderStatus


@dataclass
class ReturnLineInput:
    sku: str
    quantity: int
    exchange_sku: str = ""


def _find_reason(code: str, errors: Errors) -> ReturnReason | None:
    reason = ReturnReason.objects.filter(code=(code or "").strip(), active=True).first()
    if reason is None:
        errors.add("reason", _("Unknown return reason “%(code)s”.") % {"code": code})
    return reason


def _nothing_shipped(order: Order, lines) -> bool:
    return all(line.quantity_shipped == 0 for line in lines)


def _validate_lines(*, order: Order, kind: str, inputs: list[ReturnLineInput], order_lines, policy,
                    before_shipment: bool, errors: Errors) -> list[ReturnLine]:
    by_sku = {normalise_sku(line.sku): line for line in order_lines}
    if not inputs and before_shipment:
        # Refund before shipment: the whole order is cancelled, so the request covers every line.
        return [ReturnLine(order_line=line, quantity=line.quantity) for line in order_lines]
    if not inputs:
        errors.add("lines", _("Name at least one line to return."))
        return []
    returnable = returnable_quantities(order, order_lines) if not before_shipment else {}
    exchange_products = products_by_sku(i.exchange_sku for i in inputs if i.exchange_sku) \
        if kind == ReturnKind.EXCHANGE else {}
    seen: set[int] = set()
    rows = []
    for index, item in enumerate(inputs):
        path = f"lines.{index}"
        order_line = by_sku.get(normalise_sku(item.sku or ""))
        if order_line is None:
            errors.add(f"{path}.sku", _("“%(sku)s” is not on order %(number)s.") % {"sku": item.sku,
                                                                                   "number": order.number})
            continue
        if order_line.pk in seen:
            errors.add(f"{path}.sku", _("“%(sku)s” is named twice.") % {"sku": item.sku})
            continue
        seen.add(order_line.pk)
        if not isinstance(item.quantity, int) or isinstance(item.quantity, bool) or item.quantity <= 0:
            errors.add(f"{path}.quantity", _("Must be a positive whole number."))
            continue
        if before_shipment:
            if item.quantity != order_line.quantity:
                errors.add(f"{path}.quantity", _("Before shipment the whole order is cancelled: ask for all "
                                                 "%(count)s units.") % {"count": order_line.quantity})
        elif item.quantity > returnable[order_line.pk]:
            errors.add(f"{path}.quantity", _("Only %(count)s of %(sku)s can still be returned (shipped %(shipped)s, "
                                             "already returned or asked for %(taken)s).") % {
                "count": returnable[order_line.pk], "sku": order_line.sku, "shipped": order_line.quantity_shipped,
                "taken": order_line.quantity_shipped - returnable[order_line.pk]})
        exchange_product = None
        if item.exchange_sku:
            if kind != ReturnKind.EXCHANGE:
                errors.add(f"{path}.exchange_sku", _("Only exchanges name a replacement SKU."))
            else:
                exchange_product = exchange_products.get(normalise_sku(item.exchange_sku))
                if exchange_product is None or not exchange_product.active:
                    errors.add(f"{path}.exchange_sku", _("Unknown SKU “%(sku)s”.") % {"sku": item.exchange_sku})
                    exchange_product = None
                elif policy.exchange_same_price_only and exchange_product.pk != order_line.product_id \
                        and exchange_product.price != order_line.product.price:
                    errors.add(f"{path}.exchange_sku", _(
                        "%(new)s costs %(new_price)s, %(old)s costs %(old_price)s: an exchange is only for goods of "
                        "the same price.") % {
                        "new": exchange_product.sku, "new_price": format_cny(exchange_product.price),
                        "old": order_line.sku, "old_price": format_cny(order_line.product.price)})
        rows.append(ReturnLine(order_line=order_line, quantity=item.quantity, exchange_product=exchange_product))
    if before_shipment and not errors.errors and len(rows) != len(order_lines):
        errors.add("lines", _("Before shipment the whole order is cancelled: name every line."))
    return rows


@transaction.atomic
def return_request_create(*, order: Order, kind: str, reason: str, lines: list[ReturnLineInput], actor,
                          description: str = "", channel_ref: str = "", source: str = ReturnSource.BACK_OFFICE,
                          return_carrier: str = "", return_tracking_number: str = "") -> ReturnRequest:
    """Raise a return, exchange or refund request on an order, checked against the rules.

    Requests that break a hard rule (units never shipped or already returned, an unknown reason,
    an exchange for something dearer) are refused with every problem at once. Requests after the
    return window (when the policy says so) or refunds without return above the threshold are
    stored and wait for a manager's approval. Within the rules and with `auto_approve` on, the
    request is approved at once by the system.
    """
    errors = Errors()
    if kind not in ReturnKind.values:
        errors.add("kind", _("Must be one of: %(kinds)s.") % {"kinds": ", ".join(ReturnKind.values)})
    reason_obj = _find_reason(reason, errors)
    channel_ref = (channel_ref or "").strip()
    order = lock_order(order)
    if channel_ref:
        existing = ReturnRequest.objects.filter(order=order, channel_ref=channel_ref).first()
        if existing is not None:
            raise IdempotencyConflict(
                _("The channel's after-sales ID %(ref)s was already used for %(number)s.")
                % {"ref": channel_ref, "number": existing.number}, data={"rma": existing.number})
    order_lines = list(order.lines.select_related("product").order_by("pk"))
    policy = policy_for(order)
    before_shipment = False
    if order.status == OrderStatus.CANCELLED:
        errors.add("order", _("Order %(number)s is cancelled.") % {"number": order.number})
    elif _nothing_shipped(order, order_lines):
        if kind == ReturnKind.REFUND_ONLY and order.status in CANCELLABLE_STATUSES:
            before_shipment = True
        elif kind in ReturnKind.values:
            errors.add("kind", _("Nothing of order %(number)s has shipped yet: ask for a refund without return, "
                                 "which cancels the order.") % {"number": order.number})
    if errors.errors.get("kind") or errors.errors.get("order"):
        errors.raise_if_any(_("The request breaks the after-sales rules."))
    rows = _validate_lines(order=order, kind=kind, inputs=lines, order_lines=order_lines, policy=policy,
                           before_shipment=before_shipment, errors=errors)
    if (return_tracking_number or "").strip() and kind == ReturnKind.REFUND_ONLY:
        errors.add("return_tracking_number", _("A refund without return has no return parcel."))
    errors.raise_if_any(_("The request breaks the after-sales rules."))

    approval: list[Problem] = []
    delivered_at = None
    if not before_shipment:
        delivered_at = delivered_at_for(order)
        problem = window_problem(policy=policy, reason=reason_obj, delivered_at=delivered_at)
        if problem is not None:
            if policy.outside_window == OutsideRules.REFUSE:
                raise ValidationFailed(problem.message, errors={problem.path: [problem.message]})
            approval.append(problem)
    request = ReturnRequest(
        number=next_return_number(), order=order, kind=kind, reason=reason_obj,
        description=(description or "").strip(), source=source, channel_ref=channel_ref,
        before_shipment=before_shipment, delivered_at=delivered_at,
        return_carrier=(return_carrier or "").strip(), return_tracking_number=(return_tracking_number or "").strip(),
        created_by=actor_user(actor), actor_name=actor_name(actor),
    )
    if kind == ReturnKind.REFUND_ONLY and not before_shipment:
        amount = refund_quote(request, lines=rows).total
        if amount > policy.refund_only_approval_threshold:
            approval.append(Problem(
                code="refund_only_over_threshold",
                message=_("A refund of %(amount)s without return is above the approval threshold of "
                          "%(threshold)s.") % {"amount": format_cny(amount),
                                                "threshold": format_cny(policy.refund_only_approval_threshold)}))
    request.needs_approval = bool(approval)
    request.approval_reasons = [p.as_dict() for p in approval]
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:  # the same channel request raced past the check above
        raise IdempotencyConflict(_("The channel's after-sales ID %(ref)s was already used.") % {"ref": channel_ref}) \
            from exc
    for row in rows:
        row.request = request
    ReturnLine.objects.bulk_create(rows)
    summary = "，".join(f"{row.order_line.sku}×{row.quantity}" for row in rows)

    def message():
        text = _("%(kind)s %(number)s requested (%(reason)s): %(lines)s.") % {
            "kind": request.get_kind_display(), "number": request.number, "reason": reason_obj.name, "lines": summary}
        if approval:
            text = _("%(message)s Needs a manager's approval: %(why)s") % {
                "message": text, "why": "；".join(p.message for p in approval)}
        return text

    record_return_event(
        request=request, kind=AftersalesEventKind.REQUESTED, message=message, actor=actor,
        reason=reason_obj.code, lines=[{"sku": row.order_line.sku, "quantity": row.quantity} for row in rows],
        needs_approval=request.needs_approval, approval_reasons=request.approval_reasons,
        before_shipment=before_shipment, source=source,
    )
    hooks.return_requested.fire(hooks.ReturnRequested(order=request.order, actor=actor, return_number=request.number,
                                                      kind=request.kind))
    if policy.auto_approve and not request.needs_approval:
        return return_request_approve(request=request, actor=SYSTEM, comment=str(_("Within the rules.")))
    return request


def return_request_approve(*, request: ReturnRequest, actor, comment: str) -> ReturnRequest:
    """Agree to the request. A refund before shipment is settled at once by cancelling the order."""
    comment = require_comment(comment)
    with transaction.atomic():
        request = lock_return_request(request)
        source = request.status
        run_transition(request, "approve", actor=actor)
        mark_status_changed(request)

        def message():
            if request.is_goods_kind():
                text = _("%(number)s approved: the customer may send the goods back. %(comment)s")
            else:
                text = _("%(number)s approved. %(comment)s")
            return text % {"number": request.number, "comment": comment}

        record_return_event(request=request, kind=AftersalesEventKind.APPROVED, source=source, actor=actor,
                            message=message, comment=comment, exception=request.needs_approval)
        if request.before_shipment:
            return return_request_refund(request=request, actor=actor, comment=comment)
    return request


@transaction.atomic
def return_request_reject(*, request: ReturnRequest, actor, comment: str) -> ReturnRequest:
    comment = require_comment(comment)
    request = lock_return_request(request)
    source = request.status
    run_transition(request, "reject", actor=actor)
    request.closed_at = timezone.now()
    mark_status_changed(request, "closed_at")
    record_return_event(request=request, kind=AftersalesEventKind.REJECTED, source=source, actor=actor,
                        message=lambda: _("%(number)s rejected: %(comment)s") % {
                            "number": request.number, "comment": comment}, comment=comment)
    return request


@transaction.atomic
def return_request_register_parcel(*, request: ReturnRequest, carrier: str, tracking_number: str,
                                   actor) -> ReturnRequest:
    """The customer sent the goods back: note the carrier and tracking number so receiving finds it."""
    tracking_number = (tracking_number or "").strip()
    if not tracking_number:
        raise ValidationFailed(errors={"tracking_number": [_("This field is required.")]})
    request = lock_return_request(request)
    source = request.status
    if source == ReturnStatus.AWAITING_RETURN:
        pass  # a corrected tracking number: no state change, still one timeline entry
    else:
        run_transition(request, "register_return", actor=actor)
    request.return_carrier = (carrier or "").strip()
    request.return_tracking_number = tracking_number
    if source == ReturnStatus.AWAITING_RETURN:
        request.save(update_fields=["return_carrier", "return_tracking_number", "updated_at"])
    else:
        mark_status_changed(request, "return_carrier", "return_tracking_number")
    record_return_event(
        request=request, kind=AftersalesEventKind.IN_TRANSIT, source=source, actor=actor,
        message=lambda: _("Return parcel of %(number)s on its way: %(carrier)s %(tracking)s.") % {
            "number": request.number, "carrier": carrier_label(request.return_carrier) if request.return_carrier
            else "", "tracking": tracking_number},
        carrier=request.return_carrier, tracking_number=tracking_number,
    )
    return request


CLOSE_WITHOUT_SETTLEMENT = (ReturnStatus.APPROVED, ReturnStatus.AWAITING_RETURN, ReturnStatus.INSPECTED)


@transaction.atomic
def return_request_close(*, request: ReturnRequest, actor, comment: str) -> ReturnRequest:
    """Close a settled request, or one that ends without settlement (withdrawn, never sent, nothing to refund)."""
    comment = require_comment(comment)
    request = lock_return_request(request)
    source = request.status
    if source == ReturnStatus.RECEIVED:
        raise InvalidTransition(_("The goods of %(number)s have arrived: inspect them before closing.")
                                % {"number": request.number})
    run_transition(request, "close", actor=actor)
    request.closed_at = timezone.now()
    mark_status_changed(request, "closed_at")

    def message():
        if source in CLOSE_WITHOUT_SETTLEMENT:
            text = _("%(number)s closed without refund or exchange: %(comment)s")
        else:
            text = _("%(number)s closed: %(comment)s")
        return text % {"number": request.number, "comment": comment}

    record_return_event(request=request, kind=AftersalesEventKind.CLOSED, source=source, actor=actor,
                        message=message, comment=comment,
                        settled=source not in CLOSE_WITHOUT_SETTLEMENT)
    return request


@dataclass
class SubmitResult:
    request: ReturnRequest
    replayed: bool


def _same_request(existing: ReturnRequest, *, kind: str, reason: str, lines: list[ReturnLineInput]) -> bool:
    mine = sorted((line.order_line.sku.upper(), line.quantity,
                   (line.exchange_product.sku if line.exchange_product_id else "").upper())
                  for line in existing.lines.select_related("order_line", "exchange_product"))
    theirs = sorted((normalise_sku(i.sku or ""), i.quantity, normalise_sku(i.exchange_sku or "")) for i in lines)
    if existing.before_shipment and not lines:
        theirs = mine
    return existing.kind == kind and existing.reason.code == (reason or "").strip() and mine == theirs


def return_request_submit(*, order: Order, kind: str, reason: str, lines: list[ReturnLineInput], actor,
                          channel_ref: str = "", **kwargs) -> SubmitResult:
    """A request from a channel, idempotent on the channel's after-sales ID (`channel_ref`).

    The same ID with the same request answers the stored request (`replayed`); with a different
    one it is an `IdempotencyConflict`.
    """
    channel_ref = (channel_ref or "").strip()
    if channel_ref:
        existing = ReturnRequest.objects.select_related("reason").filter(order=order, channel_ref=channel_ref).first()
        if existing is not None:
            if _same_request(existing, kind=kind, reason=reason, lines=lines):
                return SubmitResult(request=existing, replayed=True)
            raise IdempotencyConflict(
                _("The channel's after-sales ID %(ref)s was already used for %(number)s with other contents.")
                % {"ref": channel_ref, "number": existing.number}, data={"rma": existing.number})
    request = return_request_create(order=order, kind=kind, reason=reason, lines=lines, actor=actor,
                                    channel_ref=channel_ref, source=ReturnSource.API, **kwargs)
    return SubmitResult(request=request, replayed=False)
