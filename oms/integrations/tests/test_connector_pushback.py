"""Stock levels and tracking numbers go back to the platform the order came from."""

import pytest

from inventory.tests.factories import stock_up
from logistics.services.shipping import shipment_ship
from logistics.tests.factories import ACTOR, warehouse
from oms.integrations import outbox
from oms.integrations.connectors import pushback
from oms.integrations.connectors.base import adapter_for
from oms.integrations.connectors.fake_douyin import unix
from oms.integrations.models import OutboxMessage, OutboxStatus
from oms.integrations.tests.test_connector_pull import START, connector, platform, pull, window_end  # noqa: F401
from oms.workflow import follow_ups
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db


def test_stock_levels_are_pushed_per_sku(platform, connector):  # noqa: F811
    from catalog.models import Product

    stock_up(Product.objects.get(sku="DY-001"), 7,
             warehouse=warehouse())
    result = pushback.connector_push_stock(connector=connector, skus=["DY-001", "DY-002"],
                                           adapter=adapter_for(connector, sleep=lambda s: None))
    assert result.pushed == 2 and not result.failed
    assert platform.stock == {"DY-001": 7, "DY-002": 0}


def test_tracking_number_goes_back_through_the_outbox(platform, connector):  # noqa: F811
    from catalog.models import Product

    stock_up(Product.objects.get(sku="DY-001"), 10, warehouse=warehouse())
    platform.add_order("T1", update_time=unix(START) + 60, skus=[("DY-001", 1, 19900)])
    pull(connector, until=window_end(1))
    order = Order.objects.get(external_id="T1")
    assert order.status == OrderStatus.AWAITING_SHIPMENT, order.hold_reasons
    follow_ups.run(order.pk)  # what the worker does after the pull commits: the shipments are planned
    [shipment] = order.shipments.all()
    shipment_ship(shipment=shipment, actor=ACTOR, tracking_number="SF1234567890", carrier="sf")
    [message] = OutboxMessage.objects.filter(kind="channel")
    assert message.payload == {"external_id": "T1", "carrier": "sf", "tracking_number": "SF1234567890",
                               "shipment": shipment.number}
    assert outbox.deliver(message_pk=message.pk).status == OutboxStatus.DELIVERED
    assert platform.logistics == [{"order_id": "T1", "company_code": "shunfeng", "logistics_code": "SF1234567890"}]
