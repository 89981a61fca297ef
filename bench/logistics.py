"""Benchmark: warehouse documents — one 1,000-order picking list, and a 500-label batch.

    /work/main/.venv/bin/python bench/logistics.py [--orders 1000] [--labels 500] [--runs 3]

Fills a separate database (SQLite `var/bench_logistics.sqlite3` unless DATABASE_URL is set) with
orders released for shipment through the real stage services (order created, stock reserved in
bins, review passed, shipment planned by the logistics hook), starts one pick wave with 1,000 of
them and packs 500 (waybill numbers assigned). Then times, in a warm process:

- the picking list PDF of the 1,000-order wave (selector + template + WeasyPrint), in seconds;
- the batch PDF of 500 shipping labels (100 × 150 mm, Code128 barcode each), as labels per second;
- one label and one packing slip on their own, in seconds.

Prints the median of `--runs` runs, page counts and PDF sizes. Running it again reuses the data.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
(ROOT / "var").mkdir(exist_ok=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_logistics.sqlite3'}")
os.environ.setdefault("OMS_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from catalog.models import Product  # noqa: E402
from core.actors import SystemActor  # noqa: E402
from inventory.models import Bin, Warehouse  # noqa: E402
from inventory.services import ReceiptLine, order_stock_reserve, stock_receive  # noqa: E402
from logistics import documents  # noqa: E402
from logistics.models import PickWave, Shipment, ShipmentStatus  # noqa: E402
from logistics.selectors import shipments_with_lines  # noqa: E402
from logistics.services import shipment_pack, wave_create  # noqa: E402
from orders import services as order_services  # noqa: E402
from orders.services import LineInput, OrderInput  # noqa: E402

ACTOR = SystemActor("bench")
NAMES = ["纯棉圆领T恤 白色 L", "羊毛针织开衫 灰色", "轻薄羽绒服 藏青 XL", "高腰牛仔裤 浅蓝 27", "真丝围巾 酒红",
         "运动跑鞋 男款 42", "帆布双肩包 卡其", "不锈钢保温杯 500ml", "陶瓷马克杯 两只装", "蓝牙降噪耳机",
         "智能手环 第五代", "机械键盘 青轴", "无线鼠标 静音款", "有机绿茶 250g", "手工红糖 500g", "精华面霜 50ml",
         "氨基酸洗面奶", "定制刻字钢笔", "儿童绘本套装(10册)", "乳胶枕 一对", "四件套 全棉 1.8m", "竹纤维毛巾"]
PEOPLE = [("张伟", "浙江省", "杭州市", "西湖区", "文三路"), ("王芳", "上海市", "上海市", "浦东新区", "世纪大道"),
          ("李娜", "北京市", "北京市", "朝阳区", "建国路"), ("刘洋", "广东省", "深圳市", "南山区", "科技园南路"),
          ("陈静", "四川省", "成都市", "武侯区", "人民南路"), ("欧阳娜娜", "湖北省", "武汉市", "洪山区", "珞喻路")]


def fill(orders: int) -> Warehouse:
    warehouse, _ = Warehouse.objects.get_or_create(code="BENCH", defaults={
        "name": "压测仓", "province": "上海市", "city": "上海市", "address": "浦东新区川沙路5558号"})
    have = Shipment.objects.filter(warehouse=warehouse).count()
    if have >= orders:
        print(f"database has {have:,} shipments already")
        return warehouse
    rng = random.Random(2026)
    products = []
    for n, name in enumerate(NAMES):
        product, _ = Product.objects.get_or_create(sku=f"BENCH-{n:03d}", defaults={
            "name": name, "price": Decimal(rng.randint(30, 900)), "barcode": f"69{n:011d}"})
        products.append(product)
    for n in range(40):
        Bin.objects.get_or_create(warehouse=warehouse, code=f"{'ABCD'[n % 4]}-{n // 4 + 1:02d}-{n % 3 + 1}")
    bins = list(Bin.objects.filter(warehouse=warehouse).values_list("code", flat=True))
    for product in products:  # two lots per SKU in different bins
        stock_receive(warehouse=warehouse, actor=ACTOR, lines=[
            ReceiptLine(sku=product.sku, quantity=orders * 3, batch_number=f"{product.sku}-{k}",
                        bin_code=rng.choice(bins)) for k in range(2)])
    started = time.perf_counter()
    for n in range(have, orders):
        name, province, city, district, street = rng.choice(PEOPLE)
        picked = rng.sample(products, rng.randint(1, 3))
        data = OrderInput(
            channel=rng.choice(["tmall", "jd", "douyin", "web"]), external_id=f"BENCH-{n:06d}",
            customer_name=name, customer_phone=f"138{n:08d}", recipient=name, recipient_phone=f"138{n:08d}",
            province=province, city=city, district=district, address_detail=f"{street}{rng.randint(1, 999)}号",
            lines=[LineInput(sku=p.sku, quantity=rng.randint(1, 3), unit_price=p.price) for p in picked],
            payment_method="cod" if n % 5 == 0 else "alipay",
        )
        with transaction.atomic():
            order = order_services.order_create(data=data, actor=ACTOR)
            if data.payment_method != "cod":
                order = order_services.order_set_funds(order=order, paid_amount=order.total,
                                                       refunded_amount=Decimal("0"), actor=ACTOR)
            order_stock_reserve(order=order, actor=ACTOR)
            order_services.order_pass_review(order=order, actor=ACTOR)
        if (n + 1) % 200 == 0:
            print(f"  {n + 1:,} orders released ({time.perf_counter() - started:.0f} s)", flush=True)
    return warehouse


def prepare(warehouse: Warehouse, orders: int, labels: int) -> tuple[PickWave, list[int]]:
    wave = PickWave.objects.filter(warehouse=warehouse).order_by("pk").first()
    if wave is None:
        ids = list(Shipment.objects.filter(warehouse=warehouse, status=ShipmentStatus.CREATED)
                   .order_by("pk").values_list("pk", flat=True)[:orders])
        wave = wave_create(warehouse=warehouse, shipment_ids=ids, actor=ACTOR)
    packed = list(Shipment.objects.filter(wave=wave).exclude(tracking_number="").order_by("pk")
                  .values_list("pk", flat=True)[:labels])
    for shipment in Shipment.objects.filter(wave=wave, tracking_number="").order_by("pk")[:labels - len(packed)]:
        shipment_pack(shipment=shipment, weight_kg=f"{random.Random(shipment.pk).uniform(0.2, 5):.2f}",
                      actor=ACTOR, verify_scan=False)
        packed.append(shipment.pk)
    return wave, packed


def timed(fn, runs: int) -> tuple[float, float, bytes]:
    """Median wall-clock and CPU seconds of `runs` calls (CPU time shows the cost on a busy machine)."""
    walls, cpus, result = [], [], b""
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    warehouse = fill(args.orders)
    wave, packed = prepare(warehouse, args.orders, args.labels)
    print(f"wave {wave.number}: {wave.shipments.count():,} shipments; {len(packed)} packed with waybill numbers")

    # Warm up: fonts loaded, templates compiled (a worker process is warm after its first document).
    one = shipments_with_lines(packed[:1])
    documents.labels_pdf(shipments=one)

    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    seconds, cpu, pdf = timed(lambda: documents.picking_list_pdf(wave=wave), args.runs)
    print(f"picking list, {wave.shipments.count():,} orders: {seconds:.2f} s (CPU {cpu:.2f} s; "
          f"{pages(pdf)} pages, {len(pdf) / 1024:.0f} KB)")

    def batch():
        return documents.labels_pdf(shipments=shipments_with_lines(packed))

    seconds, cpu, pdf = timed(batch, args.runs)
    print(f"label batch, {len(packed)} labels: {seconds:.2f} s = {len(packed) / seconds:.0f} labels/s "
          f"(CPU {cpu:.2f} s = {len(packed) / cpu:.0f} labels/s; {pages(pdf)} pages, {len(pdf) / 1024:.0f} KB)")

    seconds, cpu, pdf = timed(lambda: documents.labels_pdf(shipments=shipments_with_lines(packed[:1])),
                              args.runs * 3)
    print(f"one label: {seconds:.3f} s (CPU {cpu:.3f} s; {len(pdf) / 1024:.0f} KB)")
    seconds, cpu, pdf = timed(lambda: documents.packing_slips_pdf(shipments=shipments_with_lines(packed[:1])),
                              args.runs * 3)
    print(f"one packing slip: {seconds:.3f} s (CPU {cpu:.3f} s; {len(pdf) / 1024:.0f} KB)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
