import pytest

from core.enums import Role
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from oms.workflow.services import approve_order
from oms.workflow.tests.factories import held_for_address, held_for_large_amount
from orders.models import Order, OrderStatus

# Review reserves stock (inventory's `reserve_stock` step); these tests are about something else, so
# every product made by ProductFactory comes with stock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]


def test_reviewer_approves_an_unpaid_held_order_to_awaiting_payment(reviewer):
    order = held_for_address()
    approved = approve_order(order=order, actor=reviewer, comment="地址已电话确认")
    assert approved.status == OrderStatus.AWAITING_PAYMENT
    assert approved.hold_reasons == []
    event = approved.events.order_by("-id").first()
    assert (event.kind, event.actor, event.actor_name) == ("approved", reviewer, "reviewer")
    assert "地址已电话确认" in event.message
    assert event.data["from"] == "on_hold" and event.data["to"] == "awaiting_payment"
    assert event.data["cleared_reasons"] == ["invalid_address"]


def test_the_decision_is_in_the_audit_history_with_the_user(reviewer):
    order = held_for_address()
    approve_order(order=order, actor=reviewer, comment="ok")
    latest = Order.history.filter(id=order.pk).order_by("-history_date", "-history_id").first()
    assert latest.status == OrderStatus.AWAITING_PAYMENT
    # Services run outside a request here; the timeline names the actor in every case.
    assert order.events.filter(kind="approved", actor=reviewer).exists()


def test_comment_is_required(reviewer):
    order = held_for_address()
    with pytest.raises(ValidationFailed) as exc:
        approve_order(order=order, actor=reviewer, comment="  ")
    assert "comment" in exc.value.errors
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_a_warehouse_clerk_cannot_approve(warehouse_clerk):
    order = held_for_address()
    with pytest.raises(PermissionDenied):
        approve_order(order=order, actor=warehouse_clerk, comment="ok")
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    assert not order.events.filter(kind="approved").exists()


def test_only_orders_on_hold_can_be_approved(reviewer):
    order = held_for_address()
    approve_order(order=order, actor=reviewer, comment="first")
    with pytest.raises(InvalidTransition):
        approve_order(order=order, actor=reviewer, comment="second")  # someone else already moved it
    assert order.events.filter(kind="approved").count() == 1


def test_large_amount_refused_for_a_plain_reviewer(reviewer):
    order = held_for_large_amount()
    with pytest.raises(PermissionDenied) as exc:
        approve_order(order=order, actor=reviewer, comment="ok")
    assert str(Role.FINANCE_DIRECTOR.label) in str(exc.value)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_large_amount_approved_by_the_finance_director(finance_director):
    order = held_for_large_amount(paid=True)
    approved = approve_order(order=order, actor=finance_director, comment="大客户，已核实")
    assert approved.status == OrderStatus.AWAITING_SHIPMENT  # paid in full


def test_approval_role_is_data(reviewer):
    from oms.workflow.models import ReviewRule

    ReviewRule.objects.filter(code="large_amount").update(approval_role="")
    order = held_for_large_amount()
    assert approve_order(order=order, actor=reviewer, comment="ok").status == OrderStatus.AWAITING_SHIPMENT


def test_a_failing_step_puts_the_order_back_on_hold(reviewer):
    from oms.workflow import registry
    from orders.services import HoldReason

    def short(order, actor):
        return [HoldReason("stock_shortage", "SKU 缺货")]

    registry.review_step("test_short", position=1)(short)
    try:
        order = held_for_address()
        result = approve_order(order=order, actor=reviewer, comment="ok")
    finally:
        registry._STEPS.pop("test_short")
    assert result.status == OrderStatus.ON_HOLD
    assert result.hold_reasons == ["stock_shortage"]
