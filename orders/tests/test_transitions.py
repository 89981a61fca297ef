"""Every Order transition, allowed and refused: on the model, and through `run_transition` with roles."""

from decimal import Decimal

import pytest
from django_fsm import TransitionNotAllowed, can_proceed

from core.enums import Role
from core.errors import InvalidTransition, PermissionDenied
from core.fsm import run_transition
from orders.models import Order, OrderStatus, PaymentMethod

S = OrderStatus
ALL = list(S.values)

# transition → (sources it is allowed from, target)
TRANSITIONS = {
    "hold": ([S.PENDING_REVIEW, S.AWAITING_PAYMENT, S.AWAITING_SHIPMENT, S.ON_HOLD], S.ON_HOLD),
    "await_payment": ([S.PENDING_REVIEW, S.ON_HOLD], S.AWAITING_PAYMENT),
    "await_shipment": ([S.PENDING_REVIEW, S.ON_HOLD, S.AWAITING_PAYMENT], S.AWAITING_SHIPMENT),
    "ship_partially": ([S.AWAITING_SHIPMENT, S.PARTIALLY_SHIPPED], S.PARTIALLY_SHIPPED),
    "ship": ([S.AWAITING_SHIPMENT, S.PARTIALLY_SHIPPED], S.SHIPPED),
    "complete": ([S.SHIPPED], S.COMPLETED),
    "cancel": ([S.PENDING_REVIEW, S.ON_HOLD, S.AWAITING_PAYMENT, S.AWAITING_SHIPMENT], S.CANCELLED),
    "reject": ([S.ON_HOLD], S.CANCELLED),
}
# Which transitions need which permission (None: internal steps run by services as the system).
PERMISSIONS = {"await_payment": "orders.review_order", "await_shipment": "orders.review_order",
               "cancel": "orders.cancel_order", "reject": "orders.review_order"}


def order_in(status, *, paid=True):
    """An unsaved order in `status`; paid in full unless said otherwise (the shipment guard)."""
    return Order(status=status, total=Decimal("100.00"), paid_amount=Decimal("100.00") if paid else Decimal("0"),
                 payment_method=PaymentMethod.ALIPAY)


ALLOWED = [(name, src, target) for name, (sources, target) in TRANSITIONS.items() for src in sources]
REFUSED = [(name, src) for name, (sources, _t) in TRANSITIONS.items() for src in ALL if src not in sources]


def test_every_model_transition_is_listed():
    fsm_names = {t.name for t in Order._meta.get_field("status").get_all_transitions(Order)}
    assert fsm_names == set(TRANSITIONS)


@pytest.mark.parametrize("name, source, target", ALLOWED)
def test_allowed_on_the_model(name, source, target):
    order = order_in(source)
    getattr(order, name)()
    assert order.status == target


@pytest.mark.parametrize("name, source", REFUSED)
def test_refused_on_the_model(name, source):
    order = order_in(source)
    assert not can_proceed(getattr(order, name))
    with pytest.raises(TransitionNotAllowed):
        getattr(order, name)()
    assert order.status == source


@pytest.mark.parametrize("name, source, target", ALLOWED)
def test_allowed_through_run_transition_as_system(name, source, target):
    order = order_in(source)
    run_transition(order, name, actor=None)
    assert order.status == target


@pytest.mark.parametrize("name, source", REFUSED)
def test_refused_through_run_transition_is_invalid_transition(name, source):
    order = order_in(source)
    with pytest.raises(InvalidTransition) as exc:
        run_transition(order, name, actor=None)
    assert exc.value.data == {"transition": name, "state": source}
    assert order.status == source


def test_status_cannot_be_assigned_by_hand():
    order = order_in(S.ON_HOLD)
    with pytest.raises(AttributeError):
        order.status = S.SHIPPED


@pytest.mark.parametrize("source", [S.PENDING_REVIEW, S.ON_HOLD, S.AWAITING_PAYMENT])
def test_release_for_shipment_needs_payment_or_cod(source):
    unpaid = order_in(source, paid=False)
    with pytest.raises(InvalidTransition):
        run_transition(unpaid, "await_shipment", actor=None)
    cod = Order(status=source, total=Decimal("100.00"), payment_method=PaymentMethod.COD)
    run_transition(cod, "await_shipment", actor=None)
    assert cod.status == S.AWAITING_SHIPMENT


# -- permissions: who may run which transition ----------------------------------------------------

ROLE_CAN = {
    Role.REVIEWER: {"await_payment", "await_shipment", "reject", "cancel"},
    Role.FINANCE_DIRECTOR: {"await_payment", "await_shipment", "reject"},
    Role.MANAGER: {"await_payment", "await_shipment", "reject", "cancel"},
    Role.CUSTOMER_SERVICE: {"cancel"},
    Role.WAREHOUSE: set(),
    Role.FINANCE: set(),
    Role.AFTERSALES: set(),
}
PERMISSIONED = [(role, name) for role in ROLE_CAN for name in PERMISSIONS]


@pytest.mark.django_db
@pytest.mark.parametrize("role, name", PERMISSIONED)
def test_run_transition_checks_the_role(make_user, role, name):
    user = make_user(f"u-{role}", role)
    source = S.ON_HOLD  # every permissioned transition may start here
    order = order_in(source)
    if name in ROLE_CAN[role]:
        run_transition(order, name, actor=user)
        assert order.status == TRANSITIONS[name][1]
    else:
        with pytest.raises(PermissionDenied):
            run_transition(order, name, actor=user)
        assert order.status == source


@pytest.mark.django_db
def test_internal_transitions_need_no_permission(make_user):
    clerk = make_user("w", Role.WAREHOUSE)
    order = order_in(S.AWAITING_SHIPMENT)
    run_transition(order, "ship", actor=clerk)
    assert order.status == S.SHIPPED


@pytest.mark.django_db
def test_a_permitted_user_still_cannot_skip_states(make_user):
    reviewer = make_user("r", Role.REVIEWER)
    order = order_in(S.SHIPPED)
    with pytest.raises(InvalidTransition):
        run_transition(order, "cancel", actor=reviewer)
