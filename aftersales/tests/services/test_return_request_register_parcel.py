import pytest

from aftersales.models import ReturnKind, ReturnStatus
from aftersales.services import return_request_approve, return_request_register_parcel
from aftersales.tests.factories import delivered_order, request_for
from core.errors import InvalidTransition, ValidationFailed
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(aftersales_clerk):
    return return_request_approve(request=request_for(delivered_order()), actor=aftersales_clerk, comment="同意")


def test_parcel_moves_an_approved_request_to_awaiting_return(approved, cs_clerk):
    request = return_request_register_parcel(request=approved, carrier="sf", tracking_number=" SF900001 ",
                                             actor=cs_clerk)
    assert request.status == ReturnStatus.AWAITING_RETURN
    assert request.return_tracking_number == "SF900001"
    event = OrderEvent.objects.filter(order=request.order).last()
    assert event.kind == "return_in_transit" and event.data["tracking_number"] == "SF900001"
    assert event.data["from"] == "approved" and event.data["to"] == "awaiting_return"


def test_a_corrected_tracking_number_keeps_the_state_and_writes_one_entry(approved, cs_clerk):
    return_request_register_parcel(request=approved, carrier="sf", tracking_number="SF1", actor=cs_clerk)
    count = OrderEvent.objects.count()
    request = return_request_register_parcel(request=approved, carrier="yto", tracking_number="YT2", actor=cs_clerk)
    assert request.status == ReturnStatus.AWAITING_RETURN and request.return_tracking_number == "YT2"
    assert OrderEvent.objects.count() == count + 1


def test_tracking_number_required(approved, cs_clerk):
    with pytest.raises(ValidationFailed) as exc:
        return_request_register_parcel(request=approved, carrier="sf", tracking_number="", actor=cs_clerk)
    assert "tracking_number" in exc.value.errors


def test_not_before_approval_and_not_for_refunds_without_return(aftersales_clerk, cs_clerk):
    requested = request_for(delivered_order())
    with pytest.raises(InvalidTransition):
        return_request_register_parcel(request=requested, carrier="sf", tracking_number="SF1", actor=cs_clerk)
    order = delivered_order()
    from aftersales.models import ReturnPolicy

    ReturnPolicy.objects.update(refund_only_approval_threshold=10000)
    refund_only = return_request_approve(
        request=request_for(order, kind=ReturnKind.REFUND_ONLY, reason_code="quality"), actor=aftersales_clerk,
        comment="ok")
    with pytest.raises(InvalidTransition):
        return_request_register_parcel(request=refund_only, carrier="sf", tracking_number="SF1", actor=cs_clerk)
