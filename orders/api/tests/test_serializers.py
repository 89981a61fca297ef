"""Strict input and contract-shaped output of the orders API serializers (no HTTP)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.pii import mask_text
from orders.api.selectors import order_for_api
from orders.api.serializers import (
    STATUS_DISPLAY,
    OrderCreateSerializer,
    OrderEventOutSerializer,
    OrderOutSerializer,
)
from orders.models import OrderEvent, OrderStatus
from orders.tests.factories import create_order


def body(**overrides):
    data = {
        "channel": "tmall", "external_id": "TM1", "ordered_at": "2026-11-24T10:15:00+08:00",
        "customer": {"name": "张三", "phone": "13812341234"},
        "shipping_address": {"recipient": "张三", "phone": "13812341234", "province": "浙江省", "city": "杭州市",
                             "detail": "文三路100号"},
        "lines": [{"sku": "SKU-001", "quantity": 2, "unit_price": "199.00"}],
        "shipping_fee": "10.00",
    }
    data.update(overrides)
    return data


def test_valid_body_becomes_order_input():
    serializer = OrderCreateSerializer(data=body(payment={"method": "cod", "paid_amount": "0", "transaction_id": ""}))
    assert serializer.is_valid(), serializer.errors
    data = OrderCreateSerializer.to_order_input(serializer.validated_data)
    assert data.channel == "tmall" and data.address_detail == "文三路100号" and data.payment_method == "cod"
    assert data.lines[0].quantity == 2 and data.lines[0].unit_price == Decimal("199.00")
    assert data.lines[0].discount == Decimal("0.00") and data.shipping_fee == Decimal("10.00")
    assert data.ordered_at == datetime(2026, 11, 24, 10, 15, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize("quantity", ["2", 2.5, 2.0, True, None, [2]])
def test_quantity_must_be_a_json_integer(quantity):
    serializer = OrderCreateSerializer(data=body(lines=[{"sku": "A", "quantity": quantity, "unit_price": "1.00"}]))
    assert not serializer.is_valid()
    assert set(serializer.errors["lines"][0]) == {"quantity"}


@pytest.mark.parametrize("amount, ok", [("199", True), ("199.5", True), ("0.01", True), ("199.00", True),
                                        ("-1.00", True),  # negative amounts are a business rule's to refuse
                                        ("199.001", False), ("1e3", False), (" 1.00", False), ("1,000.00", False),
                                        (199, False), (199.0, False), ("", False), ("NaN", False),
                                        ("1234567890123.00", False)])
def test_money_is_a_string_with_at_most_two_decimals(amount, ok):
    serializer = OrderCreateSerializer(data=body(shipping_fee=amount))
    assert serializer.is_valid() is ok, serializer.errors


def test_total_beyond_storage_is_refused_not_a_database_error():
    huge = [{"sku": "A", "quantity": 1_000_000, "unit_price": "999999999.00"}]
    serializer = OrderCreateSerializer(data=body(lines=huge))
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"lines"}


def test_partial_data_keeps_the_valid_fields_by_position():
    serializer = OrderCreateSerializer(data=body(
        customer={"name": 5, "phone": "13812341234"},
        lines=[{"sku": "A", "quantity": "1", "unit_price": "1.00"}, "junk", {"sku": "B", "quantity": 3,
                                                                            "unit_price": "2.00"}],
    ))
    assert not serializer.is_valid()
    partial = serializer.partial_data
    assert partial["customer"] == {"phone": "13812341234"}
    assert partial["lines"] == [{"sku": "A", "unit_price": Decimal("1.00")}, {},
                                {"sku": "B", "quantity": 3, "unit_price": Decimal("2.00")}]
    assert partial["channel"] == "tmall"


def test_unknown_keys_are_refused_at_every_level():
    serializer = OrderCreateSerializer(data=body(coupon="X", customer={"name": "a", "phone": "1", "vip": True}))
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"coupon", "customer"}
    assert set(serializer.errors["customer"]) == {"vip"}


@pytest.mark.django_db
def test_representation_masks_unless_pii():
    order = order_for_api(number=create_order(customer_email="li@example.com").number)
    masked = OrderOutSerializer(order, context={}).data
    assert masked["customer"]["phone"] == "138****1234" and masked["customer"]["email"] == "l***@example.com"
    plain = OrderOutSerializer(order, context={"pii": True}).data
    assert plain["customer"]["phone"] == "13812341234" and plain["customer"]["email"] == "li@example.com"


def test_every_status_has_its_chinese_name():
    assert set(STATUS_DISPLAY) == set(OrderStatus.values)
    assert STATUS_DISPLAY[OrderStatus.AWAITING_SHIPMENT] == "待发货"


@pytest.mark.django_db
def test_the_orders_stage_renders_no_shipments():
    """Shipments belong to logistics; the API composes them in (`oms.api.representation`)."""
    order = order_for_api(number=create_order().number)
    assert "shipments" not in OrderOutSerializer(order).data


@pytest.mark.parametrize("text, masked", [
    ("客户来电改为 13900001111", "客户来电改为 139****1111"),
    ("座机 0571-88881234，邮箱 zs@example.com", "座机 057****1234，邮箱 z***@example.com"),
    ("+86 13900001111", "139****1111"),
    ("交易号 2026112422001", "交易号 2026112422001"),
])
def test_mask_text(text, masked):
    assert mask_text(text) == masked


@pytest.mark.django_db
def test_event_representation_masks_data_keys():
    order = create_order()
    event = OrderEvent.objects.create(order=order, kind="note", actor_name="cs", message="ok",
                                      data={"phone": "13812341234", "nested": [{"email": "a@b.cn"}], "n": 3})
    out = OrderEventOutSerializer(event, context={}).data
    assert out["data"] == {"phone": "138****1234", "nested": [{"email": "a***@b.cn"}], "n": 3}
    assert OrderEventOutSerializer(event, context={"pii": True}).data["data"]["phone"] == "13812341234"
