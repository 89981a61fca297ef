"""What an automation rule's actions do. Each action is `{"type": ..., "params": {...}}`.

- `hold` `{reason}`: put the order on hold (`orders.services.order_put_on_hold`) with the reason;
- `require_approval` `{levels: [{role?, users?, mode, remind/escalate…}], reason?}` (or the one-level
  `{role}`): put it on hold and open an approval chain (`automation.approvals`) decided level by level;
- `set_tag` `{tag}` / `set_priority` `{priority}`: the order has no such field yet → skipped, said so;
- `notify` `{message, channel: in_app|console}`: a message on the order's timeline (and the log).

Inside the review (trigger `created`), holds are handed back to the review, which decides with the
checks' reasons; at other triggers an order whose state cannot be held is left alone (skipped).
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ValidationFailed
from oms.workflow.automation import approvals
from orders.events import record_event, timeline_message
from orders.models import Order, OrderStatus
from orders.services import HoldReason

logger = logging.getLogger("oms.automation")

AUTOMATION_HOLD = "automation_hold"
AUTOMATION_APPROVAL = "automation_approval"
EVENT_KIND = "automation"
HOLDABLE = {OrderStatus.PENDING_REVIEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.AWAITING_SHIPMENT,
            OrderStatus.ON_HOLD}

ACTION_TYPES = {
    "hold": gettext_lazy("Put on hold"),
    "require_approval": gettext_lazy("Require approval"),
    "set_tag": gettext_lazy("Set a tag"),
    "set_priority": gettext_lazy("Set the priority"),
    "notify": gettext_lazy("Notify"),
}
NOTIFY_CHANNELS = ("in_app", "console")

# The fields a notification's message may name: "订单 {number} 金额 ¥{total}".
_MESSAGE_FIELDS = ("number", "total", "channel", "province", "recipient", "status")


def clean_actions(actions) -> list[dict]:
    """Cleaned actions; raises ValidationFailed(errors={"actions": [...]}) naming each bad one."""
    if actions in (None, ""):
        return []
    if not isinstance(actions, list):
        raise ValidationFailed(errors={"actions": [_("Actions must be a JSON list.")]})
    errors, cleaned = [], []
    for index, action in enumerate(actions, start=1):
        prefix = _("Action %(n)d: ") % {"n": index}
        if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
            known = ", ".join(ACTION_TYPES)
            errors.append(prefix + _("type must be one of %(known)s.") % {"known": known})
            continue
        kind, params = action["type"], action.get("params") or {}
        if not isinstance(params, dict):
            errors.append(prefix + _("params must be a JSON object."))
            continue
        if kind == "hold" and not str(params.get("reason", "")).strip():
            errors.append(prefix + _("a hold needs a reason."))
        elif kind == "require_approval":
            errors += [prefix + problem for problem in approvals.clean_approval_params(params)]
        elif kind == "set_tag" and not str(params.get("tag", "")).strip():
            errors.append(prefix + _("a tag is required."))
        elif kind == "set_priority" and not isinstance(params.get("priority"), int):
            errors.append(prefix + _("priority must be a whole number."))
        elif kind == "notify":
            if not str(params.get("message", "")).strip():
                errors.append(prefix + _("a message is required."))
            elif params.get("channel", "in_app") not in NOTIFY_CHANNELS:
                errors.append(prefix + _("channel must be in_app or console."))
            else:
                try:
                    render_message(params["message"], _SampleOrder())
                except (KeyError, ValueError, IndexError) as exc:
                    errors.append(prefix + _("the message names an unknown field: %(error)s") % {"error": exc})
        cleaned.append({"type": kind, "params": params})
    if errors:
        raise ValidationFailed(errors={"actions": errors})
    return cleaned


class _SampleOrder:
    number, total, province, recipient, status = "SO0001", 0, "", "", ""

    class channel:  # noqa: N801
        code = "sample"


def render_message(template: str, order) -> str:
    values = {name: getattr(order, name, "") for name in _MESSAGE_FIELDS}
    values["channel"] = order.channel.code
    return template.format(**values)


def describe(action: dict, order: Order) -> str:
    """What the action would do to this order, in words (the dry run)."""
    kind, params = action["type"], action.get("params") or {}
    if kind == "hold":
        return _("Put on hold: %(reason)s") % {"reason": params["reason"]}
    if kind == "require_approval":
        return _("Hold for the approval of: %(role)s") % {"role": approvals.describe_levels(params)}
    if kind in ("set_tag", "set_priority"):
        return _("Skipped: orders have no tag or priority field yet")
    return _("Notify (%(channel)s): %(message)s") % {"channel": params.get("channel", "in_app"),
                                                     "message": render_message(params["message"], order)}


def hold_reason(action: dict, *, rule, version: int) -> HoldReason:
    params = action.get("params") or {}
    data = {"rule": rule.pk, "rule_version": version}
    if action["type"] == "require_approval":
        data["approval_role"] = params.get("role", "")
        reason = params.get("reason") or _("rule “%(rule)s”") % {"rule": rule.name}
        return HoldReason(AUTOMATION_APPROVAL,
                          timeline_message(gettext_lazy("Needs approval (%(reason)s)"), {"reason": reason}), data)
    return HoldReason(AUTOMATION_HOLD, str(params["reason"]), data)


def perform(action: dict, *, order: Order, rule, version: int, actor, holds: list | None) -> tuple[Order, dict]:
    """Do the action; return the (possibly new) order and what was done, for the firing's record.

    `holds`: inside the review, a list that receives the hold reasons instead of holding at once."""
    kind, params = action["type"], action.get("params") or {}
    done = {"type": kind, "params": params}
    if kind in ("hold", "require_approval"):
        reason = hold_reason(action, rule=rule, version=version)
        if holds is not None:
            holds.append(reason)
            done["outcome"] = "held"
        elif order.status in HOLDABLE:
            from orders import services as order_services

            order = order_services.order_put_on_hold(order=order, reasons=[reason], actor=actor)
            done["outcome"] = "held"
        else:
            done["outcome"] = "skipped"
            done["why"] = f"status {order.status} cannot be held"
        if kind == "require_approval" and done["outcome"] == "held":  # the chain of levels, tasks per level
            done["approval_request"] = approvals.approval_request_open(
                order=order, rule=rule, version=version, params=params, actor=actor).pk
    elif kind in ("set_tag", "set_priority"):
        field = "tags" if kind == "set_tag" else "priority"
        done["outcome"] = "skipped"
        done["why"] = f"orders have no {field} field"
    elif kind == "notify":
        text = render_message(params["message"], order)
        record_event(order=order, kind=EVENT_KIND, actor=actor,
                     message=timeline_message(gettext_lazy("Notification (rule %(rule)s): %(text)s"),
                                              {"rule": rule.name, "text": text}),
                     data={"rule": rule.pk, "rule_version": version, "channel": params.get("channel", "in_app")})
        if params.get("channel") == "console":
            logger.info("automation rule %s on order %s: %s", rule.pk, order.number, text)
        done["outcome"] = "sent"
    return order, done
