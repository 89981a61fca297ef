"""Evaluating automation rules: compiled once per process, invalidated when a rule changes.

`automation_fire(order=, trigger=, actor=)` is the one call the workflow layer makes at a trigger
(see the call sites in `oms.workflow.intake`, `services`, `payments` and the status hook in
`apps`). With no active rule for the trigger it returns at once: no query, no context built.
`dry_run` and `replay` evaluate without writing anything.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from oms.workflow.automation import actions as action_mod
from oms.workflow.automation.conditions import compile_condition, order_context
from oms.workflow.automation.fast import fast_matcher
from oms.workflow.automation.models import AutomationRule, RuleFiring
from orders.events import record_event, timeline_message
from orders.models import Order

_GENERATION_KEY = "workflow:automation:generation"


@dataclass
class CompiledRule:
    pk: int
    name: str
    trigger: str
    version: int
    priority: int
    condition: object  # rule_engine.Rule or None (every order)
    actions: list
    enabled: bool
    active_from: object = None
    active_to: object = None
    matcher: object = None  # context -> bool: the condition as Python closures (`fast`)
    stalled_state: str = ""  # trigger `stalled` only (`automation.timed`)
    stalled_hours: int | None = None

    def active_at(self, moment) -> bool:
        return self.enabled and (self.active_from is None or self.active_from <= moment) \
            and (self.active_to is None or moment < self.active_to)

    def matches(self, context: dict) -> bool:
        if self.condition is None:
            return True
        if self.matcher is None:
            self.matcher = fast_matcher(self.condition)
        return self.matcher(context)


def compile_rule(rule: AutomationRule) -> CompiledRule:
    condition = compile_condition(rule.condition)
    return CompiledRule(matcher=fast_matcher(condition) if condition is not None else None,
                        pk=rule.pk, name=rule.name, trigger=rule.trigger, version=rule.version,
                        priority=rule.priority, condition=condition,
                        actions=list(rule.actions or []), enabled=rule.enabled,
                        active_from=rule.active_from, active_to=rule.active_to,
                        stalled_state=rule.stalled_state, stalled_hours=rule.stalled_hours)


# How long a process trusts its compiled rules before it reads the shared generation token again:
# the token is in the default cache (a database table or Redis), one query per order otherwise. A
# change made in this process is seen at once; in other processes within these seconds.
LOCAL_SECONDS = 5.0


@dataclass
class _ProcessCache:
    generation: str | None = None
    checked_at: float = 0.0
    by_trigger: dict[str, list[CompiledRule]] = field(default_factory=dict)
    # The after-commit bump of a rule change made in this process's open transaction: until it runs,
    # rules are compiled afresh and never kept, so a rollback cannot leave rules that never existed.
    change_pending: object = None


_cache = _ProcessCache()


def _generation() -> str:
    token = cache.get(_GENERATION_KEY)
    if token is None:
        token = uuid.uuid4().hex
        cache.add(_GENERATION_KEY, token, None)
        token = cache.get(_GENERATION_KEY) or token
    return token


def enabled_rules(trigger: str) -> list[CompiledRule]:
    """The enabled rules of `trigger`, compiled, by priority: from this process's cache while the
    shared generation token (the default cache, Redis in production) has not changed."""
    if _cache.change_pending is not None:
        if any(entry[1] is _cache.change_pending for entry in connection.run_on_commit):
            return _compile_enabled().get(trigger, [])  # inside the changing transaction: not kept
        _cache.change_pending, _cache.generation = None, None  # it rolled back: read what is committed
    now = time.monotonic()
    if _cache.generation is not None and now - _cache.checked_at < LOCAL_SECONDS:
        return _cache.by_trigger.get(trigger, [])
    token = _generation()
    if token != _cache.generation:
        _cache.by_trigger, _cache.generation = _compile_enabled(), token
    _cache.checked_at = now
    return _cache.by_trigger.get(trigger, [])


def _compile_enabled() -> dict[str, list[CompiledRule]]:
    by_trigger: dict[str, list[CompiledRule]] = {}
    for rule in AutomationRule.objects.filter(enabled=True).order_by("priority", "pk"):
        by_trigger.setdefault(rule.trigger, []).append(compile_rule(rule))
    return by_trigger


def automation_rules_changed() -> None:
    """Every process recompiles its rules at its next evaluation (now, and again after commit)."""
    def bump():
        cache.set(_GENERATION_KEY, uuid.uuid4().hex, None)
        _cache.generation = None  # this process: recompile at the next evaluation

    def bump_after_commit():
        _cache.change_pending = None
        bump()

    bump()
    _cache.change_pending = bump_after_commit
    transaction.on_commit(bump_after_commit)


def automation_fire(*, order: Order, trigger: str, actor, holds: list | None = None) -> Order:
    """Run the enabled, active rules of `trigger` whose condition holds for `order`; record each firing
    (a `RuleFiring` and a timeline entry). Returns the order (a hold action may have replaced it).

    `holds`: the review's list of hold reasons (trigger `created`): hold actions add to it instead of
    holding the order themselves, so the review decides once with every reason."""
    rules = enabled_rules(trigger)
    if not rules:
        return order
    now = timezone.now()
    context = None
    for rule in rules:
        if not rule.active_at(now):
            continue
        if rule.condition is not None:
            if context is None:
                context = order_context(order)
            if not rule.matches(context):
                continue
        done = []
        for action in rule.actions:
            order, outcome = action_mod.perform(action, order=order, rule=rule, version=rule.version,
                                                actor=actor, holds=holds)
            done.append(outcome)
        RuleFiring.objects.create(rule_id=rule.pk, version=rule.version, order=order, trigger=trigger,
                                  actions=done, at=now)
        summary = "、".join(f"{action_mod.ACTION_TYPES[d['type']]}" for d in done) or "—"
        record_event(order=order, kind=action_mod.EVENT_KIND, actor=actor,
                     message=timeline_message(gettext_lazy("Automation rule “%(rule)s” (version %(version)s) "
                                                           "fired: %(actions)s"),
                                              {"rule": rule.name, "version": rule.version, "actions": summary}),
                     data={"rule": rule.pk, "rule_version": rule.version, "trigger": trigger, "actions": done})
    return order


# -- trying rules before switching them on: nothing is written ----------------------------------

@dataclass
class DryRunResult:
    rule: AutomationRule
    matched: bool
    active: bool
    would: list[str]


def dry_run(*, order: Order, trigger: str | None = None, rules=None) -> list[DryRunResult]:
    """Every rule (enabled or not; of `trigger` if given) evaluated on `order`: does it match, is it
    switched on now, and what would each action do. Reads only."""
    queryset = AutomationRule.objects.all() if rules is None else rules
    if trigger:
        queryset = queryset.filter(trigger=trigger)
    context = order_context(order)
    now = timezone.now()
    results = []
    for rule in queryset.order_by("trigger", "priority", "pk"):
        compiled = compile_rule(rule)
        matched = compiled.matches(context)
        would = [action_mod.describe(a, order) for a in compiled.actions] if matched else []
        results.append(DryRunResult(rule=rule, matched=matched, active=rule.is_active_at(now), would=would))
    return results


@dataclass
class ReplayResult:
    days: int
    orders: int = 0
    matched: int = 0
    held: int = 0
    approval: int = 0
    notified: int = 0
    matched_amount: Decimal = Decimal("0.00")
    held_amount: Decimal = Decimal("0.00")
    approval_amount: Decimal = Decimal("0.00")
    sample: list[str] = field(default_factory=list)
    not_reached: int = 0  # orders the trigger never happened to (`replay_basis.reached_trigger`)
    basis: list = field(default_factory=list)  # (field, "as it arrived" / "as at the trigger" / "as now")


def replay(*, rule: AutomationRule, days: int, limit: int = 20000) -> ReplayResult:
    """`rule` over the orders created in the last `days` days that went through its trigger: how many
    it would have matched, held, sent to approval, notified, with their totals. Reads only. What is
    judged as at the trigger and what as now: `replay_basis`."""
    from oms.workflow.automation import replay_basis

    compiled = compile_rule(rule)
    kinds = {a["type"] for a in compiled.actions}
    result = ReplayResult(days=days, basis=replay_basis.basis(rule))
    since = timezone.now() - timedelta(days=days)
    orders = list(Order.objects.filter(created_at__gte=since).select_related("channel", "customer")
                  .prefetch_related("lines__product").order_by("-created_at")[:limit])
    reached = replay_basis.reached_trigger(rule, [o.pk for o in orders])
    for order in orders:
        if reached is not None and order.pk not in reached:
            result.not_reached += 1
            continue
        result.orders += 1
        if not compiled.matches(replay_basis.as_at_trigger(rule, order_context(order), order)):
            continue
        result.matched += 1
        result.matched_amount += order.total
        if len(result.sample) < 10:
            result.sample.append(order.number)
        if "require_approval" in kinds:
            result.approval += 1
            result.approval_amount += order.total
        elif "hold" in kinds:
            result.held += 1
            result.held_amount += order.total
        if "notify" in kinds:
            result.notified += 1
    return result


def automation_approval_roles(*, order: Order) -> set[str]:
    """The roles whose approval the automation rules that held `order` asked for (their firings record
    them as they were when the rule fired: a later edit of the rule does not change a waiting order)."""
    roles = set()
    for done in RuleFiring.objects.filter(order=order).values_list("actions", flat=True):
        for action in done:
            if action.get("type") == "require_approval" and action.get("outcome") == "held" \
                    and not action.get("approval_request"):  # a chain is decided by its tasks (`approvals`)
                roles.add(action["params"]["role"])
    return roles


_STATUS_TRIGGERS = {"shipped": "shipped", "completed": "completed", "cancelled": "cancelled"}


def fire_on_status_change(payload) -> None:
    """`order_status_changed` handler: the triggers that lower stages cause (shipped by logistics,
    completed on delivery, cancelled by orders) run their rules here, inside the same transaction."""
    trigger = _STATUS_TRIGGERS.get(payload.target)
    if trigger is None or payload.source == payload.target:
        return
    automation_fire(order=payload.order, trigger=trigger, actor=payload.actor)


def register_labels() -> None:
    """Name the hold reasons and the timeline kind of automation rules (AppConfig.ready)."""
    from django.utils.translation import pgettext_lazy

    from oms.workflow.checks import HOLD_REASON_LABELS
    from orders.events import KIND_LABELS

    HOLD_REASON_LABELS.setdefault(action_mod.AUTOMATION_HOLD, gettext_lazy("Held by an automation rule"))
    HOLD_REASON_LABELS.setdefault(action_mod.AUTOMATION_APPROVAL, gettext_lazy("Approval required by a rule"))
    KIND_LABELS.setdefault(action_mod.EVENT_KIND, pgettext_lazy("timeline", "Automation"))
