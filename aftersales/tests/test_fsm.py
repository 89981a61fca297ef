"""The return request's state machine as a table: which transition is possible from which state for
which kind, and which role may run it. Every pair not in the table must be refused."""

import pytest
from django_fsm import can_proceed

from aftersales.models import ReturnKind, ReturnRequest, ReturnStatus
from core.enums import Role
from core.fsm import _has_permission

S = ReturnStatus
K = ReturnKind
ALL_KINDS = set(K.values)
GOODS = {K.RETURN, K.EXCHANGE}

# transition → (source states, kinds it applies to)
TABLE = {
    "approve": ({S.REQUESTED}, ALL_KINDS),
    "reject": ({S.REQUESTED}, ALL_KINDS),
    "register_return": ({S.APPROVED}, GOODS),
    "receive": ({S.APPROVED, S.AWAITING_RETURN}, GOODS),
    "inspect": ({S.RECEIVED}, ALL_KINDS),
    "refund": ({S.INSPECTED}, {K.RETURN}),
    "refund_without_return": ({S.APPROVED}, {K.REFUND_ONLY}),
    "exchange": ({S.INSPECTED}, {K.EXCHANGE}),
    "close": ({S.APPROVED, S.AWAITING_RETURN, S.INSPECTED, S.REFUNDED, S.EXCHANGED}, ALL_KINDS),
}
TARGETS = {
    "approve": S.APPROVED, "reject": S.REJECTED, "register_return": S.AWAITING_RETURN, "receive": S.RECEIVED,
    "inspect": S.INSPECTED, "refund": S.REFUNDED, "refund_without_return": S.REFUNDED, "exchange": S.EXCHANGED,
    "close": S.CLOSED,
}

# transition → roles allowed (None: no role restriction on the model; the screen asks for its own permission)
ROLES = {
    "approve": {Role.AFTERSALES, Role.MANAGER},
    "reject": {Role.AFTERSALES, Role.MANAGER},
    "register_return": None,
    "receive": {Role.AFTERSALES, Role.WAREHOUSE, Role.MANAGER},
    "inspect": {Role.AFTERSALES, Role.WAREHOUSE, Role.MANAGER},
    "refund": {Role.AFTERSALES, Role.MANAGER},
    "refund_without_return": {Role.AFTERSALES, Role.MANAGER},
    "exchange": {Role.AFTERSALES, Role.MANAGER},
    "close": {Role.AFTERSALES, Role.MANAGER},
}
PEOPLE = [Role.CUSTOMER_SERVICE, Role.AFTERSALES, Role.WAREHOUSE, Role.FINANCE, Role.MANAGER, Role.REVIEWER]


def request_in(status, kind, needs_approval=False) -> ReturnRequest:
    return ReturnRequest(status=status, kind=kind, needs_approval=needs_approval)


@pytest.mark.parametrize("transition", sorted(TABLE))
def test_transition_table(transition):
    sources, kinds = TABLE[transition]
    for status in S.values:
        for kind in K.values:
            request = request_in(status, kind)
            expected = status in sources and kind in kinds
            assert can_proceed(getattr(request, transition)) is expected, (transition, status, kind)
            if expected:
                getattr(request, transition)()
                assert request.status == TARGETS[transition]


def test_final_states_have_no_way_out():
    for status in (S.REJECTED, S.CLOSED):
        for kind in K.values:
            request = request_in(status, kind)
            assert not any(can_proceed(getattr(request, t)) for t in TABLE), (status, kind)


def test_the_state_cannot_be_set_by_hand():
    request = ReturnRequest.objects.model(status=S.REQUESTED, kind=K.RETURN)
    with pytest.raises(AttributeError):
        request.status = S.REFUNDED


@pytest.mark.django_db
@pytest.mark.parametrize("transition", sorted(ROLES))
def test_permissions_per_transition_and_role(make_user, transition):
    sources, kinds = TABLE[transition]
    status, kind = sorted(sources)[0], sorted(kinds)[0]
    for role in PEOPLE:
        user = make_user(f"{transition}-{role}", role)
        allowed = ROLES[transition] is None or role in ROLES[transition]
        request = request_in(status, kind)
        assert _has_permission(getattr(request, transition), user) is allowed, (transition, role)


@pytest.mark.django_db
def test_approving_outside_the_rules_needs_a_manager(make_user):
    clerk, manager = make_user("as", Role.AFTERSALES), make_user("mgr", Role.MANAGER)
    request = request_in(S.REQUESTED, K.RETURN, needs_approval=True)
    assert not _has_permission(request.approve, clerk)
    assert _has_permission(request.approve, manager)
    assert _has_permission(request.reject, clerk)  # a clerk may still say no
