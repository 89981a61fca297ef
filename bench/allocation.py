"""Allocation benchmark: reserve stock for 10,000 three-line orders across 5 warehouses.

    /work/main/.venv/bin/python bench/allocation.py [--orders 10000] [--phases sqlite,pg,pg4,review]

Phases (each on a fresh database, run in its own process so settings can differ):
  sqlite  one worker on a SQLite file
  pg      one worker on PostgreSQL (DATABASE_URL or postgres://postgres@127.0.0.1:5432/oms_inventory_bench)
  pg4     four worker processes on PostgreSQL, each with its own connection, interleaved orders
  review  the full automatic review (checks + reserve_stock step + transition + events) on PostgreSQL,
          to see whether the review pipeline or the allocation is the bottleneck

Each order is reserved in its own transaction with `order_stock_reserve` (all or nothing, locks in pk
order, ledger rows, reservation rows, line summaries, one timeline event). Stock is sized so that
the last orders run short and a few "hot" SKUs are wanted by many orders at once, so the oversell
check after each phase means something: reservations never exceed stock on hand, levels equal the
ledger (`stock_drift`), and the reserved units equal what the reserved orders asked for.

Set-up (products, stock receipts through `stock_receive`, orders inserted in bulk as
`pending_review`) is not timed. The machine is shared: figures vary from run to run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_inventory_bench")
WAREHOUSES = [("SH01", "上海市"), ("BJ01", "北京市"), ("GZ01", "广东省"), ("CD01", "四川省"), ("WH01", "湖北省")]
PROVINCES = ["上海市", "浙江省", "江苏省", "北京市", "河北省", "广东省", "广西", "四川省", "重庆市", "湖北省",
             "湖南省", "陕西省", "辽宁省"]
PRODUCTS = 300
HOT = 5  # SKUs in one order out of five, with little stock: where the workers collide


# -- orchestration ---------------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--phases", default="sqlite,pg,pg4,review")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        return run_phase(args.phase, args.orders)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Allocation benchmark: {args.orders:,} orders × 3 lines, 5 warehouses, {PRODUCTS} SKUs "
          f"(machine: {os.cpu_count()} CPUs, shared; load average {load} at start — figures vary between runs)")
    for phase in args.phases.split(","):
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="oms.settings", DJANGO_DEBUG="0",
                   DJANGO_SECRET_KEY="bench-only-secret-key-" + "x" * 40,
                   OMS_WEBHOOK_SECRET="bench-only-webhook-secret-0123456789abcdef",
                   DJANGO_SECURE_SSL_REDIRECT="0", OMS_LOG_LEVEL="WARNING")
        if phase == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{tempfile.gettempdir()}/oms_bench_allocation.sqlite3"
            Path(tempfile.gettempdir(), "oms_bench_allocation.sqlite3").unlink(missing_ok=True)
        else:
            env["DATABASE_URL"] = PG_URL
            recreate_pg_database(PG_URL)
        result = subprocess.run([sys.executable, __file__, "--phase", phase, "--orders", str(args.orders)],
                                env=env, cwd=ROOT)
        print(f"{'':<24} (load average after the phase: {os.getloadavg()[0]:.1f})")
        if result.returncode:
            sys.exit(result.returncode)


def recreate_pg_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


# -- one phase, in a fresh process -------------------------------------------------------------------
def run_phase(phase: str, n_orders: int):
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    order_ids = setup_data(n_orders if phase != "review" else min(n_orders, 2_000))
    connections.close_all()
    if phase in ("sqlite", "pg"):
        elapsed, reserved, short = allocate(order_ids)
        label = "SQLite, 1 worker" if phase == "sqlite" else "PostgreSQL, 1 worker"
    elif phase == "pg4":
        elapsed, reserved, short = allocate_in_processes(order_ids, workers=4)
        label = "PostgreSQL, 4 workers"
    else:
        return review_phase(order_ids)
    cpu = f"; {allocate.cpu_ms:.1f} ms of Python CPU per order" if phase != "pg4" else ""
    print(f"{label:<24} {len(order_ids) / elapsed:8.0f} orders/s  ({len(order_ids):,} orders in {elapsed:.1f} s; "
          f"{reserved:,} reserved, {short:,} short of stock{cpu})")
    oversell_check()


def setup_data(n_orders: int) -> list[int]:
    from django.db import transaction
    from django.utils import timezone

    from catalog.models import Product
    from core.actors import SystemActor
    from core.regions import PROVINCES as ALL_PROVINCES
    from core.regions import region_of
    from inventory.models import Warehouse, WarehousePriority
    from inventory.services import ReceiptLine, stock_receive
    from orders.models import Channel, Customer, Order, OrderLine

    actor = SystemActor("bench")
    rng = random.Random(20261124)
    warehouses = [Warehouse.objects.create(code=code, name=f"{code} 仓", province=province)
                  for code, province in WAREHOUSES]
    rows = []
    for province in ALL_PROVINCES:
        near = sorted(warehouses, key=lambda w: (w.region != region_of(province), w.code))
        rows += [WarehousePriority(province=province, warehouse=w, rank=i) for i, w in enumerate(near, start=1)]
    WarehousePriority.objects.bulk_create(rows)
    products = Product.objects.bulk_create([
        Product(sku=f"BENCH-{i:04d}", name=f"压测商品{i}", price=Decimal("99.00")) for i in range(PRODUCTS)])
    # ~2 units per line on average: 10,000 orders want ~60,000 units; stock holds a bit less, so the
    # last orders run short. Hot SKUs have 40 units per warehouse for ~4,000 lines.
    per_warehouse = max(int(n_orders * 3 * 2 * 0.9 / (PRODUCTS * 3)), 1)
    for wh in warehouses:
        lines = []
        for i, product in enumerate(products):
            if i < HOT:
                lines.append(ReceiptLine(sku=product.sku, quantity=max(n_orders // 250, 2)))
            elif (i + warehouses.index(wh)) % 5 < 3:  # each SKU in three of five warehouses
                lines += [ReceiptLine(sku=product.sku, quantity=per_warehouse // 2, batch_number="OLD"),
                          ReceiptLine(sku=product.sku, quantity=per_warehouse - per_warehouse // 2, batch_number="NEW")]
        stock_receive(warehouse=wh, lines=lines, actor=actor, reference="BENCH")
    channel = Channel.objects.get(code="tmall")
    customer = Customer.objects.create(name="压测", phone="13800000000")
    now = timezone.now()
    with transaction.atomic():
        orders = Order.objects.bulk_create([
            Order(number=f"SOBENCH{n:08d}", channel=channel, external_id=f"BENCH-{n}", customer=customer,
                  recipient="压测", phone="13800000000", province=rng.choice(PROVINCES), city="某市",
                  address_detail=f"压测路{n}号", ordered_at=now, payment_method="cod") for n in range(n_orders)],
            batch_size=1000)
        lines = []
        for order in orders:
            picks = rng.sample(products[HOT:], 3)
            if rng.random() < 0.2:
                picks[0] = rng.choice(products[:HOT])
            for product in picks:
                qty = rng.randint(1, 3)
                lines.append(OrderLine(order=order, product=product, sku=product.sku, name=product.name,
                                       quantity=qty, unit_price=product.price, amount=product.price * qty))
        OrderLine.objects.bulk_create(lines, batch_size=2000)
    return [o.pk for o in orders]


def allocate(order_ids):
    from core.actors import SystemActor
    from core.errors import InsufficientStock
    from inventory.services import order_stock_reserve
    from orders.models import Order

    actor = SystemActor("bench")
    reserved = short = 0
    start, cpu = time.perf_counter(), time.process_time()
    for pk in order_ids:
        try:
            order_stock_reserve(order=Order(pk=pk), actor=actor)
            reserved += 1
        except InsufficientStock:
            short += 1
    allocate.cpu_ms = (time.process_time() - cpu) / max(len(order_ids), 1) * 1000
    return time.perf_counter() - start, reserved, short


def _worker(order_ids, barrier, results):
    from django.db import connections

    connections.close_all()  # never share the parent's connection
    barrier.wait()
    _, reserved, short = allocate(order_ids)
    results.put((reserved, short))
    connections.close_all()


def allocate_in_processes(order_ids, *, workers: int):
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(workers + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(order_ids[k::workers], barrier, results)) for k in range(workers)]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    totals = [results.get() for _ in procs]
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"a worker failed (exit {p.exitcode})")
    return elapsed, sum(t[0] for t in totals), sum(t[1] for t in totals)


def review_phase(order_ids):
    """The same orders through the whole automatic review: is the pipeline or the allocation slow?"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.actors import SystemActor
    from core.errors import InsufficientStock
    from inventory.services import order_stock_reserve
    from oms.workflow.services import review_order
    from orders.models import Order

    actor = SystemActor("bench")
    half = len(order_ids) // 2
    with CaptureQueriesContext(connection) as alloc_q:
        try:
            order_stock_reserve(order=Order(pk=order_ids[0]), actor=actor)
        except InsufficientStock:
            pass
    with CaptureQueriesContext(connection) as review_q:
        review_order(order=Order.objects.get(pk=order_ids[1]), actor=actor)
    by_table = {}
    for q in review_q.captured_queries:
        sql = q["sql"]
        table = next((t for t in ("workflow_reviewrule", "inventory_", "orders_orderevent", "orders_orderline",
                                  "orders_order", "orders_historical", "orders_customer", "core_sequence")
                      if t in sql), "other")
        by_table[table] = by_table.get(table, 0) + 1
    t_alloc = allocate(order_ids[2:half])[0] / (half - 2)
    start = time.perf_counter()
    for pk in order_ids[half:]:
        review_order(order=Order.objects.get(pk=pk), actor=actor)
    t_review = (time.perf_counter() - start) / (len(order_ids) - half)
    print(f"{'PostgreSQL, review path':<24} {1 / t_review:8.0f} orders/s  (full automatic review incl. reservation, "
          f"vs {1 / t_alloc:.0f}/s for the reservation alone, same data)")
    print(f"{'':<24} queries per order: reservation {len(alloc_q)}, full review {len(review_q)} — "
          + ", ".join(f"{k} {v}" for k, v in sorted(by_table.items(), key=lambda kv: -kv[1])))
    oversell_check()


def oversell_check():
    from django.db.models import F, Sum

    from inventory.models import Reservation, Stock
    from inventory.selectors import stock_drift
    from orders.models import OrderLine

    over = Stock.objects.filter(reserved__gt=F("on_hand")).count()
    drift = stock_drift()
    held = Reservation.objects.aggregate(q=Sum("quantity"))["q"] or 0
    stock_reserved = Stock.objects.aggregate(q=Sum("reserved"))["q"] or 0
    wanted = OrderLine.objects.filter(quantity_reserved__gt=0).aggregate(q=Sum("quantity"))["q"] or 0
    partial = OrderLine.objects.filter(quantity_reserved__gt=0, quantity_reserved__lt=F("quantity")).count()
    ok = over == 0 and not drift and held == stock_reserved == wanted and partial == 0
    print(f"{'':<24} oversell check: {'OK' if ok else 'FAILED'} — {over} stock rows reserved beyond on hand, "
          f"{len(drift)} ledger drifts, {stock_reserved:,} units reserved = {wanted:,} ordered by reserved lines, "
          f"{partial} partly reserved lines")
    if not ok:
        for d in drift[:10]:
            print("   ", d)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
