import pytest

from aftersales.models import ReturnKind, ReturnStatus
from aftersales.services import return_request_receive
from aftersales.tests.factories import approve, delivered_order, request_for
from catalog.tests.factories import ProductFactory
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(aftersales_clerk):
    order = delivered_order(lines=[(ProductFactory(sku="A-1"), 2, "100.00"), (ProductFactory(sku="B-1"), 1, "50.00")])
    return approve(request_for(order), aftersales_clerk)


def test_counts_are_recorded_and_nothing_is_booked_before_qc(approved, warehouse_clerk):
    a, b = approved.lines.order_by("pk")
    request = return_request_receive(request=approved, counts={a.pk: 1, b.pk: 1}, warehouse="SH01",
                                     actor=warehouse_clerk, note="外箱完好")
    assert request.status == ReturnStatus.RECEIVED and request.received_at is not None
    assert request.warehouse.code == "SH01"
    assert [(line.quantity_received, line.quantity_restocked) for line in request.lines.order_by("pk")] == [
        (1, 0), (1, 0)]
    assert a.order_line.__class__.objects.get(pk=a.order_line_id).quantity_returned == 0
    event = OrderEvent.objects.filter(order=request.order).last()
    assert event.kind == "return_received" and event.data["warehouse"] == "SH01"
    assert event.data["lines"] == [{"sku": "A-1", "asked": 2, "received": 1}, {"sku": "B-1", "asked": 1,
                                                                               "received": 1}]
    assert "外箱完好" in event.message


def test_more_than_asked_for_is_refused(approved, warehouse_clerk):
    a, b = approved.lines.order_by("pk")
    with pytest.raises(ValidationFailed) as exc:
        return_request_receive(request=approved, counts={a.pk: 3, b.pk: 1}, warehouse="SH01", actor=warehouse_clerk)
    assert f"lines.{a.pk}" in exc.value.errors


def test_an_empty_parcel_is_refused(approved, warehouse_clerk):
    with pytest.raises(ValidationFailed) as exc:
        return_request_receive(request=approved, counts={}, warehouse="SH01", actor=warehouse_clerk)
    assert "lines" in exc.value.errors


def test_bad_counts_and_foreign_lines_are_refused(approved, warehouse_clerk):
    a, _b = approved.lines.order_by("pk")
    with pytest.raises(ValidationFailed) as exc:
        return_request_receive(request=approved, counts={a.pk: -1, 999999: 1}, warehouse="",
                               actor=warehouse_clerk)
    assert {f"lines.{a.pk}", "lines.999999", "warehouse"} <= set(exc.value.errors)


def test_customer_service_cannot_receive(approved, cs_clerk):
    a, b = approved.lines.order_by("pk")
    with pytest.raises(PermissionDenied):
        return_request_receive(request=approved, counts={a.pk: 1}, warehouse="SH01", actor=cs_clerk)


def test_not_before_approval_and_never_for_refunds_without_return(aftersales_clerk, warehouse_clerk):
    requested = request_for(delivered_order())
    with pytest.raises(InvalidTransition):
        return_request_receive(request=requested, counts={requested.lines.get().pk: 1}, warehouse="SH01",
                               actor=warehouse_clerk)
    refund_only = approve(request_for(delivered_order(lines=[(ProductFactory(), 1, "20.00")]),
                                      kind=ReturnKind.REFUND_ONLY, reason_code="quality"), aftersales_clerk)
    with pytest.raises(InvalidTransition):
        return_request_receive(request=refund_only, counts={refund_only.lines.get().pk: 1}, warehouse="SH01",
                               actor=warehouse_clerk)
