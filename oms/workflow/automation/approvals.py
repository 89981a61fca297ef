"""Approval chains (issue 19): the writers and reads behind the `require_approval` action.

A rule's action names its levels, decided in sequence:

    {"type": "require_approval", "params": {"reason": "…", "levels": [
        {"role": "manager", "mode": "any", "remind_after_hours": 4, "escalate_after_hours": 24,
         "escalate_to_role": "admin"},
        {"users": ["wang.fang"], "mode": "all"}]}}

(the older `{"role": "manager"}` is one level, any one manager). When the rule fires, the order is held
(`automation_approval`) and an `ApprovalRequest` with one `ApprovalTask` per level is opened; level 1
is open at once, the next opens when the previous is approved. The order is released (the same path
as a reviewer's approval) when every request on it is approved; a rejection rejects the order with the
comment, as the review workbench's rejection does (cancelled, stock released, payments refunded).

The user who submitted the order (the actor of its `created` event: the clerk in the admin, the API
token's user) may not decide its approvals. A user away may delegate to another for a date range.
Reminders and escalation run from the django-q2 schedule `approvals_remind_and_escalate`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.actors import actor_user
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from core.roles import user_role_names
from oms.workflow.automation.approval_models import (
    ApprovalDecision,
    ApprovalDelegation,
    ApprovalRequest,
    ApprovalTask,
)
from orders.events import EventKind, record_event, timeline_message
from orders.models import Order, OrderEvent, OrderStatus

logger = logging.getLogger("oms.automation")

EVENT_KIND = "automation"  # the automation rules' timeline kind (`actions.EVENT_KIND`)
MODES = ("any", "all")
_LEVEL_KEYS = {"role", "users", "mode", "remind_after_hours", "escalate_after_hours", "escalate_to_role",
               "escalate_to_user"}


# -- the action's parameters --------------------------------------------------------------------

def levels_of(params: dict) -> list[dict]:
    """The levels of a `require_approval` action (the one-role form is one level of "any")."""
    if params.get("levels"):
        return [dict(level) for level in params["levels"]]
    return [{"role": params.get("role", ""), "mode": "any"}]


def _role_names() -> set[str]:
    from core.models import Role

    return set(Role.values) | set(Group.objects.values_list("name", flat=True))


def clean_approval_params(params: dict) -> list[str]:
    """What is wrong with a `require_approval` action's params (empty: nothing)."""
    if "levels" in params and not (isinstance(params["levels"], list) and params["levels"]):
        return [_("levels must be a non-empty list.")]
    errors = []
    roles = _role_names()
    names = set()
    levels = levels_of(params)
    for level in levels:
        if isinstance(level, dict):
            names.update(level.get("users") or [])
            names.update([level["escalate_to_user"]] if level.get("escalate_to_user") else [])
    known = set(get_user_model().objects.filter(username__in=[str(n) for n in names], is_active=True)
                .values_list("username", flat=True))
    for number, level in enumerate(levels, start=1):
        prefix = _("level %(n)d: ") % {"n": number}
        if not isinstance(level, dict):
            errors.append(prefix + _("must be a JSON object."))
            continue
        unknown_keys = set(level) - _LEVEL_KEYS
        if unknown_keys:
            errors.append(prefix + _("unknown keys %(keys)s.") % {"keys": ", ".join(sorted(unknown_keys))})
        role, users = level.get("role") or "", level.get("users") or []
        if not role and not users:
            errors.append(prefix + _("name a role or users."))
        if role and role not in roles:
            errors.append(prefix + _("role must be one of %(roles)s.") % {"roles": ", ".join(sorted(roles))})
        if not isinstance(users, list) or any(str(u) not in known for u in users):
            missing = [str(u) for u in users if str(u) not in known] if isinstance(users, list) else users
            errors.append(prefix + _("unknown users: %(users)s.") % {"users": missing})
        if level.get("mode", "any") not in MODES:
            errors.append(prefix + _("mode must be any or all."))
        for key in ("remind_after_hours", "escalate_after_hours"):
            value = level.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
                errors.append(prefix + _("%(key)s must be a positive whole number of hours.") % {"key": key})
        if level.get("escalate_to_role") and level["escalate_to_role"] not in roles:
            errors.append(prefix + _("escalate_to_role must be one of %(roles)s.") % {
                "roles": ", ".join(sorted(roles))})
        if level.get("escalate_to_user") and level["escalate_to_user"] not in known:
            errors.append(prefix + _("unknown users: %(users)s.") % {"users": level["escalate_to_user"]})
        if level.get("escalate_after_hours") and not (level.get("escalate_to_role") or level.get("escalate_to_user")):
            errors.append(prefix + _("escalation needs escalate_to_role or escalate_to_user."))
    return errors


def _role_label(role: str) -> str:
    from core.models import Role

    return str(Role(role).label) if role in Role.values else role


def _user_label(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "—"


def describe_levels(params: dict) -> str:
    """The chain in words, for the dry run: "经理 → wang.fang（全部）"."""
    parts = []
    for level in levels_of(params):
        names = ([_role_label(level["role"])] if level.get("role") else []) + [str(u) for u in level.get("users") or []]
        who = "、".join(names)
        parts.append(_("%(who)s (all of them)") % {"who": who} if level.get("mode") == "all" else who)
    return " → ".join(parts)


# -- opening a chain when the rule fires --------------------------------------------------------

def submitter_of(order: Order, actor=None):
    """The user who submitted the order: the actor of its created (or imported) event; else `actor`."""
    user_id = (OrderEvent.objects.filter(order=order, kind__in=[EventKind.CREATED, EventKind.IMPORTED])
               .exclude(actor=None).order_by("at", "pk").values_list("actor_id", flat=True).first())
    if user_id is not None:
        return user_id
    user = actor_user(actor)
    return user.pk if user else None


def _users_by_name(names) -> dict[str, int]:
    return dict(get_user_model().objects.filter(username__in=[str(n) for n in names or []])
                .values_list("username", "pk"))


def approval_request_open(*, order: Order, rule, version: int, params: dict, actor, now=None) -> ApprovalRequest:
    """Open the chain of a `require_approval` action on `order` (the hold itself is the action's)."""
    now = now or timezone.now()
    request = ApprovalRequest.objects.create(
        order=order, rule_id=rule.pk, rule_version=version, rule_name=rule.name,
        reason=str(params.get("reason") or "")[:200], submitted_by_id=submitter_of(order, actor), created_at=now)
    for number, level in enumerate(levels_of(params), start=1):
        by_name = _users_by_name([*(level.get("users") or []), level.get("escalate_to_user") or ""])
        ApprovalTask.objects.create(
            request=request, level=number, role=level.get("role") or "",
            user_ids=[by_name[str(u)] for u in level.get("users") or [] if str(u) in by_name],
            mode=level.get("mode") or "any",
            remind_after_hours=level.get("remind_after_hours"), escalate_after_hours=level.get("escalate_after_hours"),
            escalate_to_role=level.get("escalate_to_role") or "",
            escalate_to_user_id=by_name.get(level.get("escalate_to_user") or ""))
    _open_level(request=request, level=1, actor=actor, now=now)
    return request


def _who(task: ApprovalTask) -> str:
    users = get_user_model().objects.filter(pk__in=task.user_ids)
    names = [_role_label(task.role)] if task.role else []
    names += [_user_label(u) for u in users]
    return "、".join(names)


def _open_level(*, request: ApprovalRequest, level: int, actor, now) -> ApprovalTask:
    task = request.tasks.get(level=level)
    task.status, task.opened_at = ApprovalTask.Status.OPEN, now
    if task.mode == ApprovalTask.Mode.ALL:
        required = set(task.user_ids)
        if task.role:
            required |= set(get_user_model().objects.filter(groups__name=task.role, is_active=True)
                            .values_list("pk", flat=True))
        required.discard(request.submitted_by_id)  # the submitter may not approve: never wait for them
        task.required_user_ids = sorted(required)
    _save_task(task, actor=actor, reason=_("Level %(level)d opened") % {"level": level})
    record_event(order=request.order, kind=EVENT_KIND, actor=actor, message=timeline_message(
        gettext_lazy("Waiting for approval, level %(level)s of %(count)s: %(who)s (rule “%(rule)s”, version "
                     "%(version)s)"),
        {"level": level, "count": request.tasks.count(), "who": _who(task), "rule": request.rule_name,
         "version": request.rule_version}),
        data={"rule": request.rule_id, "rule_version": request.rule_version, "approval_request": request.pk,
              "level": level})
    return task


def _save_task(task: ApprovalTask, *, actor, reason: str) -> None:
    # simple_history: the task's audit history says who changed it and why, with the rule and version.
    task._history_user = actor_user(actor)
    task._change_reason = f"{reason} · {task.request.rule_name} v{task.request.rule_version}"
    task.save()


# -- who may decide -------------------------------------------------------------------------------

def _group_names(user) -> set[str]:
    return set(user_role_names(user))  # read once per request, shared with the navigation's role checks


def _may_decide_directly(task: ApprovalTask, user, groups: set[str]) -> bool:
    if task.escalated_at and (task.escalate_to_user_id == user.pk or
                              (task.escalate_to_role and task.escalate_to_role in groups)):
        return True
    if task.mode == ApprovalTask.Mode.ALL:
        decided = {d.principal_id for d in task.decisions.all()}
        return user.pk in task.required_user_ids and user.pk not in decided
    return user.pk in task.user_ids or bool(task.role and task.role in groups)


def delegators_of(user, *, today=None) -> list:
    """The users who delegated their approvals to `user` for a period that includes `today`."""
    today = today or timezone.localdate()
    ids = ApprovalDelegation.objects.filter(delegate=user, starts_on__lte=today, ends_on__gte=today) \
        .values_list("delegator_id", flat=True)
    return list(get_user_model().objects.filter(pk__in=list(ids), is_active=True))


def principal_for(task: ApprovalTask, user, *, today=None):
    """Whom `user` decides `task` for: themself, a user who delegated to them, or None (may not)."""
    if _may_decide_directly(task, user, _group_names(user)):
        return user
    for delegator in delegators_of(user, today=today):
        if _may_decide_directly(task, delegator, _group_names(delegator)):
            return delegator
    return None


# -- deciding ---------------------------------------------------------------------------------------

def _level_complete(task: ApprovalTask, decision: ApprovalDecision) -> bool:
    if task.mode == ApprovalTask.Mode.ANY:
        return True
    principal = decision.principal_id
    if task.escalated_at and principal not in task.required_user_ids:
        return True  # the escalation's target decides the level on their own
    approved = set(task.decisions.filter(outcome=ApprovalDecision.Outcome.APPROVED)
                   .values_list("on_behalf_of_id", "decided_by_id"))
    done = {on_behalf or by for on_behalf, by in approved}
    return set(task.required_user_ids) <= done


def _decision_text(decision: ApprovalDecision, by, principal) -> str:
    if principal.pk != by.pk:
        return _("%(delegate)s for %(delegator)s") % {"delegate": _user_label(by), "delegator": _user_label(principal)}
    return _user_label(by)


@transaction.atomic
def approval_decide(*, task: ApprovalTask, actor, approve: bool, comment: str, now=None) -> ApprovalTask:
    """`actor` approves or rejects the open level `task` (a comment is required). The last approval of
    the chain releases the order; a rejection rejects the order (cancelled, refunded)."""
    now = now or timezone.now()
    if not (comment or "").strip():
        raise ValidationFailed(errors={"comment": [_("A comment is required.")]})
    request = ApprovalRequest.objects.select_for_update().select_related("order").get(pk=task.request_id)
    task = ApprovalTask.objects.select_related("request").get(pk=task.pk)
    if request.status != ApprovalRequest.Status.OPEN or task.status != ApprovalTask.Status.OPEN \
            or request.order.status != OrderStatus.ON_HOLD:
        raise InvalidTransition(_("This approval is no longer waiting for a decision."))
    principal = principal_for(task, actor, today=timezone.localdate(now))
    if principal is None:
        raise PermissionDenied(_("This approval is not waiting for you."))
    if request.submitted_by_id in (actor.pk, principal.pk):
        raise PermissionDenied(_("You submitted order %(number)s: someone else must approve it.") % {
            "number": request.order.number})
    outcome = ApprovalDecision.Outcome.APPROVED if approve else ApprovalDecision.Outcome.REJECTED
    decision = ApprovalDecision.objects.create(task=task, decided_by=actor, on_behalf_of=None if principal.pk ==
                                               actor.pk else principal, outcome=outcome, comment=comment, at=now)
    who = _decision_text(decision, actor, principal)
    template = (gettext_lazy("%(who)s approved level %(level)s (rule “%(rule)s”, version %(version)s): %(comment)s")
                if approve else
                gettext_lazy("%(who)s rejected level %(level)s (rule “%(rule)s”, version %(version)s): %(comment)s"))
    params = {"who": who, "level": task.level, "rule": request.rule_name, "version": request.rule_version,
              "comment": comment}
    record_event(order=request.order, kind=EVENT_KIND, actor=actor, message=timeline_message(template, params),
                 data={"rule": request.rule_id, "rule_version": request.rule_version, "approval_request": request.pk,
                       "level": task.level, "decision": outcome, "comment": comment,
                       "on_behalf_of": principal.pk if principal.pk != actor.pk else None})
    if not approve:
        task.status, task.decided_at = ApprovalTask.Status.REJECTED, now
        _save_task(task, actor=actor, reason=_("Rejected by %(who)s") % {"who": who})
        _close_request(request, ApprovalRequest.Status.REJECTED, now=now, actor=actor)
        from orders import services as order_services

        order_services.order_reject(order=request.order, actor=actor, comment=comment)
        return task
    if not _level_complete(task, decision):
        _save_task(task, actor=actor, reason=_("Approved by %(who)s") % {"who": who})
        return task
    task.status, task.decided_at = ApprovalTask.Status.APPROVED, now
    _save_task(task, actor=actor, reason=_("Approved by %(who)s") % {"who": who})
    following = request.tasks.filter(level=task.level + 1).exists()
    if following:
        _open_level(request=request, level=task.level + 1, actor=actor, now=now)
        return task
    _close_request(request, ApprovalRequest.Status.APPROVED, now=now, actor=actor)
    _release_if_done(order=request.order, actor=actor, comment=comment)
    return task


def _close_request(request: ApprovalRequest, status: str, *, now, actor) -> None:
    request.status, request.decided_at = status, now
    request.save(update_fields=["status", "decided_at"])
    for task in request.tasks.filter(status__in=[ApprovalTask.Status.WAITING, ApprovalTask.Status.OPEN]):
        task.status = ApprovalTask.Status.CLOSED
        _save_task(task, actor=actor, reason=_("Closed"))


def _release_if_done(*, order: Order, actor, comment: str) -> None:
    """Every chain on the order approved: release it as a reviewer's approval does — unless it is held
    for other reasons too, which stay for the review workbench."""
    from oms.workflow.automation.actions import AUTOMATION_APPROVAL
    from oms.workflow.services import release_held_order

    if ApprovalRequest.objects.filter(order=order, status=ApprovalRequest.Status.OPEN).exists():
        return
    order = Order.objects.get(pk=order.pk)
    if order.status != OrderStatus.ON_HOLD:
        return
    if set(order.hold_reasons) <= {AUTOMATION_APPROVAL}:
        release_held_order(order=order, actor=actor, comment=comment)
        return
    record_event(order=order, kind=EVENT_KIND, actor=actor, message=timeline_message(
        gettext_lazy("Every approval is given; the order stays on hold for its other reasons, for the review."),
        {}), data={"approvals_complete": True})


def approvals_settle_for_review(*, order: Order, actor, comment: str) -> None:
    """The review workbench's approval of an order with open chains (`approve_order`): allowed only if
    the reviewer's approval completes every chain (each at its last level, waiting for them); their
    decision is then recorded on each. Otherwise refused, saying what is still waited for."""
    open_requests = list(ApprovalRequest.objects.filter(order=order, status=ApprovalRequest.Status.OPEN))
    if not open_requests:
        return
    pending = []
    for request in open_requests:
        task = request.tasks.filter(status=ApprovalTask.Status.OPEN).first()
        last = task is not None and not request.tasks.filter(level__gt=task.level).exists()
        principal = principal_for(task, actor) if task is not None else None
        completes = last and principal is not None and (
            task.mode == ApprovalTask.Mode.ANY or task.escalated_at
            or set(task.required_user_ids) <= {principal.pk} | {d.principal_id for d in task.decisions.filter(
                outcome=ApprovalDecision.Outcome.APPROVED)})
        if not completes:
            pending.append(task)
    if pending:
        waits = "；".join(_("level %(level)d of “%(rule)s”: %(who)s") % {
            "level": t.level, "rule": t.request.rule_name, "who": _who(t)} for t in pending if t is not None)
        raise PermissionDenied(_("This order waits for its approval chain: %(waits)s.") % {"waits": waits})
    for request in open_requests:
        task = request.tasks.get(status=ApprovalTask.Status.OPEN)
        if request.submitted_by_id == actor.pk:
            raise PermissionDenied(_("You submitted order %(number)s: someone else must approve it.") % {
                "number": order.number})
        principal = principal_for(task, actor)
        now = timezone.now()
        ApprovalDecision.objects.create(task=task, decided_by=actor, outcome=ApprovalDecision.Outcome.APPROVED,
                                        on_behalf_of=None if principal.pk == actor.pk else principal,
                                        comment=comment, at=now)
        task.status, task.decided_at = ApprovalTask.Status.APPROVED, now
        _save_task(task, actor=actor, reason=_("Approved by %(who)s") % {"who": _user_label(actor)})
        _close_request(request, ApprovalRequest.Status.APPROVED, now=now, actor=actor)


# -- reminders and escalation (the schedule) ------------------------------------------------------

@dataclass
class NudgeResult:
    reminded: int = 0
    escalated: int = 0


def approvals_remind_and_escalate(*, now=None) -> NudgeResult:
    """The schedule: an open level waiting longer than its `remind_after_hours` gets one reminder (on the
    order's timeline and in the log); longer than `escalate_after_hours`, it is escalated — the
    escalation's role or user may then decide it too. Each happens once per level."""
    now = now or timezone.now()
    result = NudgeResult()
    open_tasks = ApprovalTask.objects.filter(status=ApprovalTask.Status.OPEN, request__status="open",
                                             request__order__status=OrderStatus.ON_HOLD).select_related("request")
    for task in open_tasks.filter(reminded_at=None, remind_after_hours__isnull=False):
        if now >= task.opened_at + timedelta(hours=task.remind_after_hours):
            with transaction.atomic():
                _remind(task, now=now)
            result.reminded += 1
    for task in open_tasks.filter(escalated_at=None, escalate_after_hours__isnull=False):
        if now >= task.opened_at + timedelta(hours=task.escalate_after_hours):
            with transaction.atomic():
                _escalate(task, now=now)
            result.escalated += 1
    return result


def _remind(task: ApprovalTask, *, now) -> None:
    task.reminded_at = now
    _save_task(task, actor=None, reason=_("Reminder sent"))
    hours = task.remind_after_hours
    record_event(order=task.request.order, kind=EVENT_KIND, message=timeline_message(
        gettext_lazy("Reminder: level %(level)s has waited %(hours)s hours for %(who)s (rule “%(rule)s”, "
                     "version %(version)s)"),
        {"level": task.level, "hours": hours, "who": _who(task), "rule": task.request.rule_name,
         "version": task.request.rule_version}),
        data={"approval_request": task.request_id, "level": task.level, "reminder": True,
              "rule": task.request.rule_id, "rule_version": task.request.rule_version})
    logger.info("approval reminder: order %s level %s", task.request.order_id, task.level)


def _escalate(task: ApprovalTask, *, now) -> None:
    task.escalated_at = now
    _save_task(task, actor=None, reason=_("Escalated"))
    target = "、".join(filter(None, [_role_label(task.escalate_to_role) if task.escalate_to_role else "",
                                     _user_label(task.escalate_to_user) if task.escalate_to_user_id else ""]))
    record_event(order=task.request.order, kind=EVENT_KIND, message=timeline_message(
        gettext_lazy("Escalated to %(target)s: level %(level)s waited more than %(hours)s hours (rule “%(rule)s”, "
                     "version %(version)s)"),
        {"target": target, "level": task.level, "hours": task.escalate_after_hours,
         "rule": task.request.rule_name, "version": task.request.rule_version}),
        data={"approval_request": task.request_id, "level": task.level, "escalated": True,
              "rule": task.request.rule_id, "rule_version": task.request.rule_version})
    logger.info("approval escalated: order %s level %s", task.request.order_id, task.level)


def run_reminders() -> str:
    """The django-q2 schedule's function (migration `0008_approvals_schedule`)."""
    result = approvals_remind_and_escalate()
    return f"reminded {result.reminded}, escalated {result.escalated}"


# -- delegation -------------------------------------------------------------------------------------

@transaction.atomic
def delegation_create(*, delegator, delegate, starts_on, ends_on) -> ApprovalDelegation:
    if delegate is None or delegate.pk == delegator.pk:
        raise ValidationFailed(errors={"delegate": [_("Choose someone else.")]})
    if ends_on < starts_on:
        raise ValidationFailed(errors={"ends_on": [_("The end must not be before the start.")]})
    return ApprovalDelegation.objects.create(delegator=delegator, delegate=delegate, starts_on=starts_on,
                                             ends_on=ends_on)


@transaction.atomic
def delegation_end(*, delegation: ApprovalDelegation, actor) -> None:
    if delegation.delegator_id != actor.pk:
        raise PermissionDenied(_("Only the person who delegated may end the delegation."))
    delegation.delete()


# -- reads ------------------------------------------------------------------------------------------

@dataclass
class InboxItem:
    task: ApprovalTask
    order: Order
    on_behalf_of: object  # the delegator, or None
    levels: int


def approvals_waiting_for(user, *, today=None) -> list[InboxItem]:
    """Open levels `user` may decide (their role's, their name's, escalated to them, or delegated to
    them), oldest first, for orders still on hold — the submitter's own orders left out."""
    if not user or not user.is_authenticated:
        return []
    tasks = (ApprovalTask.objects.filter(status=ApprovalTask.Status.OPEN, request__status="open",
                                         request__order__status=OrderStatus.ON_HOLD)
             .exclude(request__submitted_by=user)
             .select_related("request__order__channel", "request__order__customer")
             .prefetch_related("decisions", "request__tasks").order_by("opened_at", "pk"))
    items = []
    for task in tasks:
        principal = principal_for(task, user, today=today)
        if principal is None or task.request.submitted_by_id == principal.pk:
            continue
        items.append(InboxItem(task=task, order=task.request.order, levels=len(task.request.tasks.all()),
                               on_behalf_of=None if principal.pk == user.pk else principal))
    return items


def open_levels(order: Order) -> list[str]:
    """What the order's open chains wait for, in words (the review workbench shows it)."""
    tasks = ApprovalTask.objects.filter(request__order=order, request__status="open",
                                        status=ApprovalTask.Status.OPEN).select_related("request")
    return [_("level %(level)d of “%(rule)s”: %(who)s") % {"level": t.level, "rule": t.request.rule_name,
                                                           "who": _who(t)} for t in tasks]


def approvals_waiting_count(user) -> int:
    """How many levels wait for `user`; counted once per user object (the navigation and the home
    tile both ask in one request)."""
    count = getattr(user, "_oms_approvals_waiting", None)
    if count is None:
        count = len(approvals_waiting_for(user))
        if user is not None and getattr(user, "is_authenticated", False):
            user._oms_approvals_waiting = count
    return count
