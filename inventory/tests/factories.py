"""Inventory factories. Stock is always put in through `stock_receive`, so the ledger balances."""

from __future__ import annotations

import factory

from catalog.tests.factories import ProductFactory
from core.actors import SystemActor
from inventory.models import Bin, Warehouse, WarehousePriority
from inventory.services import ReceiptLine, stock_receive

TEST_ACTOR = SystemActor("test")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WH{n:02d}")
    name = factory.LazyAttribute(lambda o: f"{o.code} 仓")
    kind = Warehouse.Kind.OWN
    province = "上海市"
    city = "上海市"


class BinFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bin
        django_get_or_create = ("warehouse", "code")

    warehouse = factory.SubFactory(WarehouseFactory)
    code = factory.Sequence(lambda n: f"A-{n:02d}")
    kind = Bin.Kind.STORAGE


def priority(province: str, *warehouses: Warehouse) -> None:
    """The province's priority table: the first warehouse gets rank 1."""
    for rank, warehouse in enumerate(warehouses, start=1):
        WarehousePriority.objects.update_or_create(province=province, warehouse=warehouse,
                                                   defaults={"rank": rank})


def stock_up(product=None, quantity: int = 100, warehouse: Warehouse | None = None, **line):
    """Receive `quantity` units of a product (made if None) into a warehouse (made if None)."""
    product = product or ProductFactory()
    warehouse = warehouse or WarehouseFactory(code="SH01", name="上海仓", province="上海市")
    stock_receive(warehouse=warehouse, lines=[ReceiptLine(sku=product.sku, quantity=quantity, **line)],
                  actor=TEST_ACTOR)
    return product
