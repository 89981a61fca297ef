"""Every value form the template accepts, and the forms it refuses."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.phones import normalise_phone
from oms.imports.columns import match_header, normalise_header
from oms.imports.values import (
    BadValue,
    ChannelLookup,
    cell_text,
    parse_amount,
    parse_carrier,
    parse_datetime,
    parse_quantity,
    parse_status,
    payment_method_code,
)
from orders.models import Channel

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("raw", "expected"), [
    ("1299", "1299.00"), ("1299.5", "1299.50"), ("¥1,299.00", "1299.00"), ("￥1,299.00", "1299.00"),
    ("１２９９．００", "1299.00"), ("￥１，２９９", "1299.00"), (" 1 299 ", "1299.00"), ("1,234,567.89", "1234567.89"),
    ("0", "0.00"), (".5", "0.50"), ("99元", "99.00"), ("RMB 20", "20.00"), ("-5", "-5.00"), ("¥-5", "-5.00"),
    (1299, "1299"), (19.9, "19.90"), (0.30000000000000004, "0.30"), (Decimal("7.10"), "7.10"),
])
def test_amount_forms(raw, expected):
    assert parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["abc", "1,23", "12,34.5", "1.2.3", "¥", "19.999", True, "1e5", "12,3456"])
def test_amount_refused(raw):
    with pytest.raises(BadValue):
        parse_amount(raw)


def test_amount_with_real_third_decimal_from_a_number_cell_is_refused():
    with pytest.raises(BadValue):
        parse_amount(19.995)


@pytest.mark.parametrize(("raw", "expected"), [
    ("2", 2), ("２", 2), (" 3 ", 3), ("1,000", 1000), ("2.0", 2), (2, 2), (2.0, 2), ("-1", -1), ("0", 0),
])
def test_quantity_forms(raw, expected):
    assert parse_quantity(raw) == expected


@pytest.mark.parametrize("raw", ["2.5", 2.5, "two", "", True, "1,00"])
def test_quantity_refused(raw):
    with pytest.raises(BadValue):
        parse_quantity(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("2024-03-01 10:00", datetime(2024, 3, 1, 10, 0)),
    ("2024-03-01 10:00:30", datetime(2024, 3, 1, 10, 0, 30)),
    ("2024/3/1 10:00", datetime(2024, 3, 1, 10, 0)),
    ("2024/03/01 9:05:07", datetime(2024, 3, 1, 9, 5, 7)),
    ("2024-03-01", datetime(2024, 3, 1)),
    ("2024/3/1", datetime(2024, 3, 1)),
    ("2024.3.1 10:00", datetime(2024, 3, 1, 10, 0)),
    ("2024年3月1日 10:00", datetime(2024, 3, 1, 10, 0)),
    ("２０２４－０３－０１　１０：００", datetime(2024, 3, 1, 10, 0)),
    ("2024-03-01T10:00:00", datetime(2024, 3, 1, 10, 0)),
    ("20240301", datetime(2024, 3, 1)),
    (datetime(2024, 3, 1, 10, 0), datetime(2024, 3, 1, 10, 0)),  # a date cell
    (date(2024, 3, 1), datetime(2024, 3, 1)),
    (45352.41666666666, datetime(2024, 3, 1, 10, 0)),  # an Excel serial number
    (45352, datetime(2024, 3, 1)),
    ("45352.416666666664", datetime(2024, 3, 1, 10, 0)),  # a serial written as text (CSV)
])
def test_datetime_forms_are_beijing_time(raw, expected):
    value = parse_datetime(raw)
    assert value == expected.replace(tzinfo=SH)
    assert value.utcoffset().total_seconds() == 8 * 3600


def test_aware_datetime_is_converted_to_beijing_time():
    value = parse_datetime(datetime(2024, 3, 1, 2, 0, tzinfo=ZoneInfo("UTC")))
    assert value.astimezone(SH).hour == 10


@pytest.mark.parametrize("raw", ["2024-13-01", "2024-02-30 10:00", "01/03/2024", "yesterday", "10:00", True, -1,
                                 "2024-03-01 25:00"])
def test_datetime_refused(raw):
    with pytest.raises(BadValue):
        parse_datetime(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("13812341234", "13812341234"), ("+86 138-1234-1234", "13812341234"), ("0086 13812341234", "13812341234"),
    ("+8613812341234", "13812341234"), ("138 1234 1234", "13812341234"), ("１３８１２３４１２３４", "13812341234"),
    ("138—1234—1234", "13812341234"), ("0571-88881234", "0571-88881234"), ("010-12345678", "010-12345678"),
    ("(0571)88881234", "0571-88881234"), ("057188881234", "0571-88881234"),
    ("０５７１－８８８８１２３４", "0571-88881234"),
])
def test_phone_forms(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12812341234", "1381234123", "phone", "88881234", "+1 415 555 0100"])
def test_phone_refused(raw):
    assert normalise_phone(raw) is None


def test_phone_from_a_number_cell_keeps_its_digits():
    assert normalise_phone(cell_text(13812341234.0)) == "13812341234"


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "code"), [
    ("天猫", "tmall"), ("京东", "jd"), ("抖音", "douyin"), ("官网", "web"), ("小程序", "wechat_mini"),
    ("门店", "store"),
    ("tmall", "tmall"), ("TMALL", "tmall"), (" jd ", "jd"), ("wechat_mini", "wechat_mini"),
])
def test_channel_by_code_or_chinese_name(raw, code):
    assert ChannelLookup(list(Channel.objects.all())).get(raw).code == code


@pytest.mark.django_db
def test_inactive_or_unknown_channel_is_not_found():
    Channel.objects.filter(code="douyin").update(active=False)
    lookup = ChannelLookup(list(Channel.objects.all()))
    assert lookup.get("抖音") is None
    assert lookup.get("拼多多") is None


@pytest.mark.parametrize(("raw", "code"), [
    ("待审核", "pending_review"), ("待付款", "awaiting_payment"), ("待发货", "awaiting_shipment"),
    ("已发货", "shipped"),
    ("已完成", "completed"), ("已取消", "cancelled"), ("pending_review", "pending_review"),
    ("AWAITING_SHIPMENT", "awaiting_shipment"), ("completed", "completed"), ("Shipped", "shipped"),
])
def test_status_names_and_codes(raw, code):
    assert parse_status(raw) == code


@pytest.mark.parametrize("raw", ["on_hold", "异常待处理", "partially_shipped", "部分发货", "lost", "已退款"])
def test_status_refused(raw):
    with pytest.raises(BadValue):
        parse_status(raw)


@pytest.mark.parametrize(("raw", "code"), [
    ("支付宝", "alipay"), ("alipay", "alipay"), ("微信", "wechat"), ("WeChat", "wechat"), ("银联", "unionpay"),
    ("unionpay", "unionpay"), ("银行转账", "bank_transfer"), ("bank_transfer", "bank_transfer"), ("货到付款", "cod"),
    ("COD", "cod"),
])
def test_payment_method_names_and_codes(raw, code):
    assert payment_method_code(raw) == code


def test_unknown_payment_method_is_passed_on_for_the_order_rules():
    assert payment_method_code("信用卡") == "信用卡"


@pytest.mark.parametrize(("raw", "code"), [
    ("顺丰", "sf"), ("sf", "sf"), ("中通", "zto"), ("zto", "zto"), ("圆通", "yto"), ("yto", "yto"), ("申通", "sto"),
    ("sto", "sto"), ("韵达", "yunda"), ("yunda", "yunda"), ("京东物流", "jd"), ("jd", "jd"), ("EMS", "ems"),
    ("ems", "ems"), ("顺丰速运", "sf"),
])
def test_carrier_names_and_codes(raw, code):
    assert parse_carrier(raw) == code


def test_unknown_carrier_refused():
    with pytest.raises(BadValue):
        parse_carrier("德邦")


@pytest.mark.parametrize(("raw", "expected"), [
    (None, ""), ("  x ", "x"), ("\u3000全角空格\u3000", "全角空格"), (12, "12"), (13812341234.0, "13812341234"),
    (1.5, "1.5"), (True, "TRUE"), (datetime(2024, 3, 1, 10, 0), "2024-03-01 10:00:00"),
    (datetime(2024, 3, 1), "2024-03-01"),
])
def test_cell_text(raw, expected):
    assert cell_text(raw) == expected


@pytest.mark.parametrize("header", ["订单号", " 订单号 ", "order_number", "ORDER_NUMBER", " Order Number ",
                                    "order-number", "\ufeff订单号"])
def test_header_forms(header):
    assert normalise_header(header) in {"订单号", "order_number"}
    assert match_header([header]).positions == {"order_number": 0}


def test_header_match_reports_unknown_missing_and_duplicates():
    match = match_header(["订单号", "order_number", "颜色", "SKU", None, ""])
    assert match.duplicated == ["order_number"]
    assert match.unknown == ["颜色"]
    assert {c.key for c in match.missing} == {"channel", "ordered_at", "customer_name", "phone", "province", "city",
                                              "address", "quantity", "unit_price"}
