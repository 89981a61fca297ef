import pytest

from aftersales.models import ReturnKind, ReturnStatus
from aftersales.services import return_request_approve, return_request_reject
from aftersales.tests.factories import delivered_order, request_for
from catalog.tests.factories import ProductFactory
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


def test_after_sales_approves_with_a_comment_and_the_timeline_says_so(aftersales_clerk):
    request = request_for(delivered_order())
    request = return_request_approve(request=request, actor=aftersales_clerk, comment="同意退货，请寄回")
    assert request.status == ReturnStatus.APPROVED
    event = OrderEvent.objects.filter(order=request.order).last()
    assert event.kind == "return_approved" and event.actor == aftersales_clerk
    assert event.data == {"from": "requested", "to": "approved", "rma": request.number, "kind": "return",
                          "comment": "同意退货，请寄回", "exception": False}
    assert "同意退货，请寄回" in event.message


def test_comment_is_required(aftersales_clerk):
    request = request_for(delivered_order())
    with pytest.raises(ValidationFailed) as exc:
        return_request_approve(request=request, actor=aftersales_clerk, comment="  ")
    assert "comment" in exc.value.errors
    request.refresh_from_db()
    assert request.status == ReturnStatus.REQUESTED


@pytest.mark.parametrize("role_fixture", ["cs_clerk", "warehouse_clerk"])
def test_roles_without_the_permission_cannot_approve_or_reject(request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    rma = request_for(delivered_order())
    with pytest.raises(PermissionDenied):
        return_request_approve(request=rma, actor=user, comment="ok")
    with pytest.raises(PermissionDenied):
        return_request_reject(request=rma, actor=user, comment="no")


def test_requests_outside_the_rules_need_a_manager(aftersales_clerk, manager):
    request = request_for(delivered_order(days_ago=10))
    assert request.needs_approval
    with pytest.raises(PermissionDenied):
        return_request_approve(request=request, actor=aftersales_clerk, comment="同意")
    request = return_request_approve(request=request, actor=manager, comment="老客户，特批")
    assert request.status == ReturnStatus.APPROVED
    assert OrderEvent.objects.filter(order=request.order).last().data["exception"] is True


def test_after_sales_may_still_reject_a_request_outside_the_rules(aftersales_clerk):
    request = request_for(delivered_order(days_ago=10))
    request = return_request_reject(request=request, actor=aftersales_clerk, comment="已超过退货期限")
    assert request.status == ReturnStatus.REJECTED and request.closed_at is not None
    event = OrderEvent.objects.filter(order=request.order).last()
    assert event.kind == "return_rejected" and event.data["to"] == "rejected"


def test_only_requested_can_be_decided(aftersales_clerk):
    request = return_request_approve(request=request_for(delivered_order()), actor=aftersales_clerk, comment="ok")
    with pytest.raises(InvalidTransition):
        return_request_approve(request=request, actor=aftersales_clerk, comment="again")
    with pytest.raises(InvalidTransition):
        return_request_reject(request=request, actor=aftersales_clerk, comment="no")


def test_refund_only_request_is_approved_without_a_parcel(aftersales_clerk):
    order = delivered_order(lines=[(ProductFactory(), 1, "50.00")])
    request = request_for(order, kind=ReturnKind.REFUND_ONLY, reason_code="missing_parts")
    request = return_request_approve(request=request, actor=aftersales_clerk, comment="少件，仅退款")
    assert request.status == ReturnStatus.APPROVED
