"""Issue 17, finding 1: a clerk's refund outside a return above the limit waits for an approval.

While it waits nothing is paid or booked and the order's money and stock are untouched; someone else
holding `finance.approve_refund` approves it (the manual refund's rules checked again then) or
rejects it with a reason. After every scenario the ledger and the stock ledger are clean.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from core.enums import Role
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from core.roles import group_for
from finance.models import JournalEntry, Refund, RefundApproval
from finance.services import refund_approval_approve, refund_approval_reject, refund_request, refund_request_manual
from finance.tests.factories import assert_ledger_ok
from inventory.models import Stock
from logistics.services import shipment_pack, shipment_ship
from logistics.tests.factories import ACTOR, product, released_order, shipments_of
from orders.models import Order

pytestmark = pytest.mark.django_db

LIMIT = Decimal("1000.00")


@pytest.fixture(autouse=True)
def limit(settings):
    settings.OMS_REFUND_APPROVAL_LIMIT = str(LIMIT)


@pytest.fixture
def order():
    # 2 × 999.00 + 10.00 shipping = 2,008.00 paid and held; stock reserved, shipment planned.
    return released_order([(product("SKU-A1", stock=10), 2, Decimal("999.00"))])


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)  # no cached permissions


def _clean(capsys):
    call_command("check_stock")
    assert "no drift" in capsys.readouterr().out
    assert_ledger_ok()


def _untouched(order, *, entries: int):
    now = Order.objects.get(pk=order.pk)
    assert (now.status, now.paid_amount, now.refunded_amount) == ("awaiting_shipment", order.paid_amount, 0)
    assert not Refund.objects.filter(order=order).exists()
    assert JournalEntry.objects.filter(order=order).count() == entries
    assert Stock.objects.get(product__sku="SKU-A1").reserved == 2


def _kinds(order):
    return list(order.events.order_by("at", "pk").values_list("kind", flat=True))


def test_at_the_limit_the_clerk_refunds_at_once(order, clerk, capsys):
    done = refund_request_manual(order=order, amount=LIMIT, reason="差价", actor=clerk)
    assert done.approval is None and sum(r.amount for r in done.refunds) == LIMIT
    assert not RefundApproval.objects.exists()
    _clean(capsys)


def test_a_cent_above_the_limit_waits_and_touches_nothing(order, clerk, capsys):
    entries = JournalEntry.objects.filter(order=order).count()
    done = refund_request_manual(order=order, amount=LIMIT + Decimal("0.01"), reason="差价", actor=clerk)
    approval = done.approval
    assert done.refunds == [] and approval.status == "pending" and approval.requested_by == clerk
    assert approval.amount == Decimal("1000.01")
    _untouched(order, entries=entries)
    assert _kinds(order)[-1] == "refund_approval_requested"
    event = order.events.get(kind="refund_approval_requested")
    assert "待审批" in event.message or "审批" in event.message
    assert approval.history.count() == 1 and approval.history.first().history_user == clerk
    _clean(capsys)


def test_the_director_refunds_above_the_limit_without_a_request(order, director, capsys):
    done = refund_request_manual(order=order, amount="1500.00", reason="质量补偿", actor=director)
    assert done.approval is None and sum(r.amount for r in done.refunds) == Decimal("1500.00")
    _clean(capsys)


def test_the_request_is_checked_when_asked(order, clerk):
    with pytest.raises(ValidationFailed):
        refund_request_manual(order=order, amount="5000.00", reason="太多", actor=clerk)
    with pytest.raises(PermissionDenied):  # everything before shipment cancels: the clerk may not cancel
        refund_request_manual(order=order, reason="全额", actor=clerk)
    assert not RefundApproval.objects.exists()


def test_one_pending_request_per_order(order, clerk):
    refund_request_manual(order=order, amount="1200.00", reason="一", actor=clerk)
    with pytest.raises(InvalidTransition):
        refund_request_manual(order=order, amount="1300.00", reason="二", actor=clerk)
    assert RefundApproval.objects.count() == 1


def test_approval_refunds_with_requester_and_approver_recorded(order, clerk, director, capsys,
                                                               django_capture_on_commit_callbacks):
    approval = refund_request_manual(order=order, amount="1500.00", reason="质量补偿", actor=clerk).approval
    with django_capture_on_commit_callbacks(execute=True):
        refunds = refund_approval_approve(approval=approval, actor=director, comment="同意")
    approval.refresh_from_db()
    assert (approval.status, approval.requested_by, approval.decided_by) == ("approved", clerk, director)
    assert sum(r.amount for r in refunds) == Decimal("1500.00")
    assert {r.approval_id for r in Refund.objects.filter(order=order)} == {approval.pk}
    order = Order.objects.get(pk=order.pk)
    assert order.refunded_amount == Decimal("1500.00")
    # the money left no longer covers the goods: held, as a refund the director made directly would be
    assert order.status == "on_hold" and "payment_mismatch" in order.hold_reasons
    kinds = _kinds(order)
    assert kinds.index("refund_approval_requested") < kinds.index("refund_approved") < kinds.index("refund_requested")
    approved = order.events.get(kind="refund_approved")
    assert "clerk" in approved.message and "director" in approved.message
    assert [h.history_user for h in approval.history.order_by("history_id")] == [clerk, director]
    _clean(capsys)


def test_the_requester_may_not_approve_their_own_request(order, clerk, director):
    approval = refund_request_manual(order=order, amount="1500.00", reason="质量补偿", actor=clerk).approval
    clerk.groups.add(group_for(Role.FINANCE_DIRECTOR))  # promoted meanwhile: still not their own
    with pytest.raises(PermissionDenied):
        refund_approval_approve(approval=approval, actor=_fresh(clerk))
    with pytest.raises(PermissionDenied):  # nor may a clerk without the permission
        refund_approval_approve(approval=approval, actor=_fresh(clerk).__class__.objects.create_user("other"))
    assert RefundApproval.objects.get(pk=approval.pk).status == "pending"
    assert not Refund.objects.filter(order=order).exists()


def test_reject_with_a_reason_leaves_everything(order, clerk, director, capsys):
    entries = JournalEntry.objects.filter(order=order).count()
    approval = refund_request_manual(order=order, amount="1500.00", reason="质量补偿", actor=clerk).approval
    with pytest.raises(ValidationFailed):
        refund_approval_reject(approval=approval, actor=director, reason=" ")
    refund_approval_reject(approval=approval, actor=director, reason="证据不足")
    approval.refresh_from_db()
    assert (approval.status, approval.decided_by, approval.decision_comment) == ("rejected", director, "证据不足")
    _untouched(order, entries=entries)
    assert _kinds(order)[-1] == "refund_rejected"
    with pytest.raises(InvalidTransition):
        refund_approval_approve(approval=approval, actor=director)
    # the order is free for a new request
    assert refund_request_manual(order=order, amount="1100.00", reason="重新申请", actor=clerk).approval
    _clean(capsys)


def test_approval_after_shipment_is_refused(order, clerk, director, capsys):
    approval = refund_request_manual(order=order, amount="1500.00", reason="质量补偿", actor=clerk).approval
    shipment = shipments_of(order)[0]
    shipment_pack(shipment=shipment, actor=ACTOR, weight_kg="1.0", verify_scan=False)
    shipment_ship(shipment=shipment, actor=ACTOR, tracking_number="SF100200301")
    assert Order.objects.get(pk=order.pk).status == "shipped"
    with pytest.raises(ValidationFailed) as refused:
        refund_approval_approve(approval=approval, actor=director)
    assert "amount" in refused.value.errors
    assert RefundApproval.objects.get(pk=approval.pk).status == "pending"
    assert not Refund.objects.filter(order=order).exists()
    refund_approval_reject(approval=approval, actor=director, reason="已发货，走退货流程")
    _clean(capsys)


def test_approval_after_another_refund_took_the_money_is_refused(order, clerk, director, capsys):
    approval = refund_request_manual(order=order, amount="1500.00", reason="质量补偿", actor=clerk).approval
    refund_request(order=order, reason="另一笔退款", amount="900.00", actor=ACTOR)
    with pytest.raises(ValidationFailed):
        refund_approval_approve(approval=approval, actor=director)
    assert Refund.objects.filter(order=order).count() == 1
    _clean(capsys)


def test_approving_a_full_refund_before_shipment_cancels_the_order(order, make_user, director, capsys,
                                                                   django_capture_on_commit_callbacks):
    requester = make_user("fin-manager", Role.FINANCE, Role.MANAGER)  # may cancel orders, may not approve
    approval = refund_request_manual(order=order, reason="顾客取消", actor=requester).approval
    assert approval.amount == order.total
    with django_capture_on_commit_callbacks(execute=True):
        refunds = refund_approval_approve(approval=approval, actor=director)
    order = Order.objects.get(pk=order.pk)
    assert order.status == "cancelled" and order.refunded_amount == order.total
    assert sum(r.amount for r in refunds) == order.total and all(r.approval_id == approval.pk for r in refunds)
    assert Stock.objects.get(product__sku="SKU-A1").reserved == 0
    _clean(capsys)


def test_splitting_a_refund_does_not_avoid_the_approval(order, clerk, director, capsys):
    first = refund_request_manual(order=order, amount="600.00", reason="第一笔", actor=clerk)
    assert first.approval is None and first.refunds[0].outside_return
    second = refund_request_manual(order=order, amount="600.00", reason="第二笔", actor=clerk)
    assert second.refunds == [] and second.approval.amount == Decimal("600.00")
    event = order.events.get(kind="refund_approval_requested")
    assert "此前已退 ¥600.00" in event.message and event.data["earlier"] == "600.00"
    # a refund of the cancellation or a return is not counted; the director's own refunds need no request
    assert refund_request_manual(order=order, amount="300.00", reason="总监", actor=director).approval is None
    _clean(capsys)
