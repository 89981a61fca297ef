"""The time-based trigger: "N hours after the order entered state S, with no progress".

A django-q2 schedule (`run_stalled_rules`, every 5 minutes, migration `0007_stalled_trigger`) asks,
for each enabled rule of trigger `stalled`, the database for the orders still in the rule's state
whose entry into it is older than the rule's hours and which the rule has not fired for yet — one
indexed query per rule, in batches, never a scan of every order in Python.

When did an order enter its state? Every state change of an order writes one timeline event whose
data is `{"from": ..., "to": ...}` (`orders.events.status_data`); the entry is the newest event with
`to` = the state and `from` ≠ it (a hold adding a reason to a held order is not a new entry); an
order created in its state and never moved has its creation time. Read with the event index
`(order, at)`, per candidate order of the `(status, created_at)` index.

Once per (rule, order, state entry): the firing records `state_entered_at` under a unique
constraint, and the order row is locked while the rule runs; a second run racing the first waits
for the lock, then finds the firing and skips. An order that leaves the state and comes back is a
new entry: the rule may fire again after another N hours.

Orders that crossed the threshold more than `LOOKBACK` before a run are left alone: switching a
rule on does not wake up orders stuck for months (the replay shows those).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.actors import SYSTEM
from oms.workflow.automation import actions as action_mod
from oms.workflow.automation.conditions import order_context
from oms.workflow.automation.engine import CompiledRule, enabled_rules
from oms.workflow.automation.models import RuleFiring, Trigger
from orders.events import record_event, timeline_message
from orders.models import Order, OrderEvent, OrderStatus

log = logging.getLogger("oms.automation")

# A state an order can stay in while someone or something should move it on: the open states and
# shipped (waiting for delivery). Completed and cancelled are final.
STALLABLE_STATES = (OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT,
                    OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED)
LOOKBACK = timedelta(days=7)
BATCH = 500


def entered_state_at(state: str):
    """An expression: when the order (the outer row) last entered `state` (see the module's doc)."""
    entry = (OrderEvent.objects.filter(order=OuterRef("pk"), data__to=state).exclude(data__from=state)
             .order_by("-at").values("at")[:1])
    return Coalesce(Subquery(entry, output_field=DateTimeField()), F("created_at"))


def stalled_orders(*, rule: CompiledRule, state: str, hours: int, now: datetime) -> QuerySet:
    """The orders in `state` since more than `hours` before `now` (and at most `LOOKBACK` more) that
    `rule` has not fired for in this stay, by id, annotated `state_entered_at`."""
    cutoff = now - timedelta(hours=hours)
    fired = RuleFiring.objects.filter(rule_id=rule.pk, order=OuterRef("pk"),
                                      state_entered_at=OuterRef("state_entered_at"))
    return (Order.objects.filter(status=state, created_at__lte=cutoff)
            .annotate(state_entered_at=entered_state_at(state))
            .filter(state_entered_at__lte=cutoff, state_entered_at__gt=cutoff - LOOKBACK)
            .exclude(Exists(fired))
            .order_by("pk"))  # by key, not by entry: PostgreSQL stops at the page's end, no sort of all


@dataclass
class StalledRun:
    candidates: int = 0
    fired: int = 0
    not_matching: int = 0
    skipped: int = 0  # moved on meanwhile, or another run fired first
    by_rule: dict[int, int] = field(default_factory=dict)


def run_stalled_rules(now: datetime | None = None) -> dict:
    """The schedule: fire every enabled `stalled` rule for the orders that stayed too long. `now` is the
    clock (tests pass a simulated one). Returns counts for the task's result."""
    now = now or timezone.now()
    run = StalledRun()
    for rule in enabled_rules(Trigger.STALLED):
        if not rule.active_at(now) or not rule.stalled_state or not rule.stalled_hours:
            continue
        _run_rule(rule, now=now, run=run)
    if run.fired:
        log.info("stalled-order rules: %s fired of %s candidates", run.fired, run.candidates)
    return {"candidates": run.candidates, "fired": run.fired, "not_matching": run.not_matching,
            "skipped": run.skipped}


def _run_rule(rule: CompiledRule, *, now: datetime, run: StalledRun) -> None:
    queryset = stalled_orders(rule=rule, state=rule.stalled_state, hours=rule.stalled_hours, now=now)
    after = 0  # keyset paging: orders not matching the condition stay candidates, so no OFFSET
    while True:
        batch = list(queryset.filter(pk__gt=after).values_list("pk", "state_entered_at")[:BATCH])
        if not batch:
            return
        for order_id, entered_at in batch:
            run.candidates += 1
            outcome = fire_stalled(rule=rule, order_id=order_id, entered_at=entered_at, now=now)
            if outcome == "fired":
                run.fired += 1
                run.by_rule[rule.pk] = run.by_rule.get(rule.pk, 0) + 1
            elif outcome == "not_matching":
                run.not_matching += 1
            else:
                run.skipped += 1
        after = batch[-1][0]
        if len(batch) < BATCH:
            return


@transaction.atomic
def fire_stalled(*, rule: CompiledRule, order_id: int, entered_at: datetime, now: datetime) -> str:
    """Fire `rule` for one stalled order, at most once for this state entry: "fired", "not_matching",
    "moved" (it left the state meanwhile) or "already" (another run fired first)."""
    order = (Order.objects.select_for_update(of=("self",)).select_related("channel", "customer")
             .filter(pk=order_id).first())
    if order is None or order.status != rule.stalled_state:
        return "moved"
    current = (Order.objects.filter(pk=order_id).annotate(entered=entered_state_at(order.status))
               .values_list("entered", flat=True).first())
    if current != entered_at:
        return "moved"  # it left and came back: a new entry, its own hours
    if RuleFiring.objects.filter(rule_id=rule.pk, order_id=order_id, state_entered_at=entered_at).exists():
        return "already"
    if rule.condition is not None and not rule.matches(order_context(order)):
        return "not_matching"
    try:
        with transaction.atomic():  # claim first: the unique constraint decides between racing runs
            firing = RuleFiring.objects.create(rule_id=rule.pk, version=rule.version, order=order,
                                               trigger=Trigger.STALLED, actions=[], at=now,
                                               state_entered_at=entered_at)
    except IntegrityError:
        return "already"
    done = []
    for action in rule.actions:
        order, outcome = action_mod.perform(action, order=order, rule=rule, version=rule.version,
                                            actor=SYSTEM, holds=None)
        done.append(outcome)
    firing.actions = done
    firing.save(update_fields=["actions"])
    summary = "、".join(f"{action_mod.ACTION_TYPES.get(d['type'], d['type'])}" for d in done) or "—"
    record_event(order=order, kind=action_mod.EVENT_KIND, actor=SYSTEM,
                 message=timeline_message(gettext_lazy("Automation rule “%(rule)s” (version %(version)s) "
                                                       "fired: %(actions)s"),
                                          {"rule": rule.name, "version": rule.version, "actions": summary}),
                 data={"rule": rule.pk, "rule_version": rule.version, "trigger": Trigger.STALLED,
                       "state_entered_at": entered_at.isoformat(), "actions": done})
    return "fired"
