"""Automation rules (issue 19): rules as data — a trigger, a condition in `rule-engine`'s language over a
typed order context, ordered actions — evaluated explicitly by the workflow layer at its triggers.

- `models`: `AutomationRule`, `RuleVersion` (every save), `RuleFiring` (every firing).
- `conditions`: the typed context and the condition check (syntax / unknown field, with a position).
- `actions`: what an action does (hold, approval by a role, tag / priority, notify).
- `engine`: compiled rules cached per process, invalidated on change; `automation_fire`, `dry_run`, `replay`.
- `services`: the writers (save with a version, restore a version).
"""
