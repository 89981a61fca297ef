"""Property: random rule sets applied to random orders going through the lifecycle services never
leave an order stuck.

"Stuck" is an order in no final state that nobody can move on: after every step, an order is either
final, or held with reasons that are named and on the review queue (and whose approval roles exist),
or in a state whose FSM offers someone a next transition. Then, at the end, the people of the
back office (one user holding every role) drive each order to a final state with the ordinary
services — approve, pay, ship, complete — in a bounded number of steps.

Rules are generated over every trigger, every condition field with operators of its type, and every
action kind (`ACTION_GENERATORS` must cover `actions.ACTION_TYPES`: a new kind fails
`test_generators_cover_every_action_kind` until it has a generator here). Deterministic and bounded:
`derandomize=True`, no example database, 12 examples.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import rule_engine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from core.errors import DomainError
from core.models import Role
from oms.workflow.automation.actions import ACTION_TYPES, NOTIFY_CHANNELS, SURVEY_CHANNELS
from oms.workflow.automation.approval_models import ApprovalTask
from oms.workflow.automation.approvals import approval_decide
from oms.workflow.automation.conditions import FIELDS
from oms.workflow.automation.engine import automation_rules_changed
from oms.workflow.automation.models import AutomationRule, Trigger
from oms.workflow.automation.services import rule_save
from oms.workflow.automation.timed import STALLABLE_STATES, run_stalled_rules
from oms.workflow.checks import HOLD_REASON_LABELS
from oms.workflow.payments import receive_payment
from oms.workflow.selectors import order_list_for_review
from oms.workflow.services import approve_order, required_approval_roles, submit_order
from orders import services as order_services
from orders.models import CANCELLABLE_STATUSES, Order, OrderStatus, PaymentMethod
from orders.tests.factories import order_input

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]

FINAL = {OrderStatus.COMPLETED, OrderStatus.CANCELLED}
CHANNELS = ["tmall", "jd", "douyin", "web"]
PROVINCES = ["浙江省", "新疆维吾尔自治区", "广东省", "西藏自治区"]
T = rule_engine.DataType

# -- conditions over the known fields ---------------------------------------------------------------

_SAMPLE_STRINGS = {"channel": CHANNELS, "province": PROVINCES, "city": ["杭州市", "乌鲁木齐市"],
                   "payment_method": ["alipay", "cod", ""], "status": list(OrderStatus.values),
                   "source": ["api", "admin", "import"]}


def _comparison(name: str, type_) -> st.SearchStrategy[str]:
    if type_ is T.FLOAT:
        return st.builds(lambda op, n: f"{name} {op} {n}", st.sampled_from([">", ">=", "<", "<=", "==", "!="]),
                         st.integers(0, 6000))
    if type_ is T.BOOLEAN:
        return st.sampled_from([name, f"not {name}"])
    if type_ is T.STRING:
        values = _SAMPLE_STRINGS.get(name, ["x"])
        return st.one_of(
            st.builds(lambda op, v: f'{name} {op} "{v}"', st.sampled_from(["==", "!="]), st.sampled_from(values)),
            st.builds(lambda v: f'{name} =~ "^{v[:2]}"', st.sampled_from([v for v in values if v])))
    # arrays of strings: membership
    return st.sampled_from([f'"SKU" in {name}', f'not ("VIP" in {name})'])


CONDITION_ATOMS = st.one_of(*[_comparison(name, type_) for name, (type_, _label) in FIELDS.items()])
CONDITIONS = st.one_of(
    st.just(""),
    CONDITION_ATOMS,
    st.builds(lambda a, op, b: f"({a}) {op} ({b})", CONDITION_ATOMS, st.sampled_from(["and", "or"]), CONDITION_ATOMS),
)

# -- actions: one generator per kind ------------------------------------------------------------------

ACTION_GENERATORS = {
    "hold": st.builds(lambda r: {"type": "hold", "params": {"reason": r}}, st.sampled_from(["人工核对", "地址可疑"])),
    "require_approval": st.one_of(
        st.builds(lambda role: {"type": "require_approval", "params": {"role": role}}, st.sampled_from(Role.values)),
        st.builds(lambda first, second, mode: {"type": "require_approval", "params": {"levels": [
            {"role": first, "mode": "any"}, {"role": second, "mode": mode}]}},
            st.sampled_from(Role.values), st.sampled_from(Role.values), st.sampled_from(["any", "all"]))),
    "set_tag": st.just({"type": "set_tag", "params": {"tag": "大客户"}}),
    "set_priority": st.builds(lambda p: {"type": "set_priority", "params": {"priority": p}}, st.integers(0, 2)),
    "notify": st.builds(lambda c: {"type": "notify", "params": {"message": "订单 {number} ¥{total}", "channel": c}},
                        st.sampled_from(NOTIFY_CHANNELS)),
    "require_qc": st.just({"type": "require_qc", "params": {"reason": "易碎品"}}),
    "assign": st.builds(lambda team: {"type": "assign", "params": {"team": team}}, st.sampled_from(Role.values)),
    "call_crm": st.just({"type": "call_crm", "params": {"status": "待回访", "note": "订单 {number}"}}),
    "call_webhook": st.just({"type": "call_webhook", "params": {"endpoint": "crm-hook"}}),
    "start_survey": st.builds(lambda c: {"type": "start_survey", "params": {"channel": c}},
                              st.sampled_from(SURVEY_CHANNELS)),
}

ACTIONS = st.lists(st.one_of(*ACTION_GENERATORS.values()), max_size=3)


@st.composite
def rules(draw):
    trigger = draw(st.sampled_from(Trigger.values))
    fields = {"trigger": trigger, "condition": draw(CONDITIONS), "actions": draw(ACTIONS),
              "priority": draw(st.integers(1, 200))}
    if trigger == Trigger.STALLED:
        fields["stalled_state"] = draw(st.sampled_from(STALLABLE_STATES))
        fields["stalled_hours"] = draw(st.integers(1, 72))
    return fields


ORDERS = st.fixed_dictionaries({
    "channel": st.sampled_from(CHANNELS), "province": st.sampled_from(PROVINCES),
    "price": st.sampled_from(["99.00", "1999.00", "2500.00", "5200.00"]), "quantity": st.integers(1, 3),
    "needs_qc": st.booleans(), "cod": st.booleans()})
STEPS = st.lists(st.sampled_from(["pay", "approve", "ship", "complete", "cancel", "wait"]), max_size=5)


def test_generators_cover_every_action_kind():
    assert set(ACTION_GENERATORS) == set(ACTION_TYPES), "add a generator for the new action kind"


def test_condition_generator_only_writes_valid_conditions():

    for name, (type_, _label) in FIELDS.items():  # every field has a comparison of its type that compiles
        _compiles(name, type_)


@settings(max_examples=5, derandomize=True, database=None)
@given(data=st.data())
def _compiles(name, type_, data):
    from oms.workflow.automation.conditions import compile_condition

    compile_condition(data.draw(_comparison(name, type_)))


# -- the invariant --------------------------------------------------------------------------------------

def stuck_because(order: Order) -> str | None:
    """Why nobody can move `order` on, or None."""
    if order.status in FINAL:
        return None
    if order.status == OrderStatus.PENDING_REVIEW:
        return "left in review (the review decides at once)"
    if order.status == OrderStatus.ON_HOLD:
        if not order.hold_reasons:
            return "held without a reason"
        unnamed = [code for code in order.hold_reasons if code not in HOLD_REASON_LABELS]
        if unnamed:
            return f"held for reasons nobody can read: {unnamed}"
        if not order_list_for_review().filter(pk=order.pk).exists():
            return "held but on nobody's list"
        unknown = required_approval_roles(order=order) - set(Role.values)
        if unknown:
            return f"waits for roles nobody has: {unknown}"
        return None
    if not list(order.get_available_status_transitions()):
        return f"{order.status} offers no next step"
    return None


def drive_to_end(order: Order, *, approver, now) -> Order:
    """The back office moves the order on with the ordinary services until it is final."""
    for _attempt in range(10):
        order = Order.objects.get(pk=order.pk)
        if order.status in FINAL:
            return order
        before = (order.status, list(order.hold_reasons), _open_tasks(order))
        step(order, _next_step(order), approver=approver, now=now)
        after = Order.objects.get(pk=order.pk)
        assert (after.status, list(after.hold_reasons), _open_tasks(after)) != before or after.status in FINAL, \
            f"{order.number}: {before} did not move"
    raise AssertionError(f"{order.number} is not final after 10 steps: {order.status}")


def _open_tasks(order: Order) -> list[int]:
    """The open approval levels: deciding one is progress even when the order stays held."""
    return list(ApprovalTask.objects.filter(request__order=order, status=ApprovalTask.Status.OPEN)
                .values_list("pk", flat=True))


def _next_step(order: Order) -> str:
    return {OrderStatus.ON_HOLD: "approve", OrderStatus.AWAITING_PAYMENT: "pay",
            OrderStatus.AWAITING_SHIPMENT: "ship", OrderStatus.PARTIALLY_SHIPPED: "ship",
            OrderStatus.SHIPPED: "complete"}[order.status]


def step(order: Order, name: str, *, approver, now) -> None:
    """One lifecycle step if it applies to the order's state; a domain refusal is a valid outcome."""
    try:
        if name == "pay" and order.status == OrderStatus.AWAITING_PAYMENT:
            receive_payment(order=order, amount=order.outstanding_amount, method=PaymentMethod.ALIPAY,
                            source="manual", reference=f"P{order.pk}-{timezone.now().timestamp()}",
                            allow_partial=False, actor=SYSTEM)
        elif name == "approve" and order.status == OrderStatus.ON_HOLD:
            # An open approval chain is decided level by level in the inbox; the workbench then releases.
            task = (ApprovalTask.objects.filter(request__order=order, request__status="open",
                                                status=ApprovalTask.Status.OPEN).order_by("level").first())
            if task is not None:
                approval_decide(task=task, actor=approver, approve=True, comment="同意")
            else:
                approve_order(order=order, actor=approver, comment="同意")
        elif name == "ship" and order.status in (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED):
            order_services.order_ship(order=order, fully=True, actor=SYSTEM, message="已发货")
        elif name == "complete" and order.status == OrderStatus.SHIPPED:
            order_services.order_complete(order=order, actor=SYSTEM, message="已签收")
        elif name == "cancel" and order.status in CANCELLABLE_STATUSES:
            order_services.order_cancel(order=order, reason="客户取消", actor=SYSTEM)
        elif name == "wait":
            run_stalled_rules(now=now() + timedelta(hours=80))
    except DomainError:
        pass


@pytest.fixture
def everyone(make_user):
    """One back-office user holding every role: whatever approval a rule asks for, someone can give it."""
    return make_user("everyone", *Role.values)


@settings(max_examples=12, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(rule_set=st.lists(rules(), min_size=1, max_size=4), orders=st.lists(ORDERS, min_size=1, max_size=2),
       steps=STEPS)
def test_random_rules_never_leave_an_order_stuck(everyone, rule_set, orders, steps):
    approver = everyone
    with transaction.atomic():  # each example on a clean slate: its rules and orders roll back
        automation_rules_changed()
        for n, fields in enumerate(rule_set):
            rule_save(rule=AutomationRule(name=f"随机规则{n}", enabled=True, **fields), actor=None)
        made = []
        for spec in orders:
            product = ProductFactory(needs_qc=spec["needs_qc"])
            data = order_input(channel_code=spec["channel"], province=spec["province"],
                               lines=[(product, spec["quantity"], spec["price"])],
                               payment_method=PaymentMethod.COD if spec["cod"] else "")
            made.append(submit_order(data=data, payment=None, actor=SYSTEM))
        clock = [timezone.now()]

        def now():
            clock[0] += timedelta(hours=80)  # time passes at each wait: stalled rules become due
            return clock[0]

        for name in steps:
            for order in made:
                step(Order.objects.get(pk=order.pk), name, approver=approver, now=now)
                current = Order.objects.get(pk=order.pk)
                assert stuck_because(current) is None, (stuck_because(current), rule_set)
        for order in made:
            final = drive_to_end(order, approver=approver, now=now)
            assert final.status in FINAL
        transaction.set_rollback(True)
    automation_rules_changed()


def test_the_invariant_sees_a_stuck_order():
    """The checker itself: an order held without a reason, or for an unnamed one, is stuck."""
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    held = order_services.order_put_on_hold(order=order, reasons=[_reason("no_such_code")], actor=SYSTEM)
    assert "nobody can read" in stuck_because(held)
    held.hold_reasons = []
    assert stuck_because(held) == "held without a reason"
    assert stuck_because(Order(status=OrderStatus.PENDING_REVIEW, total=Decimal("1"))) is not None


def _reason(code):
    from orders.services import HoldReason

    return HoldReason(code, "说明")
