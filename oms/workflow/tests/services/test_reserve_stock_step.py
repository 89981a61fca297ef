"""The inventory stage plugged into review: reserve at review pass, hold on shortage, release on cancel."""

from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from inventory.models import Reservation, Stock
from inventory.selectors import stock_drift
from inventory.tests.factories import WarehouseFactory, stock_up
from oms.workflow.registry import registered_steps
from oms.workflow.services import PaymentInput, approve_order, submit_order
from orders.models import OrderStatus
from orders.services import order_cancel
from orders.tests.factories import order_input

pytestmark = pytest.mark.django_db


def test_reserve_stock_is_a_registered_step():
    assert [(s.code, s.position) for s in registered_steps() if s.code == "reserve_stock"] == [("reserve_stock", 10)]


def test_passed_review_reserves_stock_and_records_it_on_the_timeline():
    product = stock_up(ProductFactory(), 10)
    order = submit_order(data=order_input(lines=[(product, 2, "199.00")]),
                         payment=PaymentInput(method="alipay", paid_amount=Decimal("408.00")), actor=SYSTEM)
    assert order.status == OrderStatus.AWAITING_SHIPMENT
    assert order.lines.get().quantity_reserved == 2
    assert Stock.objects.get(product=product).reserved == 2
    event = order.events.get(kind="stock_reserved")
    assert event.data["reservations"][0]["quantity"] == 2


def test_shortage_holds_the_order_and_reserves_nothing():
    a = stock_up(ProductFactory(), 10)
    b = stock_up(ProductFactory(sku="SKU-SHORT"), 1)
    order = submit_order(data=order_input(lines=[(a, 2, "10.00"), (b, 3, "10.00")]), payment=None, actor=SYSTEM)
    assert order.status == OrderStatus.ON_HOLD
    assert order.hold_reasons == ["stock_shortage"]
    assert Reservation.objects.count() == 0
    assert Stock.objects.get(product=a).reserved == 0
    held = order.events.get(kind="held")
    assert held.data["reasons"][0]["shortages"] == [{"sku": "SKU-SHORT", "requested": 3, "available": 1}]
    assert not order.events.filter(kind="stock_reserved").exists()


def test_checks_that_hold_run_before_any_reservation():
    product = stock_up(ProductFactory(), 10)
    order = submit_order(data=order_input(lines=[(product, 1, "10.00")], province="火星省"), payment=None,
                         actor=SYSTEM)
    assert order.hold_reasons == ["invalid_address"]
    assert Reservation.objects.count() == 0


def test_approving_an_on_hold_order_reserves_its_stock(reviewer):
    product = stock_up(ProductFactory(), 10)
    order = submit_order(data=order_input(lines=[(product, 1, "10.00")], address_detail="测试地址一号"),
                         payment=None, actor=SYSTEM)
    assert order.hold_reasons == ["invalid_address"]
    order = approve_order(order=order, actor=reviewer, comment="地址已电话确认")
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert order.lines.get().quantity_reserved == 1


def test_approving_while_still_short_keeps_it_on_hold_for_stock(reviewer):
    product = stock_up(ProductFactory(), 1)
    order = submit_order(data=order_input(lines=[(product, 2, "10.00")], address_detail="测试地址一号"),
                         payment=None, actor=SYSTEM)
    order = approve_order(order=order, actor=reviewer, comment="地址没问题")
    assert order.status == OrderStatus.ON_HOLD
    assert order.hold_reasons == ["stock_shortage"]
    assert Reservation.objects.count() == 0


def test_cancel_after_reservation_releases_the_stock(reviewer):
    product = stock_up(ProductFactory(), 3)
    order = submit_order(data=order_input(lines=[(product, 3, "10.00")]), payment=None, actor=SYSTEM)
    assert Stock.objects.get(product=product).available == 0
    order_cancel(order=order, actor=SYSTEM, reason="客户要求取消")
    stock = Stock.objects.get(product=product)
    assert (stock.reserved, stock.available) == (0, 3)
    order.refresh_from_db()
    assert order.lines.get().quantity_reserved == 0
    assert stock_drift() == []


def test_a_store_is_not_used_for_online_orders_but_an_external_wms_is():
    store = WarehouseFactory(code="HZ-STORE", kind="store", allocatable=False, province="浙江省")
    wms = WarehouseFactory(code="GZ01", kind="external_wms", province="广东省")
    product = stock_up(ProductFactory(), 5, store)
    stock_up(product, 1, wms)
    order = submit_order(data=order_input(lines=[(product, 1, "10.00")]), payment=None, actor=SYSTEM)
    assert order.events.get(kind="stock_reserved").data["warehouses"] == ["GZ01"]


def test_hold_reasons_reach_the_timeline_in_chinese_whatever_the_language(reviewer):
    """The shortage (and every check's reason) is rendered when the held event is stored, in zh-hans;
    the same error read by an English API client stays English."""
    from django.utils import translation

    from core.errors import InsufficientStock
    from inventory.services import order_stock_reserve

    WarehouseFactory(code="SH01")
    product = stock_up(ProductFactory(sku="SKU-SHORT"), 1)
    with translation.override("en"):
        order = submit_order(data=order_input(lines=[(product, 3, "10.00")], address_detail="1号"),
                             payment=None, actor=SYSTEM)
        with pytest.raises(InsufficientStock) as caught:
            order_stock_reserve(order=order, actor=SYSTEM)
        assert str(caught.value) == "Stock shortage: SKU-SHORT needs 3, 1 available"
    assert order.hold_reasons == ["invalid_address"]  # a check held it: no stock was reserved
    held = order.events.get(kind="held")
    assert held.message.startswith("已挂起：") and "Address" not in held.message and "street" not in held.message
    assert [r["code"] for r in held.data["reasons"]] == ["invalid_address"]
    # Fixed address, approved by a reviewer working in English: now the shortage holds it, in Chinese.
    from orders.services import order_change_address

    with translation.override("en"):
        order_change_address(order=order, actor=reviewer, comment="fixed", address_detail="文三路 100 号")
        approve_order(order=order, actor=reviewer, comment="ok")
    order.refresh_from_db()
    assert order.hold_reasons == ["stock_shortage"]
    latest = order.events.filter(kind="held").latest("pk")
    assert latest.message == "已挂起：库存不足：SKU-SHORT 需要 3 件，可用 1 件"
    assert latest.data["reasons"][0]["message"] == "库存不足：SKU-SHORT 需要 3 件，可用 1 件"
