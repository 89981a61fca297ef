"""Automation rules (issue 19): rules as data — a trigger, a condition in `rule-engine`'s language over a
typed order context, ordered actions — evaluated explicitly by the workflow layer at its triggers.

- `models`: `AutomationRule`, `RuleVersion` (every save), `RuleFiring` (every firing).
- `conditions`: the typed context and the condition check (syntax / unknown field, with a position).
- `actions`: what an action does (hold, approval by a role, tag / priority, notify).
- `engine`: compiled rules cached per process, invalidated on change; `automation_fire`, `dry_run`, `replay`.
- `services`: the writers (save with a version, restore a version).
- `approvals` (+ `approval_models`): approval chains of `require_approval` — levels in sequence, any / all,
  the submitter blocked, reminders and escalation (schedule), delegation; the inbox reads them.
- `builder`: the condition field's form builder (admin widget + `static/workflow/rule_builder.js`).
- `timed`: the time-based trigger "N hours in a state with no progress" (a django-q2 schedule).
- `versions`: a rule's versions as field-by-field differences (the versions page).
- `replay_basis`: what the replay judges as the order arrived, as at the trigger, or as now.
- `process_map`: the order's states with the enabled rules' steps and branches, for the ECharts map.
"""
