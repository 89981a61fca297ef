"""Demo inventory: warehouses across China, bins, lots with batches and expiry, a priority table.

Idempotent: warehouses, bins, priorities and channel rules are created when missing (admin edits
survive a re-run); stock is received only into a warehouse × SKU that has never had any. Called by
`oms.workflow.demo.seed_all` after the catalog and before the demo orders, so orders reserve stock.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.models import Product
from core.actors import SystemActor
from core.regions import PROVINCES
from inventory.models import Bin, ChannelStockRule, Stock, StockMovement, Warehouse, WarehousePriority
from inventory.services import ReceiptLine, stock_receive, stock_settings_update

DEMO = SystemActor("demo_data")

WAREHOUSES = [
    # code, name, kind, province, city, WMS code, ships online orders
    ("SH01", "上海青浦仓", Warehouse.Kind.OWN, "上海市", "上海市", "", True),
    ("BJ01", "北京顺义仓", Warehouse.Kind.OWN, "北京市", "北京市", "", True),
    ("GZ01", "广州白云仓（菜鸟）", Warehouse.Kind.EXTERNAL_WMS, "广东省", "广州市", "CAINIAO-GZ-001", True),
    ("CD01", "成都双流仓", Warehouse.Kind.OWN, "四川省", "成都市", "", True),
    ("WH01", "武汉东西湖仓", Warehouse.Kind.OWN, "湖北省", "武汉市", "", True),
    ("HZ-STORE", "杭州西湖旗舰店", Warehouse.Kind.STORE, "浙江省", "杭州市", "", False),
]

# Nearest first, by region of the shipping address.
REGION_PRIORITY = {
    "east": ["SH01", "WH01", "BJ01", "GZ01", "CD01"],
    "north": ["BJ01", "SH01", "WH01", "CD01", "GZ01"],
    "northeast": ["BJ01", "SH01", "WH01", "CD01", "GZ01"],
    "central": ["WH01", "SH01", "GZ01", "BJ01", "CD01"],
    "south": ["GZ01", "WH01", "SH01", "CD01", "BJ01"],
    "southwest": ["CD01", "WH01", "GZ01", "SH01", "BJ01"],
    "northwest": ["CD01", "BJ01", "WH01", "SH01", "GZ01"],
}

BINS = [("A-01-01", Bin.Kind.STORAGE), ("A-01-02", Bin.Kind.STORAGE), ("B-02-01", Bin.Kind.STORAGE),
        ("QC-01", Bin.Kind.QUARANTINE)]

PERISHABLE = {"SKU-015", "SKU-016", "SKU-017", "SKU-018"}  # tea, sugar, cream, cleanser: lots expire
SCARCE = {"SKU-011": ("GZ01", 3)}  # headphones: 3 units in Guangzhou only → low-stock alert and backorders


def seed_warehouses() -> int:
    created = 0
    for code, name, kind, province, city, wms_code, allocatable in WAREHOUSES:
        warehouse, was_created = Warehouse.objects.get_or_create(code=code, defaults={
            "name": name, "kind": kind, "province": province, "city": city, "wms_code": wms_code,
            "allocatable": allocatable, "address": f"{city}物流园区{len(code)}号库"})
        created += was_created
        for bin_code, bin_kind in BINS:
            Bin.objects.get_or_create(warehouse=warehouse, code=bin_code, defaults={"kind": bin_kind})
    by_code = {w.code: w for w in Warehouse.objects.filter(code__in=[w[0] for w in WAREHOUSES])}
    for province, region in PROVINCES.items():
        for rank, code in enumerate(REGION_PRIORITY[region], start=1):
            WarehousePriority.objects.get_or_create(province=province, warehouse=by_code[code],
                                                    defaults={"rank": rank})
    return created


def seed_stock(*, seed: int = 2026) -> int:
    """Receive stock for every active product into 2–4 warehouses (and the store); returns receipts made."""
    rng = random.Random(seed)
    products = list(Product.objects.filter(active=True).order_by("sku"))
    warehouses = {w.code: w for w in Warehouse.objects.filter(code__in=[w[0] for w in WAREHOUSES])}
    stocked = set(StockMovement.objects.values_list("stock__warehouse__code", "stock__product__sku").distinct())
    today = timezone.localdate()
    plan: dict[tuple[str, int], list[ReceiptLine]] = {}
    for product in products:
        if product.sku in SCARCE:
            code, quantity = SCARCE[product.sku]
            placements = [(code, quantity)]
        else:
            codes = rng.sample(["SH01", "BJ01", "GZ01", "CD01", "WH01"], rng.randint(2, 4))
            placements = [(code, rng.randint(30, 240)) for code in codes]
            if rng.random() < 0.4:
                placements.append(("HZ-STORE", rng.randint(5, 20)))
        for code, quantity in placements:
            if (code, product.sku) in stocked:
                continue
            # Two deliveries: an older lot and a newer one, so FIFO/FEFO has something to choose.
            first = max(quantity // 3, 1)
            for delivery, units in ((0, first), (1, quantity - first)):
                if units <= 0:
                    continue
                expiry = None
                if product.sku in PERISHABLE:
                    expiry = today + timedelta(days=rng.randint(60, 540) if delivery else rng.randint(20, 120))
                plan.setdefault((code, delivery), []).append(ReceiptLine(
                    sku=product.sku, quantity=units, expiry_date=expiry,
                    # the newer delivery cost a little more: FIFO valuation has something to tell apart
                    unit_cost=(product.price * (Decimal("0.55") if delivery == 0 else Decimal("0.58"))).quantize(
                        Decimal("0.01")),
                    batch_number=f"B{today:%y%m}{delivery}{product.sku[-3:]}-{code}",
                    bin_code=BINS[delivery % 2][0]))
    receipts = 0
    for (code, delivery), lines in sorted(plan.items()):
        days_ago = 75 if delivery == 0 else 12
        stock_receive(warehouse=warehouses[code], lines=lines, actor=DEMO, reference=f"PO-DEMO-{code}-{delivery}",
                      note="演示数据入库", received_at=timezone.now() - timedelta(days=days_ago))
        receipts += 1
    if receipts and ("SH01", "SKU-016") not in stocked:
        # One expired lot on hand: the stock overview shows it, allocation never touches it.
        stock_receive(warehouse=warehouses["SH01"], actor=DEMO, note="演示数据：已过期批次",
                      received_at=timezone.now() - timedelta(days=400),
                      lines=[ReceiptLine(sku="SKU-016", quantity=6, batch_number="B-EXPIRED-016",
                                         expiry_date=today - timedelta(days=10))])
        receipts += 1
    return receipts


def seed_settings() -> None:
    """Alert thresholds and safety stock on a few rows; a channel share for Douyin live sales."""
    for stock in Stock.objects.filter(low_stock_threshold=0, safety_stock=0).select_related("product", "warehouse"):
        safety = 5 if stock.product.sku in ("SKU-004", "SKU-007") and stock.warehouse.allocatable else 0
        stock_settings_update(stock=stock, safety_stock=safety, low_stock_threshold=10, actor=DEMO)
    from orders.models import Channel

    douyin = Channel.objects.filter(code="douyin").first()
    if douyin is not None:
        ChannelStockRule.objects.get_or_create(channel=douyin, warehouse=None,
                                               defaults={"share_percent": 60, "cap": 100})


@transaction.atomic
def seed_inventory() -> dict:
    warehouses = seed_warehouses()
    receipts = seed_stock()
    seed_settings()
    return {"warehouses": warehouses, "receipts": receipts}
