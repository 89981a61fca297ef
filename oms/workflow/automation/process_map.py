"""The picture of the order process: the order's states and transitions (read from the Order FSM)
with the steps and branches the enabled automation rules add at their triggers.

Reads only; returns plain data for the vendored ECharts `graph` series (drawn by
`static/workflow/process_map.js` from a `json_script`). Every text is translated here.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from oms.workflow.automation.actions import ACTION_TYPES
from oms.workflow.automation.models import AutomationRule, Trigger
from orders.models import Order, OrderStatus

# Where each state sits (x, y): the happy path on one row, the detours above it.
STATE_POSITIONS = {
    OrderStatus.PENDING_REVIEW: (0, 0),
    OrderStatus.AWAITING_PAYMENT: (2, 0),
    OrderStatus.AWAITING_SHIPMENT: (4, 0),
    OrderStatus.PARTIALLY_SHIPPED: (5.5, -1.5),
    OrderStatus.SHIPPED: (7, 0),
    OrderStatus.COMPLETED: (9, 0),
    OrderStatus.ON_HOLD: (1, -2.2),
    OrderStatus.CANCELLED: (3, -3.4),
}
FINAL_STATES = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)

# The state at which a trigger's rules act (the review is in `pending_review`; "reviewed" runs as the
# order leaves it; "paid" as it becomes ready to ship; return and refund after delivery).
TRIGGER_STATES = {
    Trigger.CREATED: OrderStatus.PENDING_REVIEW,
    Trigger.REVIEWED: OrderStatus.AWAITING_PAYMENT,
    Trigger.PAID: OrderStatus.AWAITING_SHIPMENT,
    Trigger.SHIPPED: OrderStatus.SHIPPED,
    Trigger.DELIVERED: OrderStatus.COMPLETED,
    Trigger.COMPLETED: OrderStatus.COMPLETED,
    Trigger.CANCELLED: OrderStatus.CANCELLED,
    Trigger.RETURN_REQUESTED: OrderStatus.COMPLETED,
    Trigger.REFUNDED: OrderStatus.COMPLETED,
}
HOLDING_KINDS = {"hold", "require_approval", "require_qc"}  # a branch to `on_hold` (a failed QC holds the order)
RULE_ROW = 1.8  # vertical room per rule below its state
LABEL_WIDTH = 22  # characters of a condition shown in a rule's box


def _fsm_edges() -> list[dict]:
    field = Order._meta.get_field("status")
    seen, edges = set(), []
    for transition in field.get_all_transitions(Order):
        source, target = str(transition.source), str(transition.target)
        if source == target or (source, target) in seen or source not in STATE_POSITIONS:
            continue
        seen.add((source, target))
        edges.append({"source": f"state:{source}", "target": f"state:{target}",
                      "label": str((transition.custom or {}).get("label", transition.name)), "kind": "transition"})
    return edges


def _action_text(action: dict) -> str:
    kind, params = action.get("type"), action.get("params") or {}
    label = str(ACTION_TYPES.get(kind, kind))
    detail = params.get("role") or params.get("reason") or params.get("tag") or params.get("priority") \
        or params.get("step") or _short(params.get("message") or "") or ""  # a message, not its channel code
    if kind == "require_approval":
        from oms.workflow.automation.approvals import describe_levels

        detail = describe_levels(params)
    return f"{label}：{detail}" if detail not in ("", None) else label


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= LABEL_WIDTH else text[:LABEL_WIDTH - 1] + "…"


def process_map(*, now=None) -> dict:
    """Nodes, links and categories for the graph: states, their transitions, and one box per enabled
    rule below the state where it acts, linked from that state (its trigger) and to `on_hold` when one
    of its actions holds the order (a hold, an approval)."""
    now = now or timezone.now()
    categories = [_("state"), _("final state"), _("rule"), _("rule not in its active period")]
    nodes = []
    for status, (x, y) in STATE_POSITIONS.items():
        nodes.append({"id": f"state:{status}", "name": str(OrderStatus(status).label), "x": x, "y": y,
                      "category": 1 if status in FINAL_STATES else 0, "kind": "state"})
    links = _fsm_edges()
    stack: dict[str, int] = {}
    other_x = max(x for x, _y in STATE_POSITIONS.values()) + 2
    for rule in AutomationRule.objects.filter(enabled=True).order_by("trigger", "priority", "pk"):
        anchor = rule.stalled_state if rule.trigger == Trigger.STALLED else TRIGGER_STATES.get(rule.trigger)
        column = f"state:{anchor}" if anchor in STATE_POSITIONS else "other"
        x = STATE_POSITIONS[anchor][0] if column != "other" else other_x
        row = stack.get(column, 0)
        stack[column] = row + 1
        trigger = Trigger(rule.trigger).label if rule.trigger in Trigger.values else rule.trigger
        if rule.trigger == Trigger.STALLED:
            trigger = _("%(hours)s hours in “%(state)s”") % {"hours": rule.stalled_hours,
                                                             "state": OrderStatus(rule.stalled_state).label}
        lines = [rule.name, _("trigger: %(trigger)s") % {"trigger": trigger},
                 _("when: %(condition)s") % {"condition": _short(rule.condition) or _("every order")}]
        lines += [f"{i}. {_action_text(a)}" for i, a in enumerate(rule.actions or [], start=1)]
        node_id = f"rule:{rule.pk}"
        nodes.append({"id": node_id, "name": "\n".join(lines), "x": x + 0.25, "y": 1.6 + row * RULE_ROW,
                      "category": 2 if rule.is_active_at(now) else 3, "kind": "rule", "rule": rule.pk,
                      "trigger": str(trigger), "condition": rule.condition or "",
                      "actions": [_action_text(a) for a in rule.actions or []]})
        if column != "other":
            links.append({"source": column, "target": node_id, "label": str(trigger), "kind": "trigger"})
        kinds = [a.get("type") for a in rule.actions or []]
        holding = [a for a in rule.actions or [] if a.get("type") in HOLDING_KINDS]
        if holding:
            label = (_("approval") if "require_approval" in kinds
                     else _("hold") if "hold" in kinds else _("quality check failed"))
            links.append({"source": node_id, "target": f"state:{OrderStatus.ON_HOLD}", "label": label,
                          "kind": "branch"})
    rows = max(stack.values(), default=0)
    # Room below the lowest rule's centre for its box (ECharts fits the nodes' centres to the area).
    longest = max((len(n["actions"]) for n in nodes if n["kind"] == "rule"), default=0)
    bottom = 40 + 10 * (4 + longest)
    height = 520 + 170 * rows + bottom
    return {"nodes": nodes, "links": links, "categories": categories, "height": height, "bottom": bottom,
            "rules": sum(stack.values())}
