"""`inventory.allocation_sql` (the reservation hot path's reads, plain SQL) against the ORM's answer.

Each function must return exactly what the equivalent queryset returns — the same rows, the same
values, in the same order — and `lock_allocatable_stocks` must lock the stock rows the ORM's
`select_for_update(of=("self",))` locks and nothing else, so that a schema change or a Django
upgrade fails here instead of allocating from the wrong rows.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from inventory.allocation_sql import free_unexpired_lots, lock_allocatable_stocks, order_lines_with_holdings
from inventory.models import Lot, Stock, Warehouse, WarehousePriority
from inventory.services import ReceiptLine, order_stock_reserve, stock_receive
from inventory.tests.factories import TEST_ACTOR, WarehouseFactory, priority
from orders.tests.factories import create_order
from tests.row_locks import locked_rows


def setting_up():
    """Three warehouses (one not allocatable, one inactive), lots fresh, expired and quarantined, reservations."""
    sh = WarehouseFactory(code="SH01", province="上海市")
    gz = WarehouseFactory(code="GZ01", province="广东省")
    off = WarehouseFactory(code="XX01", province="北京市")
    Warehouse.objects.filter(pk=off.pk).update(allocatable=False)
    closed = WarehouseFactory(code="YY01", province="四川省")
    priority("浙江省", gz, sh)
    a, b, c = ProductFactory(sku="SQL-A"), ProductFactory(sku="SQL-B"), ProductFactory(sku="SQL-C")
    today = timezone.localdate()
    for warehouse in (sh, gz, off, closed):
        stock_receive(warehouse=warehouse, actor=TEST_ACTOR, lines=[
            ReceiptLine(sku="SQL-A", quantity=5, batch_number="A1"),
            ReceiptLine(sku="SQL-A", quantity=3, batch_number="A-old", expiry_date=today - timedelta(days=1)),
            ReceiptLine(sku="SQL-A", quantity=2, batch_number="A-today", expiry_date=today),
            ReceiptLine(sku="SQL-B", quantity=4, batch_number="B1")])
    Warehouse.objects.filter(pk=closed.pk).update(active=False)
    Lot.objects.filter(batch_number="B1", stock__warehouse=gz).update(quarantined=True)
    first = create_order(lines=[(a, 2), (b, 1)], province="浙江省")
    second = create_order(lines=[(a, 1), (c, 1)], province="浙江省")
    empty = create_order(lines=[(b, 1)])
    with transaction.atomic():
        order_stock_reserve(order=first, actor=TEST_ACTOR)
    return [first, second, empty], [a, b, c]


def orm_lines(order_ids):
    held = Coalesce(Sum(F("reservations__quantity") + F("reservations__quantity_issued")), 0)
    from orders.models import OrderLine

    result = {pk: [] for pk in order_ids}
    for line in OrderLine.objects.filter(order_id__in=order_ids).annotate(held=held).order_by("pk"):
        result[line.order_id].append((line.pk, line.product_id, line.sku, line.quantity, line.quantity_reserved,
                                      line.held))
    return result


def fields(obj, model) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}


@pytest.mark.django_db
def test_lines_with_holdings_match_the_orm():
    orders, _products = setting_up()
    ids = [o.pk for o in orders] + [10**9]  # and an order that does not exist: an empty list, as asked
    assert order_lines_with_holdings(ids) == orm_lines(ids)
    assert any(held for lines in orm_lines(ids).values() for *_rest, held in lines)  # reservations counted


@pytest.mark.django_db
@pytest.mark.parametrize("province", ["浙江省", None])
def test_allocatable_stocks_match_the_orm(province):
    _orders, products = setting_up()
    ids = [p.pk for p in products]
    with transaction.atomic():
        raw = lock_allocatable_stocks(ids, province=province)
        orm = list(Stock.objects.select_for_update(of=("self",)).select_related("warehouse")
                   .filter(product_id__in=ids, warehouse__active=True, warehouse__allocatable=True).order_by("pk"))
    ranks = dict(WarehousePriority.objects.filter(province=province or "").values_list("warehouse_id", "rank"))
    assert [fields(s, Stock) for s in raw] == [fields(s, Stock) for s in orm]
    assert [(s.warehouse_code, s.warehouse_province, s.rank) for s in raw] == [
        (s.warehouse.code, s.warehouse.province, ranks.get(s.warehouse_id)) for s in orm]
    assert {s.warehouse.code for s in orm} == {"SH01", "GZ01"}


@pytest.mark.django_db
def test_free_unexpired_lots_match_the_orm():
    _orders, products = setting_up()
    stock_ids = list(Stock.objects.values_list("pk", flat=True))
    today = timezone.localdate()
    raw = free_unexpired_lots(stock_ids, today=today)
    orm: dict = {}
    for lot in (Lot.objects.filter(stock_id__in=stock_ids, quarantined=False, quantity__gt=F("reserved"))
                .filter(Q(expiry_date__isnull=True) | Q(expiry_date__gte=today)).order_by("pk")):
        orm.setdefault(lot.stock_id, []).append(fields(lot, Lot))
    assert {stock: sorted((fields(lot, Lot) for lot in lots), key=lambda f: f["id"])
            for stock, lots in raw.items()} == orm
    assert "A-old" not in {f["batch_number"] for lots in orm.values() for f in lots}  # expired left out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_allocatable_stocks_lock_the_rows_the_orm_locks():
    _orders, products = setting_up()
    ids = [p.pk for p in products]
    every_stock = list(Stock.objects.values_list("pk", flat=True))
    warehouses = list(Warehouse.objects.values_list("pk", flat=True))
    locked = []
    for lock in (lambda: lock_allocatable_stocks(ids, province="浙江省"),
                 lambda: list(Stock.objects.select_for_update(of=("self",)).filter(
                     product_id__in=ids, warehouse__active=True, warehouse__allocatable=True))):
        with transaction.atomic():
            lock()
            locked.append(locked_rows("inventory_stock", every_stock))
            assert locked_rows("inventory_warehouse", warehouses) == set()
    assert locked[0] == locked[1] and locked[0]
