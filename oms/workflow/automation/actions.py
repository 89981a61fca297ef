"""What an automation rule's actions do. Each action is `{"type": ..., "params": {...}}`.

- `hold` `{reason}`: put the order on hold (`orders.services.order_put_on_hold`) with the reason;
- `require_approval` `{levels: [{role?, users?, mode, remind/escalate…}], reason?}` (or the one-level
  `{role}`): put it on hold and open an approval chain (`automation.approvals`) decided level by level;
- `set_tag` `{tag}` / `set_priority` `{priority: 0 normal, 1 high, 2 urgent}`: the order's own fields
  (`orders.services.order_tag_add` / `order_set_priority`);
- `notify` `{message, channel: in_app|console|sms|email, template_code?, subject?}`: the message, a
  template over the order's fields (`{number}`, `{tracking_number}`, `{carrier}`, …), on the order's
  timeline; by SMS through the outbox (`oms.integrations.sms`), by e-mail after commit
  (`logistics.notifications`);
- `require_qc` `{reason?}`: a quality check before the order's parcels are packed or handed over
  (`logistics.services.qc_request`; the QC queue screen decides);
- `assign` `{user}` or `{team}`: the order's assignee (`order_assign`) or team (`order_assign_team`);
- `call_crm` `{status, note?, endpoint?}`: the CRM follow-up status, signed, through the outbox
  (`oms.integrations.crm`);
- `call_webhook` `{endpoint}`: the order as JSON, signed (`X-OMS-Signature`), through the outbox to
  the outbound endpoint of kind `automation` with that code;
- `start_survey` `{channel: in_app|sms|email}`: a satisfaction survey with a link per order
  (`automation.survey`), the link sent on the channel.

Inside the review (trigger `created`), holds are handed back to the review, which decides with the
checks' reasons; at other triggers an order whose state cannot be held is left alone (skipped).
"""

from __future__ import annotations

import logging
import string
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, ValidationFailed
from core.models import Role
from logistics.carriers import carrier_label
from oms.workflow.automation import approvals
from orders.events import record_event, timeline_message
from orders.models import Order, OrderPriority, OrderStatus
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
    "require_qc": gettext_lazy("Quality check before shipping"),
    "assign": gettext_lazy("Assign"),
    "call_crm": gettext_lazy("Update the CRM follow-up"),
    "call_webhook": gettext_lazy("Call an external system"),
    "start_survey": gettext_lazy("Start a satisfaction survey"),
}
NOTIFY_CHANNELS = ("in_app", "console", "sms", "email")
SURVEY_CHANNELS = ("in_app", "sms", "email")
DEFAULT_SMS_TEMPLATE = "SMS_ORDER_NOTICE"
SURVEY_SMS_TEMPLATE = "SMS_ORDER_SURVEY"
WEBHOOK_KIND = "automation"  # the outbound endpoints `call_webhook` posts to (`oms.integrations`)

# The fields a notification's message may name: "订单 {number} 已由{carrier}发出，运单号 {tracking_number}".
_MESSAGE_FIELDS = ("number", "total", "channel", "province", "recipient", "status", "tracking_number", "carrier",
                   "customer", "city")


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
        elif kind == "set_priority" and (not isinstance(params.get("priority"), int)
                                         or params["priority"] not in OrderPriority.values):
            errors.append(prefix + _("priority must be 0 (normal), 1 (high) or 2 (urgent)."))
        elif kind == "notify":
            if not str(params.get("message", "")).strip():
                errors.append(prefix + _("a message is required."))
            elif params.get("channel", "in_app") not in NOTIFY_CHANNELS:
                errors.append(prefix + _("channel must be one of %(channels)s.") % {
                    "channels": ", ".join(NOTIFY_CHANNELS)})
            else:
                problem = _template_problem(params["message"])
                if problem:
                    errors.append(prefix + problem)
        else:
            problem = _clean_new_kind(kind, params)
            if problem:
                errors.append(prefix + problem)
        cleaned.append({"type": kind, "params": params})
    if errors:
        raise ValidationFailed(errors={"actions": errors})
    return cleaned


def _template_problem(template: str) -> str:
    try:
        render_message(template, _SampleOrder())
    except (KeyError, ValueError, IndexError) as exc:
        return _("the message names an unknown field: %(error)s") % {"error": exc}
    return ""


def _clean_new_kind(kind: str, params: dict) -> str:
    """The problem with the params of the kinds issue 19's steps added, or ""."""
    if kind == "assign":
        user, team = str(params.get("user", "")).strip(), str(params.get("team", "")).strip()
        if bool(user) == bool(team):
            return _("name either a user or a team.")
        if team and team not in Role.values:
            return _("team must be one of %(roles)s.") % {"roles": ", ".join(Role.values)}
        if user and not get_user_model().objects.filter(username=user, is_active=True).exists():
            return _("no active user “%(user)s”.") % {"user": user}
    elif kind == "call_crm" and not str(params.get("status", "")).strip():
        return _("a follow-up status is required.")
    elif kind == "call_crm" and params.get("note"):
        return _template_problem(str(params["note"]))
    elif kind == "call_webhook" and not str(params.get("endpoint", "")).strip():
        return _("the code of an outbound endpoint (kind automation) is required.")
    elif kind == "start_survey" and params.get("channel", "in_app") not in SURVEY_CHANNELS:
        return _("channel must be one of %(channels)s.") % {"channels": ", ".join(SURVEY_CHANNELS)}
    return ""


class _SampleOrder:
    number, total, province, recipient, status, city = "SO0001", 0, "", "", "", ""
    tracking_number, carrier, customer = "SF0000000000", "顺丰速运", "张三"

    class channel:  # noqa: N801
        code = "sample"


def message_values(order) -> dict:
    """The values a message template may name; the tracking number and carrier of the order's last
    parcel that has one (empty before it is packed)."""
    if isinstance(order, _SampleOrder):
        return {name: getattr(order, name) for name in _MESSAGE_FIELDS} | {"channel": order.channel.code}
    values = {name: getattr(order, name, "") for name in _MESSAGE_FIELDS}
    values["channel"] = order.channel.code
    values["customer"] = order.customer.name if order.customer_id else ""
    shipment = (order.shipments.exclude(tracking_number="").order_by("-shipped_at", "-pk")
                .values_list("carrier", "tracking_number").first())
    values["carrier"] = str(carrier_label(shipment[0])) if shipment else ""
    values["tracking_number"] = shipment[1] if shipment else ""
    return values


def render_message(template: str, order) -> str:
    """`template` with the order's fields filled in; plain names only (no `{number.__class__}`)."""
    for _text, name, _spec, _conversion in string.Formatter().parse(template):
        if name is not None and name not in _MESSAGE_FIELDS:
            raise KeyError(name)
    return template.format(**message_values(order))


def describe(action: dict, order: Order) -> str:
    """What the action would do to this order, in words (the dry run)."""
    kind, params = action["type"], action.get("params") or {}
    if kind == "hold":
        return _("Put on hold: %(reason)s") % {"reason": params["reason"]}
    if kind == "require_approval":
        return _("Hold for the approval of: %(role)s") % {"role": approvals.describe_levels(params)}
    if kind == "set_tag":
        return _("Tag “%(tag)s”") % {"tag": params["tag"]}
    if kind == "set_priority":
        return _("Priority: %(priority)s") % {"priority": OrderPriority(params["priority"]).label}
    if kind == "require_qc":
        return _("Quality check before shipping: %(reason)s") % {"reason": params.get("reason") or "-"}
    if kind == "assign":
        who = params.get("user") or Role(params["team"]).label
        return _("Assign to %(who)s") % {"who": who}
    if kind == "call_crm":
        return _("CRM follow-up status: %(status)s") % {"status": params["status"]}
    if kind == "call_webhook":
        return _("Signed call to the outbound endpoint %(endpoint)s") % {"endpoint": params["endpoint"]}
    if kind == "start_survey":
        return _("Satisfaction survey (%(channel)s)") % {"channel": params.get("channel", "in_app")}
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
    elif kind == "notify":
        text = render_message(params["message"], order)
        channel = params.get("channel", "in_app")
        record_event(order=order, kind=EVENT_KIND, actor=actor,
                     message=timeline_message(gettext_lazy("Notification (rule %(rule)s): %(text)s"),
                                              {"rule": rule.name, "text": text}),
                     data={"rule": rule.pk, "rule_version": version, "channel": channel})
        if channel == "console":
            logger.info("automation rule %s on order %s: %s", rule.pk, order.number, text)
        done.update(_send(channel, order=order, text=text, params=params))
    else:
        order, more = _perform_step(kind, params, order=order, rule=rule, version=version, actor=actor)
        done.update(more)
    return order, done


def _send(channel: str, *, order: Order, text: str, params: dict, template_code: str = "") -> dict:
    """Send `text` to the order's customer on `channel` after commit; what was done, for the firing."""
    if channel == "sms":
        if not order.phone:
            return {"outcome": "skipped", "why": "no phone"}
        from oms.integrations.sms import sms_send  # the layer beside ours: imported when used

        values = message_values(order)
        message = sms_send(phone=order.phone, order_number=order.number,
                           template_code=params.get("template_code") or template_code or DEFAULT_SMS_TEMPLATE,
                           params={"order": order.number, "carrier": values["carrier"],
                                   "tracking": values["tracking_number"], "content": text})
        return {"outcome": "sent", "outbox": message.message_id}
    if channel == "email":
        email = order.customer.email if order.customer_id else ""
        if not email:
            return {"outcome": "skipped", "why": "no e-mail address"}
        from logistics.notifications import Notification, notify

        with translation.override(settings.LANGUAGE_CODE):  # the customer reads the shop's language
            subject = params.get("subject") or _("Your order %(number)s") % {"number": order.number}
        notify(Notification(kind="automation", order_number=order.number, phone="", email=email,
                            subject=str(subject), body=text))
        return {"outcome": "sent"}
    return {"outcome": "sent"}


def _perform_step(kind: str, params: dict, *, order: Order, rule, version: int, actor) -> tuple[Order, dict]:
    """The kinds issue 19's steps added (tag, priority, QC, assignment, outside calls, survey)."""
    from orders import services as order_services

    why = _("rule “%(rule)s” (version %(version)s)") % {"rule": rule.name, "version": version}
    if kind == "set_tag":
        order = order_services.order_tag_add(order=order, tag=params["tag"], actor=actor, reason=why)
        return order, {"outcome": "done"}
    if kind == "set_priority":
        order = order_services.order_set_priority(order=order, priority=params["priority"], actor=actor, reason=why)
        return order, {"outcome": "done"}
    if kind == "require_qc":
        from logistics.services import qc_request

        try:
            check, created = qc_request(order=order, reason=params.get("reason") or why, actor=actor,
                                        data={"rule": rule.pk, "rule_version": version})
        except DomainError as exc:
            return order, {"outcome": "skipped", "why": str(exc)}
        return order, {"outcome": "requested" if created else "skipped", "quality_check": check.pk,
                       **({} if created else {"why": "already has a quality check"})}
    if kind == "assign":
        if params.get("team"):
            order = order_services.order_assign_team(order=order, team=params["team"], actor=actor)
            return order, {"outcome": "done"}
        user = get_user_model().objects.filter(username=params["user"], is_active=True).first()
        if user is None:
            return order, {"outcome": "skipped", "why": f"no active user {params['user']}"}
        order = order_services.order_assign(order=order, assignee=user, actor=actor)
        return order, {"outcome": "done"}
    if kind == "call_crm":
        from oms.integrations.crm import crm_follow_up_update

        note = render_message(str(params["note"]), order) if params.get("note") else ""
        messages = crm_follow_up_update(customer=order.customer, status=str(params["status"]), note=note,
                                        order=order, endpoint=params.get("endpoint") or None)
        if not messages:
            return order, {"outcome": "skipped", "why": "no active CRM endpoint"}
        return order, {"outcome": "sent", "outbox": [m.message_id for m in messages]}
    if kind == "call_webhook":
        from oms.integrations import outbox
        from oms.integrations.webhooks import order_data

        message = outbox.outbox_write(
            kind=WEBHOOK_KIND, destination=str(params["endpoint"]), topic=f"automation.rule.{rule.pk}",
            message_id=f"automation:{rule.pk}:{version}:{order.number}:{uuid.uuid4().hex[:8]}",
            key=order.number, order_number=order.number,
            payload={"rule": {"id": rule.pk, "name": rule.name, "version": version}, "order": order_data(order)})
        return order, {"outcome": "sent", "outbox": message.message_id}
    if kind == "start_survey":
        from oms.workflow.automation.survey import survey_start, survey_url

        survey, created = survey_start(order=order, actor=actor, rule=rule, version=version)
        if not created:
            return order, {"outcome": "skipped", "why": "the order already has a survey", "survey": survey.pk}
        channel = params.get("channel", "in_app")
        url = survey_url(survey)
        with translation.override(settings.LANGUAGE_CODE):  # the customer reads the shop's language
            text = _("Thank you for your order %(number)s. Please rate us: %(url)s") % {"number": order.number,
                                                                                        "url": url}
        sent = _send(channel, order=order, text=text, params={}, template_code=SURVEY_SMS_TEMPLATE)
        return order, {**sent, "survey": survey.pk}
    raise ValueError(kind)  # clean_actions lets no other kind through
