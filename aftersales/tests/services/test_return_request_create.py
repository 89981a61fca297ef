from decimal import Decimal

import pytest

from aftersales.models import OutsideRules, ReturnKind, ReturnRequest, ReturnStatus
from aftersales.services import ReturnLineInput, return_request_create
from aftersales.tests.factories import (
    default_policy,
    delivered_order,
    invoiced_order,
    request_for,
    ship_all,
)
from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from core.errors import IdempotencyConflict, ValidationFailed
from orders.models import OrderEvent
from orders.tests.factories import create_order

pytestmark = pytest.mark.django_db


def test_request_within_the_rules_is_stored_with_its_lines_and_one_timeline_entry():
    order = delivered_order(lines=[(ProductFactory(sku="A-1"), 2, "199.00"), (ProductFactory(sku="B-1"), 1, "50.00")])
    events_before = OrderEvent.objects.filter(order=order).count()

    request = request_for(order, lines=[("a-1", 1)], description="颜色不喜欢")

    assert request.number.startswith("RMA") and len(request.number) == 17
    assert request.status == ReturnStatus.REQUESTED
    assert request.needs_approval is False and request.approval_reasons == []
    assert request.delivered_at is not None
    [line] = request.lines.all()
    assert (line.order_line.sku, line.quantity) == ("A-1", 1)
    events = OrderEvent.objects.filter(order=order).order_by("id")
    assert events.count() == events_before + 1
    event = events.last()
    assert event.kind == "return_requested"
    assert event.data["rma"] == request.number and event.data["lines"] == [{"sku": "A-1", "quantity": 1}]
    assert "A-1×1" in event.message and "七天无理由" in event.message


def test_quantity_above_shipped_is_refused_naming_the_line():
    order = delivered_order(lines=[(ProductFactory(sku="A-1"), 2, "199.00")])
    with pytest.raises(ValidationFailed) as exc:
        request_for(order, lines=[("A-1", 3)])
    assert "lines.0.quantity" in exc.value.errors
    assert "2" in exc.value.errors["lines.0.quantity"][0]
    assert not ReturnRequest.objects.exists()


def test_quantity_counts_units_already_asked_for_by_other_live_requests():
    order = delivered_order(lines=[(ProductFactory(sku="A-1"), 3, "100.00")])
    request_for(order, lines=[("A-1", 2)])
    with pytest.raises(ValidationFailed) as exc:
        request_for(order, lines=[("A-1", 2)])
    message = exc.value.errors["lines.0.quantity"][0]
    assert "1" in message and "3" in message and "2" in message  # can, shipped, already asked for
    assert request_for(order, lines=[("A-1", 1)]).lines.get().quantity == 1


def test_a_rejected_request_gives_its_units_back(make_user):
    from aftersales.services import return_request_reject
    from core.enums import Role

    user = make_user("as", Role.AFTERSALES)
    order = delivered_order(lines=[(ProductFactory(sku="A-1"), 1, "100.00")])
    first = request_for(order)
    return_request_reject(request=first, actor=user, comment="已超出保修范围")
    assert request_for(order).lines.get().quantity == 1


def test_only_shipped_units_of_a_partially_shipped_order_can_be_returned():
    from logistics.services import shipment_ship

    order = invoiced_order(lines=[(ProductFactory(sku="A-1"), 2, "100.00"), (ProductFactory(sku="B-1"), 2, "100.00")])
    line_a = order.lines.get(sku="A-1")
    shipment_ship(shipment=order.shipments.get(), actor=SYSTEM, tracking_number="SF0001",
                  quantities={line_a.pk: 2})
    order.refresh_from_db()
    assert order.status == "partially_shipped"
    with pytest.raises(ValidationFailed) as exc:
        request_for(order, lines=[("A-1", 2), ("B-1", 1)])
    assert list(exc.value.errors) == ["lines.1.quantity"]
    assert request_for(order, lines=[("A-1", 2)]).lines.get().quantity == 2


@pytest.mark.parametrize("lines, path", [
    ([], "lines"),
    ([("NOPE", 1)], "lines.0.sku"),
    ([("A-1", 0)], "lines.0.quantity"),
    ([("A-1", -1)], "lines.0.quantity"),
    ([("A-1", 1), ("a-1", 1)], "lines.1.sku"),
])
def test_bad_lines_are_refused(lines, path):
    order = delivered_order(lines=[(ProductFactory(sku="A-1"), 2, "100.00")])
    with pytest.raises(ValidationFailed) as exc:
        request_for(order, lines=lines)
    assert path in exc.value.errors


def test_unknown_or_inactive_reason_and_kind_are_refused_together():
    from aftersales.models import ReturnReason

    ReturnReason.objects.filter(code="other").update(active=False)
    order = delivered_order()
    with pytest.raises(ValidationFailed) as exc:
        request_for(order, kind="swap", reason_code="other")
    assert set(exc.value.errors) >= {"kind", "reason"}


def test_nothing_shipped_return_is_refused_with_a_pointer_to_refund_before_shipment():
    order = invoiced_order()
    with pytest.raises(ValidationFailed) as exc:
        request_for(order, kind=ReturnKind.RETURN)
    assert "kind" in exc.value.errors


def test_cancelled_order_is_refused():
    from orders.services import order_cancel

    order = create_order()
    order_cancel(order=order, reason="客户取消", actor=SYSTEM)
    with pytest.raises(ValidationFailed) as exc:
        request_for(order, kind=ReturnKind.REFUND_ONLY, lines=[])
    assert "order" in exc.value.errors


def test_refund_before_shipment_covers_the_whole_order():
    order = invoiced_order(lines=[(ProductFactory(sku="A-1"), 2, "100.00")])
    request = request_for(order, kind=ReturnKind.REFUND_ONLY, lines=[], reason_code="changed_mind")
    assert request.before_shipment is True
    assert [(line.order_line.sku, line.quantity) for line in request.lines.all()] == [("A-1", 2)]
    with pytest.raises(ValidationFailed) as exc:
        request_for(order, kind=ReturnKind.REFUND_ONLY, lines=[("A-1", 1)], reason_code="changed_mind")
    assert "lines.0.quantity" in exc.value.errors


def test_window_after_delivery_sends_late_requests_to_approval_by_default():
    order = delivered_order(days_ago=8)
    request = request_for(order)
    assert request.needs_approval is True
    assert [r["code"] for r in request.approval_reasons] == ["outside_window"]
    assert "7" in request.approval_reasons[0]["message"]


def test_window_is_data_and_the_policy_can_refuse_late_requests():
    policy = default_policy()
    policy.return_window_days = 10
    policy.save()
    assert request_for(delivered_order(days_ago=8)).needs_approval is False
    policy.outside_window = OutsideRules.REFUSE
    policy.save()
    with pytest.raises(ValidationFailed) as exc:
        request_for(delivered_order(days_ago=11))
    assert "reason" in exc.value.errors and "10" in str(exc.value)


def test_seller_fault_reasons_get_the_longer_window():
    order = delivered_order(days_ago=12)
    assert request_for(order, reason_code="quality").needs_approval is False
    assert request_for(delivered_order(days_ago=16), reason_code="quality").needs_approval is True


def test_reason_can_override_the_window():
    from aftersales.models import ReturnReason

    ReturnReason.objects.filter(code="no_reason").update(window_days=30)
    assert request_for(delivered_order(days_ago=20)).needs_approval is False


def test_not_yet_delivered_orders_are_inside_the_window():
    order = ship_all(invoiced_order())
    request = request_for(order)
    assert request.delivered_at is None and request.needs_approval is False


def test_refund_without_return_above_the_threshold_needs_approval():
    small = delivered_order(lines=[(ProductFactory(), 1, "80.00")])
    assert request_for(small, kind=ReturnKind.REFUND_ONLY, reason_code="missing_parts").needs_approval is False
    big = delivered_order(lines=[(ProductFactory(), 1, "399.00")])
    request = request_for(big, kind=ReturnKind.REFUND_ONLY, reason_code="missing_parts")
    assert request.needs_approval is True
    assert request.approval_reasons[0]["code"] == "refund_only_over_threshold"
    assert "¥100.00" in request.approval_reasons[0]["message"]


def test_threshold_is_data():
    policy = default_policy()
    policy.refund_only_approval_threshold = Decimal("500.00")
    policy.save()
    big = delivered_order(lines=[(ProductFactory(), 1, "399.00")])
    assert request_for(big, kind=ReturnKind.REFUND_ONLY, reason_code="missing_parts").needs_approval is False


def test_exchange_for_a_dearer_sku_is_refused_but_same_price_is_fine():
    order = delivered_order(lines=[(ProductFactory(sku="TEE-M", price=Decimal("79.00")), 1, "79.00")])
    ProductFactory(sku="TEE-L", price=Decimal("79.00"))
    ProductFactory(sku="COAT", price=Decimal("399.00"))
    with pytest.raises(ValidationFailed) as exc:
        request_for(order, kind=ReturnKind.EXCHANGE, reason_code="wrong_size", lines=[("TEE-M", 1, "COAT")])
    assert "lines.0.exchange_sku" in exc.value.errors
    request = request_for(order, kind=ReturnKind.EXCHANGE, reason_code="wrong_size", lines=[("TEE-M", 1, "tee-l")])
    assert request.lines.get().exchange_product.sku == "TEE-L"


def test_replacement_sku_only_on_exchanges():
    order = delivered_order(lines=[(ProductFactory(sku="TEE-M"), 1, "79.00")])
    ProductFactory(sku="TEE-L")
    with pytest.raises(ValidationFailed) as exc:
        request_for(order, kind=ReturnKind.RETURN, lines=[("TEE-M", 1, "TEE-L")])
    assert "lines.0.exchange_sku" in exc.value.errors


def test_refund_without_return_has_no_return_parcel():
    order = delivered_order()
    with pytest.raises(ValidationFailed) as exc:
        request_for(order, kind=ReturnKind.REFUND_ONLY, return_tracking_number="SF1")
    assert "return_tracking_number" in exc.value.errors


def test_channel_reference_is_unique_per_order():
    order = delivered_order(lines=[(ProductFactory(sku="A-1"), 2, "100.00")])
    request_for(order, lines=[("A-1", 1)], channel_ref="TMRF001")
    with pytest.raises(IdempotencyConflict):
        request_for(order, lines=[("A-1", 1)], channel_ref="TMRF001")


def test_auto_approve_within_the_rules_but_not_outside():
    policy = default_policy()
    policy.auto_approve = True
    policy.save()
    request = request_for(delivered_order())
    assert request.status == ReturnStatus.APPROVED
    events = OrderEvent.objects.filter(order=request.order, data__rma=request.number)
    kinds = list(events.values_list("kind", flat=True))
    assert kinds == ["return_requested", "return_approved"]
    late = request_for(delivered_order(days_ago=9))
    assert late.status == ReturnStatus.REQUESTED


def test_quantity_must_be_an_int_not_a_string():
    order = delivered_order(lines=[(ProductFactory(sku="A-1"), 2, "100.00")])
    with pytest.raises(ValidationFailed) as exc:
        return_request_create(order=order, kind="return", reason="no_reason",
                              lines=[ReturnLineInput(sku="A-1", quantity="1")], actor=SYSTEM)
    assert "lines.0.quantity" in exc.value.errors
