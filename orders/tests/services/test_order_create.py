from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from core.errors import DuplicateOrder, ValidationFailed
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import LineInput, order_create
from orders.tests.factories import create_order, order_input

pytestmark = pytest.mark.django_db


def test_creates_numbered_priced_order_with_event():
    product = ProductFactory(price=Decimal("199.00"))
    order = create_order(lines=[(product, 2, "199.00")], shipping_fee="10.00")
    assert order.status == OrderStatus.PENDING_REVIEW
    assert order.number.startswith("SO") and len(order.number) == 16
    assert order.total == Decimal("408.00")
    assert order.lines.get().amount == Decimal("398.00")
    assert list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True)) == ["created"]


def test_numbers_are_sequential_within_a_day():
    a, b = create_order(), create_order()
    assert int(b.number[-6:]) == int(a.number[-6:]) + 1


def test_bad_input_names_every_field_and_stores_nothing():
    data = order_input(channel_code="nope", customer_phone="123",
                       lines=[("SKU-UNKNOWN", 0, "-1.00")])
    with pytest.raises(ValidationFailed) as exc:
        order_create(data=data, actor=None)
    assert set(exc.value.errors) >= {"channel", "customer.phone", "lines.0.sku", "lines.0.quantity",
                                     "lines.0.unit_price"}
    assert Order.objects.count() == 0


def test_discount_above_line_value_is_refused():
    product = ProductFactory()
    data = order_input(lines=[(product, 1, "10.00")])
    data.lines = [LineInput(sku=product.sku, quantity=1, unit_price=Decimal("10.00"), discount=Decimal("10.01"))]
    with pytest.raises(ValidationFailed) as exc:
        order_create(data=data, actor=None)
    assert "lines.0.discount" in exc.value.errors


def test_same_channel_order_twice_is_a_duplicate():
    data = order_input()
    order_create(data=data, actor=None)
    with pytest.raises(DuplicateOrder):
        order_create(data=data, actor=None)
    assert Order.objects.count() == 1


def test_sku_matches_case_insensitively():
    product = ProductFactory(sku="SKU-ABC")
    order = create_order(lines=[(" sku-abc ", 1, "5.00")])
    assert order.lines.get().product == product
