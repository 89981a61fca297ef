"""Logistics test helpers: orders released for shipment through the real stage services.

The order pipeline proper (review checks, steps) lives in `oms.workflow`, above this stage; these
helpers drive the lower stages' services in the same order the pipeline does (reserve, then pass
review), so shipments are created by the real `order_status_changed` hook.
"""

from __future__ import annotations

from catalog.tests.factories import ProductFactory
from core.actors import SystemActor
from finance.tests.factories import paid_order
from inventory.models import Warehouse
from inventory.services import order_stock_reserve
from inventory.tests.factories import WarehouseFactory, stock_up
from logistics.models import Shipment
from orders import services as order_services
from orders.models import Order
from orders.tests.factories import create_order

ACTOR = SystemActor("test")


def warehouse(code="SH01", **kwargs) -> Warehouse:
    defaults = {"name": "上海仓", "province": "上海市", "city": "上海市", "address": "浦东新区川沙路5558号"}
    defaults.update(kwargs)
    return WarehouseFactory(code=code, **defaults)


def wms_warehouse(code="GZ01", **kwargs) -> Warehouse:
    defaults = {"name": "广州云仓", "province": "广东省", "city": "广州市", "kind": Warehouse.Kind.EXTERNAL_WMS,
                "wms_code": "CN-GZ-01"}
    defaults.update(kwargs)
    return warehouse(code, **defaults)


def product(sku=None, *, stock=100, at: Warehouse | None = None, **kwargs):
    """A product with `stock` units received into `at` (SH01 by default)."""
    made = ProductFactory(**({"sku": sku} if sku else {}), **kwargs)
    if stock:
        stock_up(made, stock, warehouse=at or warehouse())
    return made


def released_order(lines, *, cod: bool = False, paid: bool = True, **kwargs) -> Order:
    """An order reserved and released for shipment (`awaiting_shipment`); its shipments exist.
    (`finance.tests.factories.paid_order` with reservation; `paid=False` leaves it awaiting payment.)

    `lines` as for `orders.tests.factories.create_order`: `[(product, quantity, unit price)]`.
    """
    if paid or cod:  # paid through the channel (journal included) or cash on delivery
        return paid_order(lines=lines, method="cod" if cod else "alipay", reserve=True, actor=ACTOR, **kwargs)
    order = create_order(actor=ACTOR, lines=lines, payment_method="alipay", **kwargs)
    order_stock_reserve(order=order, actor=ACTOR)
    return order_services.order_pass_review(order=order, actor=ACTOR)  # unpaid: awaiting payment


def shipments_of(order: Order) -> list[Shipment]:
    return list(order.shipments.select_related("warehouse").order_by("warehouse__code", "pk"))
