"""A rule's versions as differences: what each saved version changed against the one before it.

Reads only. The page (`admin: <rule>/versions/`) shows, per version, who saved it, when and the note,
then field by field: the condition as a character diff, the actions added / removed / changed (by
position, matched by content), switched on or off, priority, trigger, state and hours, the active
period. Snapshots saved before a field existed lack it; it counts as its default.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field

from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.workflow.automation.actions import ACTION_TYPES
from oms.workflow.automation.models import AutomationRule, RuleVersion, Trigger
from orders.models import OrderStatus

_DEFAULTS = {"name": "", "trigger": "", "condition": "", "actions": [], "priority": 100, "active_from": None,
             "active_to": None, "enabled": False, "stalled_state": "", "stalled_hours": None}
_LABELS = {
    "name": gettext_lazy("name"),
    "trigger": gettext_lazy("trigger"),
    "stalled_state": gettext_lazy("state"),
    "stalled_hours": gettext_lazy("hours without progress"),
    "condition": gettext_lazy("condition"),
    "actions": gettext_lazy("actions"),
    "enabled": gettext_lazy("enabled"),
    "priority": gettext_lazy("priority"),
    "active_from": gettext_lazy("active from"),
    "active_to": gettext_lazy("active to"),
}


@dataclass
class FieldChange:
    name: str
    label: str
    old: str = ""
    new: str = ""
    segments: list[tuple[str, str]] = field(default_factory=list)  # condition: ("equal"|"delete"|"insert", text)
    actions: list[ActionChange] = field(default_factory=list)


@dataclass
class ActionChange:
    change: str  # added | removed | changed
    position: int  # 1-based, in the newer list (removed: in the older one)
    label: str
    details: list[str] = field(default_factory=list)  # changed: "key: old → new"


@dataclass
class VersionDiff:
    version: RuleVersion
    previous: int | None
    changes: list[FieldChange]
    is_current: bool


def _value(snapshot: dict, name: str):
    return snapshot.get(name, _DEFAULTS[name])


def _show(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    if name == "enabled":
        return _("yes") if value else _("no")
    if name == "trigger":
        return str(Trigger(value).label) if value in Trigger.values else str(value)
    if name == "stalled_state":
        return str(OrderStatus(value).label) if value in OrderStatus.values else str(value)
    if name in ("active_from", "active_to"):
        moment = parse_datetime(value)
        return date_format(localtime(moment), "DATETIME_FORMAT") if moment else str(value)
    return str(value)


def action_label(action: dict) -> str:
    kind = action.get("type")
    params = action.get("params") or {}
    shown = "，".join(f"{key}={_param(value)}" for key, value in sorted(params.items()))
    name = str(ACTION_TYPES.get(kind, kind))
    return f"{name}（{shown}）" if shown else name


def _param(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _param_details(old: dict, new: dict) -> list[str]:
    details = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            before = _param(old[key]) if key in old else "—"
            after = _param(new[key]) if key in new else "—"
            details.append(f"{key}：{before} → {after}")
    return details


def diff_actions(old: list, new: list) -> list[ActionChange]:
    """Actions added, removed and changed, matched by content (an unchanged action that moved is an
    equal run, not a removal and an addition)."""
    key = lambda a: json.dumps(a, sort_keys=True, ensure_ascii=False)  # noqa: E731
    matcher = difflib.SequenceMatcher(a=[key(a) for a in old], b=[key(a) for a in new], autojunk=False)
    changes: list[ActionChange] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        removed, added = list(range(i1, i2)), list(range(j1, j2))
        while removed and added and old[removed[0]].get("type") == new[added[0]].get("type"):
            i, j = removed.pop(0), added.pop(0)  # the same kind in the same place: its params changed
            changes.append(ActionChange("changed", j + 1, action_label(new[j]),
                                        _param_details(old[i].get("params") or {}, new[j].get("params") or {})))
        changes += [ActionChange("removed", i + 1, action_label(old[i])) for i in removed]
        changes += [ActionChange("added", j + 1, action_label(new[j])) for j in added]
    return changes


def diff_condition(old: str, new: str) -> list[tuple[str, str]]:
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    segments = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("equal", old[i1:i2]))
            continue
        if i2 > i1:
            segments.append(("delete", old[i1:i2]))
        if j2 > j1:
            segments.append(("insert", new[j1:j2]))
    return segments


def diff_snapshots(old: dict | None, new: dict) -> list[FieldChange]:
    """The fields `new` changed against `old` (the first version: every field that is set)."""
    old = old or {}
    changes = []
    for name, label in _LABELS.items():
        before = _value(old, name) if old else _DEFAULTS[name]
        after = _value(new, name)
        if before == after:
            continue
        change = FieldChange(name=name, label=str(label), old=_show(name, before) if old else "",
                             new=_show(name, after))
        if name == "condition":
            change.segments = diff_condition(before or "", after or "")
        elif name == "actions":
            change.actions = diff_actions(before or [], after or [])
            change.old = change.new = ""
        changes.append(change)
    return changes


def rule_version_diffs(rule: AutomationRule) -> list[VersionDiff]:
    """Every version of `rule`, newest first, with what it changed against the version before it."""
    versions = list(RuleVersion.objects.filter(rule=rule).select_related("created_by").order_by("number"))
    result, previous = [], None
    for version in versions:
        result.append(VersionDiff(version=version, previous=previous.number if previous else None,
                                  changes=diff_snapshots(previous.snapshot if previous else None, version.snapshot),
                                  is_current=version.number == rule.version))
        previous = version
    return result[::-1]
