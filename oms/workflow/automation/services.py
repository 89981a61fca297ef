"""The writers of automation rules: save (a new version each time) and restore an old version."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from oms.workflow.automation.actions import clean_actions
from oms.workflow.automation.conditions import ConditionError, compile_condition
from oms.workflow.automation.engine import automation_rules_changed
from oms.workflow.automation.models import AutomationRule, RuleVersion, Trigger

SNAPSHOT_FIELDS = ("name", "trigger", "condition", "actions", "priority", "active_from", "active_to", "enabled",
                   "stalled_state", "stalled_hours")
# Versions saved before a field existed lack it: restoring them gives it this value.
_SNAPSHOT_DEFAULTS = {"stalled_state": "", "stalled_hours": None}


def rule_validate(rule: AutomationRule) -> None:
    """Raise ValidationFailed for a condition that does not compile (with the mistake's position),
    bad actions, an unknown trigger or an empty active period."""
    errors: dict[str, list[str]] = {}
    if rule.trigger not in Trigger.values:
        errors["trigger"] = [_("Unknown trigger.")]
    try:
        compile_condition(rule.condition)
    except ConditionError as exc:
        errors["condition"] = [str(exc)]
    try:
        rule.actions = clean_actions(rule.actions)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if rule.trigger == Trigger.STALLED:
        errors.update(_stalled_errors(rule))
    else:  # only the time-based trigger has a state and hours: a rule switched to another drops them
        rule.stalled_state, rule.stalled_hours = "", None
    if rule.active_from and rule.active_to and rule.active_to <= rule.active_from:
        errors["active_to"] = [_("The end of the active period must be after its start.")]
    if errors:
        raise ValidationFailed(errors=errors)


def _stalled_errors(rule: AutomationRule) -> dict[str, list[str]]:
    from oms.workflow.automation.timed import STALLABLE_STATES

    errors = {}
    if rule.stalled_state not in STALLABLE_STATES:
        errors["stalled_state"] = [_("Choose the state the order stays in (an open state or shipped).")]
    if not rule.stalled_hours or rule.stalled_hours < 1:
        errors["stalled_hours"] = [_("Give the number of hours, at least 1.")]
    return errors


def _snapshot(rule: AutomationRule) -> dict:
    data = {name: getattr(rule, name) for name in SNAPSHOT_FIELDS}
    for name in ("active_from", "active_to"):
        data[name] = data[name].isoformat() if data[name] else None
    return data


@transaction.atomic
def rule_save(*, rule: AutomationRule, actor, note: str = "") -> AutomationRule:
    """Validate and save the rule; keep the saved state as its next version; clear the rule cache."""
    rule_validate(rule)
    if rule.pk:
        AutomationRule.objects.select_for_update().filter(pk=rule.pk).first()
        rule.version = (AutomationRule.objects.filter(pk=rule.pk).values_list("version", flat=True).first() or 0) + 1
    else:
        rule.version = 1
    rule.save()
    user = actor if getattr(actor, "pk", None) else None
    RuleVersion.objects.create(rule=rule, number=rule.version, snapshot=_snapshot(rule), created_by=user, note=note)
    automation_rules_changed()
    return rule


@transaction.atomic
def rule_restore(*, version: RuleVersion, actor) -> AutomationRule:
    """Put an old version back: the rule takes its values and the restore is itself a new version."""
    from django.utils.dateparse import parse_datetime

    rule = AutomationRule.objects.select_for_update().get(pk=version.rule_id)
    for name in SNAPSHOT_FIELDS:
        value = version.snapshot.get(name, _SNAPSHOT_DEFAULTS.get(name))
        if name in ("active_from", "active_to"):
            value = parse_datetime(value) if value else None
        setattr(rule, name, value)
    return rule_save(rule=rule, actor=actor, note=_("Restored version %(n)d") % {"n": version.number})
