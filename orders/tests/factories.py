"""Factories that build orders through the real creation service, so invariants hold."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from catalog.tests.factories import ProductFactory
from core.actors import SYSTEM
from orders.models import Channel, Customer
from orders.services import LineInput, OrderInput, order_create

SHANGHAI = ZoneInfo("Asia/Shanghai")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = "张三"
    phone = factory.Sequence(lambda n: f"138{n:08d}")


def channel(code="tmall") -> Channel:
    return Channel.objects.get(code=code)


_counter = iter(range(1, 10**9))


def order_input(*, channel_code="tmall", lines=None, shipping_fee="10.00", **overrides) -> OrderInput:
    """A valid order description; pass `lines=[(sku_or_product, qty, price)]` to choose lines."""
    n = next(_counter)
    if lines is None:
        lines = [(ProductFactory(), 2, "199.00")]
    line_inputs = []
    for item in lines:
        product, qty, price = (item + ("199.00",))[:3] if len(item) == 2 else item
        sku = product.sku if hasattr(product, "sku") else product
        line_inputs.append(LineInput(sku=sku, quantity=qty, unit_price=Decimal(price)))
    data = dict(
        channel=channel_code, external_id=f"EXT{n:08d}", customer_name="张三", customer_phone="13812341234",
        recipient="张三", recipient_phone="13812341234", province="浙江省", city="杭州市", district="西湖区",
        address_detail=f"文三路{n}号", postal_code="310000", lines=line_inputs,
        shipping_fee=Decimal(shipping_fee), ordered_at=datetime(2026, 11, 24, 10, 15, tzinfo=SHANGHAI),
    )
    data.update(overrides)
    return OrderInput(**data)


def create_order(actor=SYSTEM, **kwargs):
    return order_create(data=order_input(**kwargs), actor=actor)
