from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from oms.workflow.models import ReviewRule
from oms.workflow.services import PaymentInput, review_order, submit_order
from orders.models import OrderStatus
from orders.tests.factories import create_order, order_input

# The review pipeline reserves stock; these tests are about the checks, so every product has stock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stock_everything")]


def paid(total):
    return PaymentInput(method="alipay", paid_amount=Decimal(total), transaction_id="T1")


def test_paid_clean_order_goes_to_awaiting_shipment(follow_ups_run):
    with follow_ups_run():
        order = submit_order(data=order_input(lines=[(ProductFactory(), 2, "199.00")]), payment=paid("408.00"),
                             actor=SYSTEM)
        assert order.status == OrderStatus.AWAITING_SHIPMENT
        assert order.payment_status == "paid"
        assert order.hold_reasons == []
        # In the transaction: the review step `reserve_stock` (inventory), then the decision.
        kinds = list(order.events.order_by("pk").values_list("kind", flat=True))
        assert kinds == ["created", "payment_recorded", "stock_reserved", "review_passed"]
    # After commit, the follow-ups: the invoice (finance), then the shipments (logistics).
    kinds = list(order.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["created", "payment_recorded", "stock_reserved", "review_passed", "invoice_issued",
                     "shipments_created"]


def test_unpaid_clean_order_awaits_payment():
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_PAYMENT


def test_cash_on_delivery_goes_to_awaiting_shipment_without_payment():
    order = submit_order(data=order_input(payment_method="cod"), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    assert order.payment_status == "cod"


def test_payment_mismatch_holds():
    order = submit_order(data=order_input(lines=[(ProductFactory(), 2, "199.00")]), payment=paid("400.00"),
                         actor=SYSTEM)
    assert order.status == OrderStatus.ON_HOLD
    assert order.hold_reasons == ["payment_mismatch"]


def test_large_amount_threshold_is_data():
    product = ProductFactory(price=Decimal("30000.00"))
    big = submit_order(data=order_input(lines=[(product, 2, "30000.00")]), payment=None, actor=SYSTEM)
    assert big.hold_reasons == ["large_amount"]
    ReviewRule.objects.filter(code="large_amount").update(params={"threshold": "100000.00"})
    ok = submit_order(data=order_input(lines=[(product, 2, "30000.00")]), payment=None, actor=SYSTEM)
    assert ok.status == OrderStatus.AWAITING_PAYMENT


def test_disabled_rule_does_not_hold():
    ReviewRule.objects.filter(code="invalid_address").update(enabled=False)
    order = submit_order(data=order_input(address_detail="测试"), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_PAYMENT


@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"province": "火星省"}, "invalid_address"),
        ({"address_detail": "测试地址请勿发货"}, "invalid_address"),
        ({"address_detail": "1号"}, "invalid_address"),
    ],
)
def test_address_anomalies_hold(overrides, reason):
    order = submit_order(data=order_input(**overrides), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.ON_HOLD
    assert reason in order.hold_reasons


def test_rule_limited_to_channels_skips_other_channels():
    from orders.models import Channel

    rule = ReviewRule.objects.get(code="invalid_address")
    rule.channels.set([Channel.objects.get(code="jd")])
    order = submit_order(data=order_input(channel_code="tmall", province="火星省"), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_PAYMENT


def test_duplicate_suspicion_holds_the_second_order():
    product = ProductFactory()
    first = submit_order(data=order_input(lines=[(product, 1, "50.00")], address_detail="文三路100号"), payment=None,
                         actor=SYSTEM)
    second = submit_order(data=order_input(lines=[(product, 1, "50.00")], address_detail="文三路100号"), payment=None,
                          actor=SYSTEM)
    assert first.status == OrderStatus.AWAITING_PAYMENT
    assert second.hold_reasons == ["duplicate_suspected"]
    held = second.events.get(kind="held")
    assert held.data["reasons"][0]["similar_orders"] == [first.number]


def test_customer_incomplete_when_email_required():
    ReviewRule.objects.filter(code="customer_incomplete").update(params={"require_email": True})
    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    assert order.hold_reasons == ["customer_incomplete"]


def test_invalid_stored_phone_holds():
    order = create_order()
    type(order).objects.filter(pk=order.pk).update(phone="12345")
    order.refresh_from_db()
    assert "invalid_phone" in review_order(order=order).hold_reasons


def test_only_pending_orders_are_reviewed_automatically():
    from core.errors import InvalidTransition

    order = submit_order(data=order_input(), payment=None, actor=SYSTEM)
    with pytest.raises(InvalidTransition):
        review_order(order=order)
